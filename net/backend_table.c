/* Every netdev backend this wirebox has, in -netdev help order, and QEMU's
 * backend types it does not have yet. A new backend is its own file (with a
 * const NetBackend, see net/backend.h) and one line here. */
#include "net/backend.h"

#include <stdio.h>
#include <string.h>

extern const NetBackend net_user_backend;   /* net/user.c: libslirp */
extern const NetBackend net_socket_backend; /* net/socket.c */
extern const NetBackend net_stream_backend; /* net/stream.c */
extern const NetBackend net_dgram_backend;  /* net/dgram.c */
extern const NetBackend net_tap_backend;    /* net/tap.c */
extern const NetBackend net_bridge_backend; /* net/bridge.c: qemu-bridge-helper */
extern const NetBackend net_vde_backend;    /* net/vde.c: libvdeplug */

const NetBackend *const net_backends[] = {
    &net_user_backend,
    &net_hubport_backend,
    &net_socket_backend,
    &net_stream_backend,
    &net_dgram_backend,
    &net_tap_backend,
    &net_bridge_backend,
    &net_vde_backend,
    NULL,
};

const char *const net_backends_not_yet[] = {
    "l2tpv3",     "vhost-user",   "vhost-vdpa",    "netmap", "af-xdp",
    "vmnet-host", "vmnet-shared", "vmnet-bridged", NULL,
};

const NetBackend *net_backend_find(const char *type)
{
    for (int i = 0; net_backends[i]; i++)
        if (!strcmp(net_backends[i]->type, type))
            return net_backends[i];
    return NULL;
}

static void list_types(char *buf, size_t len)
{
    buf[0] = '\0';
    for (int i = 0; net_backends[i]; i++) {
        if (net_backends[i]->missing && net_backends[i]->missing())
            continue;
        size_t at = strlen(buf);
        snprintf(buf + at, len - at, "%s%s", at ? ", " : "", net_backends[i]->type);
    }
}

int net_backend_check(const char *type, const char *origin, char *err, size_t errlen)
{
    char list[256];
    list_types(list, sizeof list);
    if (!*type)
        return wb_errf(err, errlen, "%s: missing backend type (see -netdev help)", origin);
    const NetBackend *b = net_backend_find(type);
    const char *why = b && b->missing ? b->missing() : NULL;
    if (why)
        return wb_errf(err, errlen, "%s: %s", origin, why);
    if (b)
        return 0;
    for (int i = 0; net_backends_not_yet[i]; i++)
        if (!strcmp(type, net_backends_not_yet[i]))
            return wb_errf(err, errlen, "%s: the '%s' backend is not supported by wirebox yet "
                           "(supported: %s)", origin, type, list);
    return wb_errf(err, errlen, "%s: '%s' is not a netdev backend type (supported: %s)", origin,
                   type, list);
}

void net_backend_print_types(FILE *f)
{
    fputs("Available netdev backend types:\n", f);
    for (int i = 0; net_backends[i]; i++)
        if (!net_backends[i]->missing || !net_backends[i]->missing())
            fprintf(f, "%s\n", net_backends[i]->type);
}
