/* QEMU's option syntax and value parsers (hw/opts.h). */
#include "hw/opts.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hw/util.h"

Opts *opts_parse(const char *s, const char *implied)
{
    Opts *o = wb_calloc(1, sizeof *o);
    size_t len = strlen(s);
    o->buf = wb_calloc(len + 1, 1);
    o->items = wb_calloc(len / 2 + 2, sizeof *o->items);
    char *out = o->buf, *start = out;
    for (const char *p = s;; p++) {
        if (*p == ',' && p[1] == ',') {
            *out++ = ',';
            p++;
            continue;
        }
        if (*p == ',' || !*p) {
            *out++ = '\0';
            if (*start) {
                OptItem *it = &o->items[o->n];
                char *eq = strchr(start, '=');
                if (eq) {
                    *eq = '\0';
                    it->key = start;
                    it->val = eq + 1;
                } else if (o->n == 0 && implied) {
                    it->key = implied;
                    it->val = start;
                } else {
                    it->key = start;
                    it->val = "on";
                }
                o->n++;
            }
            start = out;
            if (!*p)
                break;
            continue;
        }
        *out++ = *p;
    }
    return o;
}

void opts_free(Opts *o)
{
    if (!o)
        return;
    free(o->buf);
    free(o->items);
    free(o);
}

const char *opts_get(Opts *o, const char *key)
{
    const char *v = NULL;
    for (int i = 0; i < o->n; i++) {
        if (!strcmp(o->items[i].key, key)) {
            o->items[i].used = true;
            v = o->items[i].val;
        }
    }
    return v;
}

const char *opts_next(Opts *o, const char *key, int *pos)
{
    for (; *pos < o->n; (*pos)++) {
        if (!strcmp(o->items[*pos].key, key)) {
            o->items[*pos].used = true;
            return o->items[(*pos)++].val;
        }
    }
    return NULL;
}

const char *opts_unused(const Opts *o)
{
    for (int i = 0; i < o->n; i++)
        if (!o->items[i].used)
            return o->items[i].key;
    return NULL;
}

char *opts_quote(const char *v)
{
    size_t n = strlen(v), commas = 0;
    for (const char *p = v; *p; p++)
        commas += *p == ',';
    char *q = wb_calloc(n + commas + 1, 1), *o = q;
    for (const char *p = v; *p; p++) {
        *o++ = *p;
        if (*p == ',')
            *o++ = ',';
    }
    return q;
}

/* ------------------------------------------------------------------ values */

int opt_parse_bool(const char *v, bool *out)
{
    static const char *const yes[] = {"on", "yes", "true", "y"};
    static const char *const no[] = {"off", "no", "false", "n"};
    for (int i = 0; i < 4; i++) {
        if (!strcmp(v, yes[i])) {
            *out = true;
            return 0;
        }
        if (!strcmp(v, no[i])) {
            *out = false;
            return 0;
        }
    }
    return -1;
}

int opt_parse_uint(const char *v, uint64_t max, uint64_t *out)
{
    if (!isdigit((unsigned char)*v))
        return -1; /* no sign, no space */
    char *end;
    errno = 0;
    unsigned long long n = strtoull(v, &end, 0);
    if (errno || *end || n > max)
        return -1;
    *out = n;
    return 0;
}

int opt_parse_size(const char *s, unsigned shift, uint64_t *bytes)
{
    const char *p = s;
    if (!isdigit((unsigned char)*p))
        return -1;
    uint64_t whole = 0, frac_num = 0, frac_den = 1;
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        p += 2;
        if (!isxdigit((unsigned char)*p))
            return -1;
        errno = 0;
        char *end;
        unsigned long long v = strtoull(p, &end, 16);
        if (errno)
            return -1;
        whole = v;
        p = end;
    } else {
        for (; isdigit((unsigned char)*p); p++) {
            if (whole > (UINT64_MAX - 9) / 10)
                return -1;
            whole = whole * 10 + (uint64_t)(*p - '0');
        }
        if (*p == '.') {
            p++;
            if (!isdigit((unsigned char)*p))
                return -1;
            for (; isdigit((unsigned char)*p); p++) {
                if (frac_den < 1000000000ull) {
                    frac_num = frac_num * 10 + (uint64_t)(*p - '0');
                    frac_den *= 10;
                }
            }
        }
    }
    static const char suffixes[] = "bkmgt";
    if (*p) {
        const char *at = strchr(suffixes, tolower((unsigned char)*p));
        if (!at || p[1])
            return -1;
        shift = 10 * (unsigned)(at - suffixes);
    }
    if (shift == 0 && frac_num)
        return -1; /* fractional bytes */
    if (whole > (UINT64_MAX >> shift) >> 1)
        return -1;
    *bytes = (whole << shift) + (uint64_t)(((__uint128_t)frac_num << shift) / frac_den);
    return 0;
}

int opt_parse_mac(const char *s, uint8_t mac[6])
{
    char sep = 0;
    for (int i = 0; i < 6; i++) {
        if (!isxdigit((unsigned char)s[0]) || !isxdigit((unsigned char)s[1]))
            return -1;
        char hex[3] = {s[0], s[1], 0};
        mac[i] = (uint8_t)strtoul(hex, NULL, 16);
        s += 2;
        if (i < 5) {
            if (*s != ':' && *s != '-')
                return -1;
            if (sep && *s != sep)
                return -1;
            sep = *s++;
        }
    }
    return *s ? -1 : 0;
}

int opt_parse_pci_addr(const char *s, int *devfn)
{
    char *end;
    if (!isxdigit((unsigned char)*s))
        return -1;
    errno = 0;
    unsigned long slot = strtoul(s, &end, 16), fn = 0;
    if (errno || slot > 31)
        return -1;
    if (*end == '.') {
        const char *f = end + 1;
        if (!isxdigit((unsigned char)*f))
            return -1;
        fn = strtoul(f, &end, 16);
        if (fn > 7)
            return -1;
    }
    if (*end)
        return -1;
    *devfn = (int)(slot << 3 | fn);
    return 0;
}

bool opt_valid_id(const char *id)
{
    if (!isalpha((unsigned char)*id))
        return false;
    for (const char *p = id; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '-' && *p != '.' && *p != '_')
            return false;
    return true;
}

bool opt_is_help(const char *v)
{
    return v && (!strcmp(v, "help") || !strcmp(v, "?"));
}
