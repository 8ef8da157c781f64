/* Every -object type this wirebox has, and QEMU's types it does not have
 * yet. A new type is its own file (with a const ObjectType, see
 * ui/object.h) and one line here. */
#include "ui/object.h"

#include <stddef.h>

extern const ObjectType net_filter_dump_object; /* net/dump.c: pcap capture */

const ObjectType *const object_types[] = {
    &net_filter_dump_object,
    NULL,
};

const char *const object_types_not_yet[] = {
    "filter-mirror",      "filter-redirector", "filter-rewriter", "filter-buffer",
    "filter-replay",      "colo-compare",      "memory-backend-ram", "memory-backend-file",
    "memory-backend-memfd", "rng-random",      "rng-builtin",     "rng-egd",
    "secret",             "tls-creds-x509",    "tls-creds-psk",   "tls-creds-anon",
    "iothread",           "throttle-group",    "cryptodev-backend-builtin", "can-bus",
    "input-linux",        "authz-simple",      NULL,
};
