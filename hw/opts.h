/* QEMU's option syntax, shared by every option that takes a list
 * (-device, -netdev, -nic, -net, -m, -icount, -chardev, ...), and the value
 * parsers with QEMU's accepted spellings. One parser, so that every option
 * accepts the same numbers, sizes, booleans and MAC addresses. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

/* "first,key=val,flag,key=a,,b": ",," is a comma inside a value; a first
 * item without '=' is the value of the implied key (NULL: none); any other
 * item without '=' is a flag (key=on). */
typedef struct OptItem {
    const char *key, *val;
    bool used;
} OptItem;

typedef struct Opts {
    char *buf;
    OptItem *items;
    int n;
} Opts;

Opts *opts_parse(const char *s, const char *implied);
void opts_free(Opts *o);
/* The last value of key (later ones win), marking every one used; NULL if absent. */
const char *opts_get(Opts *o, const char *key);
/* The values of a repeatable key in order: call with *pos = 0 until NULL. */
const char *opts_next(Opts *o, const char *key, int *pos);
/* The first key nobody asked for, or NULL. */
const char *opts_unused(const Opts *o);
/* v as a value inside an option list: commas doubled. Free the result. */
char *opts_quote(const char *v);

/* Values. Each returns 0, or -1 if v is not a valid spelling. */
/* on/off, yes/no, true/false, y/n (QEMU's qapi_bool_parse). */
int opt_parse_bool(const char *v, bool *out);
/* An unsigned number: decimal, 0x hexadecimal or 0 octal, at most max. */
int opt_parse_uint(const char *v, uint64_t max, uint64_t *out);
/* A size: a number (optionally with a fraction) and a suffix B, K, M, G or
 * T (either case); without a suffix the number is in units of 1 << shift
 * (-m counts MiB: shift 20; device properties count bytes: shift 0). */
int opt_parse_size(const char *v, unsigned shift, uint64_t *bytes);
/* xx:xx:xx:xx:xx:xx (or with '-'), hexadecimal. */
int opt_parse_mac(const char *v, uint8_t mac[6]);
/* A PCI address as QEMU's addr= takes it: SLOT[.FN], hexadecimal; slot 0-1f. */
int opt_parse_pci_addr(const char *v, int *devfn);
/* QEMU's identifiers: a letter, then letters, digits, '-', '.' or '_'. */
bool opt_valid_id(const char *id);
/* "help" or "?": a request to list what is possible. */
bool opt_is_help(const char *v);
