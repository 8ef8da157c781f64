/* -netdev, -device, -nic and -net: QEMU's syntax and defaults.
 *
 * Options are recorded as given; net_plan turns them into a topology (the
 * backends, hub ports and NICs to create, with MAC addresses and warnings),
 * checking everything; net_build creates it on the machine. */
#define _GNU_SOURCE
#include "net/netopts.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hw/pc.h"

static const char *const opt_names[] = {"-netdev", "-device", "-nic", "-net"};


static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) {
        wb_log("out of memory");
        exit(1);
    }
    return p;
}

static void *xrealloc(void *p, size_t size)
{
    p = realloc(p, size ? size : 1);
    if (!p) {
        wb_log("out of memory");
        exit(1);
    }
    return p;
}

static char *xstrdup(const char *s)
{
    char *d = strdup(s);
    if (!d) {
        wb_log("out of memory");
        exit(1);
    }
    return d;
}

static char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *xasprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0) {
        wb_log("out of memory");
        exit(1);
    }
    va_end(ap);
    return s;
}

/* ------------------------------------------------------------------ key=value lists */

/* "type,key=val,key=val" as QemuOpts reads it: ",," is a comma inside a
 * value; a first item without '=' is the value of the implied key; another
 * item without '=' is a flag (key=on). */
typedef struct KvItem {
    const char *key, *val;
    bool used;
} KvItem;

typedef struct Kv {
    char *buf;
    KvItem *items;
    int n;
} Kv;

static Kv *kv_parse(const char *s, const char *implied)
{
    Kv *kv = xcalloc(1, sizeof *kv);
    size_t len = strlen(s);
    kv->buf = xcalloc(len + 1, 1);
    kv->items = xcalloc(len / 2 + 2, sizeof *kv->items);
    char *out = kv->buf, *start = out;
    for (const char *p = s;; p++) {
        if (*p == ',' && p[1] == ',') {
            *out++ = ',';
            p++;
            continue;
        }
        if (*p == ',' || !*p) {
            *out++ = '\0';
            if (*start) {
                KvItem *it = &kv->items[kv->n];
                char *eq = strchr(start, '=');
                if (eq) {
                    *eq = '\0';
                    it->key = start;
                    it->val = eq + 1;
                } else if (kv->n == 0 && implied) {
                    it->key = implied;
                    it->val = start;
                } else {
                    it->key = start;
                    it->val = "on";
                }
                kv->n++;
            }
            start = out;
            if (!*p)
                break;
            continue;
        }
        *out++ = *p;
    }
    return kv;
}

static void kv_free(Kv *kv)
{
    if (!kv)
        return;
    free(kv->buf);
    free(kv->items);
    free(kv);
}

/* The last value of key (later ones win), marking every one used. */
static const char *kv_get(Kv *kv, const char *key)
{
    const char *v = NULL;
    for (int i = 0; i < kv->n; i++) {
        if (!strcmp(kv->items[i].key, key)) {
            kv->items[i].used = true;
            v = kv->items[i].val;
        }
    }
    return v;
}

/* The values of a repeatable key, in order: call with *pos = 0 until NULL. */
static const char *kv_next(Kv *kv, const char *key, int *pos)
{
    for (; *pos < kv->n; (*pos)++) {
        if (!strcmp(kv->items[*pos].key, key)) {
            kv->items[*pos].used = true;
            return kv->items[(*pos)++].val;
        }
    }
    return NULL;
}

static const char *kv_unused(Kv *kv)
{
    for (int i = 0; i < kv->n; i++)
        if (!kv->items[i].used)
            return kv->items[i].key;
    return NULL;
}

/* ------------------------------------------------------------------ values */

static int parse_onoff(const char *v, bool *out)
{
    if (!strcmp(v, "on") || !strcmp(v, "yes") || !strcmp(v, "y") || !strcmp(v, "true"))
        *out = true;
    else if (!strcmp(v, "off") || !strcmp(v, "no") || !strcmp(v, "n") || !strcmp(v, "false"))
        *out = false;
    else
        return -1;
    return 0;
}

static int parse_int(const char *v, long min, long max, long *out)
{
    if (!*v)
        return -1;
    char *end;
    errno = 0;
    long n = strtol(v, &end, 0);
    if (errno || *end || n < min || n > max)
        return -1;
    *out = n;
    return 0;
}

static int parse_ip4(const char *v, struct in_addr *a)
{
    return inet_pton(AF_INET, v, a) == 1 ? 0 : -1;
}

int net_parse_mac(const char *s, uint8_t mac[6])
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

/* PCI address as QEMU's addr= takes it: SLOT[.FN], hexadecimal. */
int net_parse_pci_addr(const char *s, int *devfn)
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

/* QEMU's identifiers: a letter, then letters, digits, '-', '.', '_'. */
static bool valid_id(const char *id)
{
    if (!isalpha((unsigned char)*id))
        return false;
    for (const char *p = id; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '-' && *p != '.' && *p != '_')
            return false;
    return true;
}

static bool valid_domain(const char *d)
{
    size_t total = strlen(d), label = 0;
    if (!total || total > 253)
        return false;
    for (const char *p = d;; p++) {
        if (*p == '.' || !*p) {
            if (label == 0 && (*p || p == d))
                return false; /* empty label (a single trailing dot is fine) */
            label = 0;
            if (!*p)
                break;
        } else if (isalnum((unsigned char)*p) || *p == '-' || *p == '_') {
            if (++label > 63)
                return false;
        } else {
            return false;
        }
    }
    return true;
}

static const char *find_smbd(void)
{
    static char path[4096];
    const char *env = getenv("WIREBOX_SMBD");
    if (env && *env)
        return access(env, X_OK) == 0 ? env : NULL;
    if (access("/usr/sbin/smbd", X_OK) == 0)
        return "/usr/sbin/smbd";
    const char *p = getenv("PATH");
    while (p && *p) {
        size_t n = strcspn(p, ":");
        if (n && n + 6 < sizeof path) {
            memcpy(path, p, n);
            strcpy(path + n, "/smbd");
            if (access(path, X_OK) == 0)
                return path;
        }
        p += n + (p[n] == ':');
    }
    return NULL;
}

/* ------------------------------------------------------------------ -netdev user */

static bool in_net(struct in_addr a, struct in_addr net, struct in_addr mask)
{
    return (a.s_addr & mask.s_addr) == net.s_addr;
}

/* net | (low & ~mask): QEMU's way of placing the default addresses. */
static struct in_addr net_addr(const UserConf *u, uint32_t low)
{
    struct in_addr a = {u->net.s_addr | (htonl(low) & ~u->mask.s_addr)};
    return a;
}

/* The mask QEMU assumes for net= without one: the address's class. */
static uint32_t classful_mask(uint32_t a)
{
    if (!(a & 0x80000000u))
        return 0xff000000u;
    if ((a & 0xfff00000u) == 0xac100000u)
        return 0xfff00000u;
    if ((a & 0xc0000000u) == 0x80000000u)
        return 0xffff0000u;
    if ((a & 0xffff0000u) == 0xc0a80000u)
        return 0xffff0000u;
    if ((a & 0xfffe0000u) == 0xc6120000u)
        return 0xfffe0000u;
    if ((a & 0xe0000000u) == 0xc0000000u)
        return 0xffffff00u;
    return 0xfffffff0u;
}

static int parse_net(const char *v, UserConf *u)
{
    char buf[64];
    if (strlen(v) >= sizeof buf)
        return -1;
    strcpy(buf, v);
    char *slash = strchr(buf, '/');
    if (slash)
        *slash++ = '\0';
    if (parse_ip4(buf, &u->net))
        return -1;
    uint32_t mask;
    if (!slash) {
        mask = classful_mask(ntohl(u->net.s_addr));
    } else if (strchr(slash, '.')) {
        struct in_addr m;
        if (parse_ip4(slash, &m))
            return -1;
        mask = ntohl(m.s_addr);
        if (mask & (~mask >> 1))
            return -1; /* not contiguous */
    } else {
        long bits;
        if (parse_int(slash, 0, 32, &bits))
            return -1;
        mask = bits ? 0xffffffffu << (32 - bits) : 0;
    }
    u->mask.s_addr = htonl(mask);
    u->net.s_addr &= u->mask.s_addr;
    return 0;
}

static bool in6_prefix(const struct in6_addr *a, const struct in6_addr *prefix, int len)
{
    for (int i = 0; i < 16; i++) {
        int bits = len - i * 8;
        if (bits <= 0)
            break;
        uint8_t m = bits >= 8 ? 0xff : (uint8_t)(0xff << (8 - bits));
        if ((a->s6_addr[i] & m) != (prefix->s6_addr[i] & m))
            return false;
    }
    return true;
}

static int parse_hostfwd(const char *spec, const UserConf *u, UserHostFwd *f)
{
    char buf[256];
    if (strlen(spec) >= sizeof buf)
        return -1;
    strcpy(buf, spec);
    memset(f, 0, sizeof *f);
    f->spec = spec;
    char *p = buf, *c = strchr(p, ':');
    if (!c)
        return -1;
    *c = '\0';
    if (!strcmp(p, "udp"))
        f->udp = true;
    else if (*p && strcmp(p, "tcp"))
        return -1;
    char *host = c + 1, *dash = strchr(host, '-');
    if (!dash)
        return -1;
    *dash = '\0';
    char *guest = dash + 1;
    char *hc = strrchr(host, ':'), *gc = strrchr(guest, ':');
    if (!hc || !gc || strchr(host, '[') || strchr(guest, '['))
        return -1;
    *hc = *gc = '\0';
    long port;
    f->host_addr.s_addr = htonl(INADDR_ANY);
    if (*host && parse_ip4(host, &f->host_addr))
        return -1;
    if (parse_int(hc + 1, 0, 65535, &port))
        return -1;
    f->host_port = (int)port;
    f->guest_addr = u->dhcp;
    if (*guest && parse_ip4(guest, &f->guest_addr))
        return -1;
    if (parse_int(gc + 1, 1, 65535, &port))
        return -1;
    f->guest_port = (int)port;
    return 0;
}

/* Returns 0, -1 (syntax) or -2 (address not usable). The rule's strings point
 * into f->store, a copy of spec it owns. */
static int parse_guestfwd(const char *spec, const UserConf *u, UserGuestFwd *f)
{
    memset(f, 0, sizeof *f);
    f->spec = spec;
    char *buf = f->store = xstrdup(spec);
    char *c = strchr(buf, ':');
    if (!c)
        return -1;
    *c = '\0';
    if (*buf && strcmp(buf, "tcp"))
        return -1;
    char *server = c + 1, *dash = strchr(server, '-');
    if (!dash)
        return -1;
    *dash = '\0';
    char *sc = strrchr(server, ':');
    if (!sc)
        return -1;
    *sc = '\0';
    long port;
    if (!*server || parse_ip4(server, &f->addr) || parse_int(sc + 1, 1, 65535, &port))
        return -1;
    f->port = (int)port;
    char *dev = dash + 1;
    if (!strncmp(dev, "cmd:", 4)) {
        if (!dev[4])
            return -1;
        f->cmd = dev + 4;
    } else if (!strncmp(dev, "tcp:", 4)) {
        char *h = dev + 4, *hc = strrchr(h, ':');
        if (!hc)
            return -1;
        *hc = '\0';
        if (parse_int(hc + 1, 1, 65535, &port))
            return -1;
        f->host = *h ? h : "localhost";
        f->host_port = (int)port;
    } else {
        return -1;
    }
    if (!in_net(f->addr, u->net, u->mask) || f->addr.s_addr == u->host.s_addr ||
        f->addr.s_addr == u->dns.s_addr)
        return -2;
    return 0;
}

#define UFAIL(...) (wb_errf(err, errlen, __VA_ARGS__), -1)

/* Fills u from the user backend's keys (the caller took id/type/name). */
static int user_parse(Kv *kv, UserConf *u, const char *origin, char *err, size_t errlen)
{
    const char *v;
    memset(u, 0, sizeof *u);
    u->ipv4 = u->ipv6 = true;
    if ((v = kv_get(kv, "ipv4")) && parse_onoff(v, &u->ipv4))
        return UFAIL("%s: ipv4=%s: expected on or off", origin, v);
    if ((v = kv_get(kv, "ipv6")) && parse_onoff(v, &u->ipv6))
        return UFAIL("%s: ipv6=%s: expected on or off", origin, v);
    if (!u->ipv4 && !u->ipv6)
        return UFAIL("%s: IPv4 and IPv6 cannot both be disabled", origin);
    if ((v = kv_get(kv, "restrict")) && parse_onoff(v, &u->restricted))
        return UFAIL("%s: restrict=%s: expected on, off, yes or no", origin, v);

    /* IPv4 network and the addresses in it */
    u->net.s_addr = htonl(0x0a000200);
    u->mask.s_addr = htonl(0xffffff00);
    const char *ip = kv_get(kv, "ip"); /* QEMU's old name for net= */
    if (!(v = kv_get(kv, "net")))
        v = ip;
    if (v && parse_net(v, u))
        return UFAIL("%s: net=%s: expected ADDRESS[/MASK] (MASK: 0-32 or a netmask)", origin, v);
    u->host = net_addr(u, 0x0202);
    u->dns = net_addr(u, 0x0203);
    u->dhcp = net_addr(u, 0x020f);
    u->smbserver = net_addr(u, 0x0204);
    char netbuf[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &u->net, netbuf, sizeof netbuf);
    int bits = __builtin_popcount(u->mask.s_addr);
    if ((v = kv_get(kv, "host"))) {
        if (parse_ip4(v, &u->host))
            return UFAIL("%s: host=%s: not an IPv4 address", origin, v);
        if (!in_net(u->host, u->net, u->mask))
            return UFAIL("%s: host=%s is not in the network %s/%d", origin, v, netbuf, bits);
    }
    if ((v = kv_get(kv, "dns"))) {
        if (parse_ip4(v, &u->dns))
            return UFAIL("%s: dns=%s: not an IPv4 address", origin, v);
        if (!in_net(u->dns, u->net, u->mask))
            return UFAIL("%s: dns=%s is not in the network %s/%d", origin, v, netbuf, bits);
    }
    if (u->dns.s_addr == u->host.s_addr)
        return UFAIL("%s: the DNS address must differ from the host address", origin);
    if ((v = kv_get(kv, "dhcpstart"))) {
        if (parse_ip4(v, &u->dhcp))
            return UFAIL("%s: dhcpstart=%s: not an IPv4 address", origin, v);
        if (!in_net(u->dhcp, u->net, u->mask))
            return UFAIL("%s: dhcpstart=%s is not in the network %s/%d", origin, v, netbuf, bits);
    }
    if (u->dhcp.s_addr == u->host.s_addr || u->dhcp.s_addr == u->dns.s_addr)
        return UFAIL("%s: the first DHCP address must differ from the host and DNS addresses",
                     origin);

    /* IPv6 */
    inet_pton(AF_INET6, "fec0::", &u->prefix6);
    u->prefix6_len = 64;
    const char *net6 = kv_get(kv, "ipv6-net"), *pfx = kv_get(kv, "ipv6-prefix");
    const char *pfxlen = kv_get(kv, "ipv6-prefixlen");
    if (net6) {
        char buf[INET6_ADDRSTRLEN + 8];
        long len = 64;
        if (strlen(net6) >= sizeof buf)
            return UFAIL("%s: ipv6-net=%s: expected ADDRESS[/LENGTH]", origin, net6);
        strcpy(buf, net6);
        char *slash = strchr(buf, '/');
        if (slash)
            *slash++ = '\0';
        if (inet_pton(AF_INET6, buf, &u->prefix6) != 1 ||
            (slash && parse_int(slash, 0, 126, &len)))
            return UFAIL("%s: ipv6-net=%s: expected ADDRESS[/LENGTH] (LENGTH 0-126)", origin,
                         net6);
        u->prefix6_len = (int)len;
    }
    if (pfx && inet_pton(AF_INET6, pfx, &u->prefix6) != 1)
        return UFAIL("%s: ipv6-prefix=%s: not an IPv6 address", origin, pfx);
    if (pfxlen) {
        long len;
        if (parse_int(pfxlen, 0, 126, &len))
            return UFAIL("%s: ipv6-prefixlen=%s: expected 0 to 126", origin, pfxlen);
        u->prefix6_len = (int)len;
    }
    for (int i = 0; i < 16; i++) { /* clear the bits past the prefix */
        int b = u->prefix6_len - i * 8;
        u->prefix6.s6_addr[i] &= b >= 8 ? 0xff : b <= 0 ? 0 : (uint8_t)(0xff << (8 - b));
    }
    u->host6 = u->dns6 = u->prefix6;
    u->host6.s6_addr[15] |= 2;
    u->dns6.s6_addr[15] |= 3;
    if ((v = kv_get(kv, "ipv6-host"))) {
        if (inet_pton(AF_INET6, v, &u->host6) != 1)
            return UFAIL("%s: ipv6-host=%s: not an IPv6 address", origin, v);
        if (!in6_prefix(&u->host6, &u->prefix6, u->prefix6_len))
            return UFAIL("%s: ipv6-host=%s is not in the IPv6 prefix", origin, v);
    }
    if ((v = kv_get(kv, "ipv6-dns"))) {
        if (inet_pton(AF_INET6, v, &u->dns6) != 1)
            return UFAIL("%s: ipv6-dns=%s: not an IPv6 address", origin, v);
        if (!in6_prefix(&u->dns6, &u->prefix6, u->prefix6_len))
            return UFAIL("%s: ipv6-dns=%s is not in the IPv6 prefix", origin, v);
    }

    /* Names and files */
    if ((v = kv_get(kv, "hostname"))) {
        if (strlen(v) > 255)
            return UFAIL("%s: hostname= is too long", origin);
        u->hostname = v;
    }
    if ((v = kv_get(kv, "domainname"))) {
        if (!valid_domain(v))
            return UFAIL("%s: domainname=%s: not a valid domain name", origin, v);
        u->domainname = v;
    }
    int pos = 0;
    while ((v = kv_next(kv, "dnssearch", &pos))) {
        if (!valid_domain(v))
            return UFAIL("%s: dnssearch=%s: not a valid domain name", origin, v);
        u->dnssearch = xrealloc(u->dnssearch, (size_t)(u->ndnssearch + 2) * sizeof(char *));
        u->dnssearch[u->ndnssearch++] = v;
        u->dnssearch[u->ndnssearch] = NULL;
    }
    u->tftp = kv_get(kv, "tftp");
    u->bootfile = kv_get(kv, "bootfile");
    u->tftp_server_name = kv_get(kv, "tftp-server-name");
    if (u->tftp) {
        struct stat st;
        if (stat(u->tftp, &st) != 0 || !S_ISDIR(st.st_mode))
            return UFAIL("%s: tftp=%s: not a directory", origin, u->tftp);
    }
    if ((v = kv_get(kv, "dns-resolv"))) {
        if (access(v, R_OK) != 0)
            return UFAIL("%s: dns-resolv=%s: %s", origin, v, strerror(errno));
        u->dns_resolv = v;
    }

    /* smb= */
    const char *smbserver = kv_get(kv, "smbserver");
    if ((v = kv_get(kv, "smb"))) {
        struct stat st;
        if (stat(v, &st) != 0 || !S_ISDIR(st.st_mode))
            return UFAIL("%s: smb=%s: not a directory", origin, v);
        u->smbd = find_smbd();
        if (!u->smbd)
            return UFAIL("%s: smb= needs Samba's smbd, which is not installed "
                         "(apt-get install samba)",
                         origin);
        u->smb = v;
        if (smbserver) {
            if (parse_ip4(smbserver, &u->smbserver))
                return UFAIL("%s: smbserver=%s: not an IPv4 address", origin, smbserver);
            if (!in_net(u->smbserver, u->net, u->mask) || u->smbserver.s_addr == u->host.s_addr ||
                u->smbserver.s_addr == u->dns.s_addr)
                return UFAIL("%s: smbserver=%s must be a free address in the network %s/%d",
                             origin, smbserver, netbuf, bits);
        }
    } else if (smbserver) {
        return UFAIL("%s: smbserver= needs smb=DIR", origin);
    }

    /* Forwarding rules */
    pos = 0;
    while ((v = kv_next(kv, "hostfwd", &pos))) {
        u->hostfwd = xrealloc(u->hostfwd, (size_t)(u->nhostfwd + 1) * sizeof *u->hostfwd);
        if (parse_hostfwd(v, u, &u->hostfwd[u->nhostfwd]))
            return UFAIL("%s: invalid hostfwd rule '%s' (expected "
                         "[tcp|udp]:[hostaddr]:hostport-[guestaddr]:guestport)",
                         origin, v);
        u->nhostfwd++;
    }
    pos = 0;
    while ((v = kv_next(kv, "guestfwd", &pos))) {
        u->guestfwd = xrealloc(u->guestfwd, (size_t)(u->nguestfwd + 1) * sizeof *u->guestfwd);
        UserGuestFwd *g = &u->guestfwd[u->nguestfwd++];
        int r = parse_guestfwd(v, u, g);
        if (r == -1)
            return UFAIL("%s: invalid guestfwd rule '%s' (expected "
                         "[tcp]:server:port-cmd:COMMAND or [tcp]:server:port-tcp:HOST:PORT)",
                         origin, v);
        if (r == -2)
            return UFAIL("%s: guestfwd rule '%s': the server address must be a free address in "
                         "the network %s/%d",
                         origin, v, netbuf, bits);
    }
    return 0;
}

static void user_conf_free(UserConf *u)
{
    if (!u)
        return;
    free(u->dnssearch);
    free(u->hostfwd);
    for (int i = 0; i < u->nguestfwd; i++)
        free(u->guestfwd[i].store);
    free(u->guestfwd);
    free(u);
}

/* ------------------------------------------------------------------ recording options */

static const char *const known_backends[] = {"user", "hubport", NULL};
static const char *const other_backends[] = {
    "tap",      "bridge",      "socket",      "stream",      "dgram", "vde",
    "l2tpv3",   "vhost-user",  "vhost-vdpa",  "netmap",      "af-xdp", "vmnet-host",
    "vmnet-shared", "vmnet-bridged", "dump", NULL};

static bool in_list(const char *s, const char *const *list)
{
    for (int i = 0; list[i]; i++)
        if (!strcmp(s, list[i]))
            return true;
    return false;
}

static bool is_help(const char *v)
{
    return v && (!strcmp(v, "help") || !strcmp(v, "?"));
}

int netconf_add(NetConfig *c, NetOptKind kind, const char *val, char *err, size_t errlen)
{
    const char *name = opt_names[kind];
    if ((kind == NETOPT_NIC || kind == NETOPT_NET) && !strcmp(val, "none")) {
        c->nic_none = true;
        return 0;
    }
    Kv *kv = kv_parse(val, kind == NETOPT_DEVICE ? "driver" : "type");
    const char *first = kv_get(kv, kind == NETOPT_DEVICE ? "driver" : "type");
    if (!first)
        first = "";
    int rc = 0;
    if (kind == NETOPT_DEVICE) {
        if (is_help(first)) {
            c->help = NET_HELP_DEVICES;
        } else {
            for (int i = 1; i < kv->n; i++) {
                if (!strcmp(kv->items[i].key, "help") || !strcmp(kv->items[i].key, "?")) {
                    if (!nic_model_find(first))
                        rc = wb_errf(err, errlen, "%s %s: '%s' is not a valid device model name",
                                  name, val, first);
                    c->help = NET_HELP_DEVICE_PROPS;
                    snprintf(c->help_model, sizeof c->help_model, "%s", first);
                }
            }
        }
    } else {
        if (is_help(first))
            c->help = kind == NETOPT_NIC ? NET_HELP_NIC : NET_HELP_BACKENDS;
        else if (is_help(kv_get(kv, "model")))
            c->help = NET_HELP_MODELS;
    }
    kv_free(kv);
    if (rc || c->help)
        return rc;
    if (c->nopts >= NET_MAX_OPTS)
        return wb_errf(err, errlen, "%s %s: too many network options (at most %d)", name, val,
                    NET_MAX_OPTS);
    c->opt[c->nopts].kind = kind;
    c->opt[c->nopts].val = val;
    c->nopts++;
    return 0;
}

void netconf_print_help(const NetConfig *c, FILE *f)
{
    switch (c->help) {
    case NET_HELP_BACKENDS:
    case NET_HELP_NIC:
        fputs("Available netdev backend types:\n", f);
        for (int i = 0; known_backends[i]; i++)
            if (strcmp(known_backends[i], "user") || net_user_available())
                fprintf(f, "%s\n", known_backends[i]);
        if (c->help == NET_HELP_BACKENDS)
            break;
        fputs("\n", f);
        /* fall through */
    case NET_HELP_MODELS:
        fputs("Available NIC models:\n", f);
        for (int i = 0; nic_models[i]; i++)
            fprintf(f, "%s\n", nic_models[i]->name);
        break;
    case NET_HELP_DEVICES:
        fputs("Network devices:\n", f);
        for (int i = 0; nic_models[i]; i++)
            fprintf(f, "name \"%s\", bus PCI, desc \"%s\"\n", nic_models[i]->name,
                    nic_models[i]->desc);
        break;
    case NET_HELP_DEVICE_PROPS:
        fprintf(f, "%s options:\n", c->help_model);
        fputs("  addr=<int32>           - Slot and optional function number, example: 06.0 or 06\n"
              "  id=<str>               - Device id\n"
              "  mac=<str>              - Ethernet 6-byte MAC Address, example: "
              "52:54:00:12:34:56\n"
              "  netdev=<str>           - ID of a netdev to use as a backend\n",
              f);
        break;
    case NET_HELP_NONE:
        break;
    }
}

/* ------------------------------------------------------------------ the plan */

typedef struct Builder {
    NetPlan *p;
    char *err;
    size_t errlen;
    int user_count; /* names user.N for -net user without a name */
    int nic_count;  /* __org.qemu.nicN */
} Builder;

static int add_netdev(Builder *b, NetdevType type, char *name, const char *origin)
{
    NetPlan *p = b->p;
    p->netdevs = xrealloc(p->netdevs, (size_t)(p->nnetdevs + 1) * sizeof *p->netdevs);
    PlanNetdev *d = &p->netdevs[p->nnetdevs];
    memset(d, 0, sizeof *d);
    d->type = type;
    d->name = name;
    d->origin = origin;
    d->link = d->nic = d->linked_by = -1;
    return p->nnetdevs++;
}

static PlanNic *add_nic(Builder *b, const NicModel *model, const char *origin, bool board)
{
    NetPlan *p = b->p;
    p->nics = xrealloc(p->nics, (size_t)(p->nnics + 1) * sizeof *p->nics);
    PlanNic *n = &p->nics[p->nnics++];
    memset(n, 0, sizeof *n);
    n->model = model;
    n->origin = origin;
    n->board = board;
    n->devfn = -1;
    n->netdev = -1;
    return n;
}

static void warn(NetPlan *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warn(NetPlan *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0)
        s = NULL;
    va_end(ap);
    if (!s)
        return;
    p->warnings = xrealloc(p->warnings, (size_t)(p->nwarnings + 1) * sizeof(char *));
    p->warnings[p->nwarnings++] = s;
}

static const NicModel *model_or_fail(Builder *b, const char *origin, const char *model)
{
    const NicModel *m = nic_model_find(model);
    if (!m) {
        char list[256] = "";
        for (int i = 0; nic_models[i]; i++)
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "",
                     nic_models[i]->name);
        wb_errf(b->err, b->errlen, "%s: unknown NIC model '%s' (available: %s)", origin, model, list);
    }
    return m;
}

static int parse_nic_mac(Builder *b, const char *origin, const char *key, const char *v,
                         uint8_t mac[6])
{
    if (net_parse_mac(v, mac))
        return wb_errf(b->err, b->errlen, "%s: %s=%s: invalid MAC address (expected "
                    "xx:xx:xx:xx:xx:xx)", origin, key, v);
    if (mac[0] & 1)
        return wb_errf(b->err, b->errlen, "%s: %s=%s: a NIC's MAC address must not be multicast",
                    origin, key, v);
    if (!(mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]))
        return wb_errf(b->err, b->errlen, "%s: %s=%s: a NIC's MAC address must not be zero", origin,
                    key, v);
    return 0;
}

static int nic_props(Builder *b, PlanNic *n, Kv *kv, const char *mac_key)
{
    const char *v;
    if ((v = kv_get(kv, mac_key))) {
        if (parse_nic_mac(b, n->origin, mac_key, v, n->mac))
            return 1;
        n->mac_set = true;
    }
    if ((v = kv_get(kv, "addr"))) {
        if (net_parse_pci_addr(v, &n->devfn))
            return wb_errf(b->err, b->errlen, "%s: addr=%s: invalid PCI address (expected "
                        "SLOT[.FUNCTION] in hex, slot 0-1f)", n->origin, v);
    }
    return 0;
}

static int check_unused(Builder *b, Kv *kv, const char *origin)
{
    const char *k = kv_unused(kv);
    if (k)
        return wb_errf(b->err, b->errlen, "%s: invalid parameter '%s'", origin, k);
    return 0;
}

static int backend_type_check(Builder *b, const char *origin, const char *type)
{
    if (!*type)
        return wb_errf(b->err, b->errlen, "%s: missing backend type (see -netdev help)", origin);
    if (!strcmp(type, "user") && !net_user_available())
        return wb_errf(b->err, b->errlen, "%s: this wirebox was built without libslirp: no user "
                    "networking", origin);
    if (in_list(type, other_backends))
        return wb_errf(b->err, b->errlen, "%s: the '%s' backend is not supported by wirebox "
                    "(supported: user, hubport)", origin, type);
    if (!in_list(type, known_backends))
        return wb_errf(b->err, b->errlen, "%s: '%s' is not a netdev backend type (see -netdev help)",
                    origin, type);
    return 0;
}

/* A user backend from kv (type/id/name already taken). */
static int add_user(Builder *b, Kv *kv, char *name, const char *origin)
{
    UserConf *u = xcalloc(1, sizeof *u);
    if (user_parse(kv, u, origin, b->err, b->errlen)) {
        user_conf_free(u);
        free(name);
        kv_free(kv);
        return -1;
    }
    if (check_unused(b, kv, origin)) {
        user_conf_free(u);
        free(name);
        kv_free(kv);
        return -1;
    }
    int i = add_netdev(b, NETDEV_USER, name, origin);
    b->p->netdevs[i].user = u;
    b->p->netdevs[i].kv = kv;
    return i;
}

static int id_or_fail(Builder *b, const char *origin, const char *id)
{
    if (!valid_id(id))
        return wb_errf(b->err, b->errlen, "%s: id=%s: an id is a letter followed by letters, "
                    "digits, '-', '.' or '_'", origin, id);
    return 0;
}

static int plan_netdev(Builder *b, const char *origin, const char *val)
{
    Kv *kv = kv_parse(val, "type");
    const char *type = kv_get(kv, "type");
    if (!type)
        type = "";
    if (backend_type_check(b, origin, type))
        goto bad;
    const char *id = kv_get(kv, "id");
    if (!id) {
        wb_errf(b->err, b->errlen, "%s: parameter 'id' is missing", origin);
        goto bad;
    }
    if (id_or_fail(b, origin, id))
        goto bad;
    if (!strcmp(type, "user"))
        return add_user(b, kv, xstrdup(id), origin) < 0;
    /* hubport */
    const char *hubid = kv_get(kv, "hubid"), *link = kv_get(kv, "netdev");
    long hub;
    if (!hubid) {
        wb_errf(b->err, b->errlen, "%s: parameter 'hubid' is missing", origin);
        goto bad;
    }
    if (parse_int(hubid, 0, 0x7fffffff, &hub)) {
        wb_errf(b->err, b->errlen, "%s: hubid=%s: expected a number", origin, hubid);
        goto bad;
    }
    if (check_unused(b, kv, origin))
        goto bad;
    int i = add_netdev(b, NETDEV_HUBPORT, xstrdup(id), origin);
    b->p->netdevs[i].hub = (int)hub;
    b->p->netdevs[i].link_name = link ? xstrdup(link) : NULL;
    kv_free(kv);
    return 0;
bad:
    kv_free(kv);
    return 1;
}

/* An implicit port of hub 0 for -net. */
static int hub0_port(Builder *b, const char *origin)
{
    int n = 0;
    for (int i = 0; i < b->p->nnetdevs; i++)
        n += b->p->netdevs[i].type == NETDEV_HUBPORT && b->p->netdevs[i].hub == 0;
    int i = add_netdev(b, NETDEV_HUBPORT, xasprintf("hub0port%d", n), origin);
    b->p->netdevs[i].hub = 0;
    return i;
}

static int plan_nic_option(Builder *b, const char *origin, const char *val)
{
    /* -nic [TYPE][,model=][,mac=][,id=][,backend options]; TYPE defaults to user */
    Kv *kv = kv_parse(val, "type");
    const char *type = kv_get(kv, "type");
    const char *model = kv_get(kv, "model"), *mac = kv_get(kv, "mac"), *id = kv_get(kv, "id");
    uint8_t macb[6];
    if (!type)
        type = "user";
    if (backend_type_check(b, origin, type) ||
        (strcmp(type, "user") && wb_errf(b->err, b->errlen, "%s: -nic needs a host backend type "
                                      "(user), not '%s'", origin, type)) ||
        (mac && parse_nic_mac(b, origin, "mac", mac, macb)) || (id && id_or_fail(b, origin, id))) {
        kv_free(kv);
        return 1;
    }
    const NicModel *m = model_or_fail(b, origin, model ? model : "e1000");
    if (!m) {
        kv_free(kv);
        return 1;
    }
    char *name = id ? xstrdup(id) : xasprintf("__org.qemu.nic%d", b->nic_count);
    b->nic_count++;
    int d = add_user(b, kv, name, origin);
    if (d < 0)
        return 1;
    PlanNic *n = add_nic(b, m, origin, true);
    if (mac) {
        n->mac_set = true;
        memcpy(n->mac, macb, 6);
    }
    n->netdev_name = xstrdup(b->p->netdevs[d].name);
    return 0;
}

static int plan_net_option(Builder *b, const char *origin, const char *val)
{
    Kv *kv = kv_parse(val, "type");
    const char *type = kv_get(kv, "type");
    if (!type)
        type = "";
    if (kv_get(kv, "vlan")) {
        kv_free(kv);
        return wb_errf(b->err, b->errlen, "%s: vlan= is gone (as in QEMU 3.0 and later); use "
                    "netdev= or -netdev hubport", origin);
    }
    if (!strcmp(type, "nic")) {
        const char *model = kv_get(kv, "model");
        const NicModel *m = model_or_fail(b, origin, model ? model : "e1000");
        if (!m) {
            kv_free(kv);
            return 1;
        }
        PlanNic *n = add_nic(b, m, origin, true);
        const char *v;
        if (nic_props(b, n, kv, "macaddr"))
            goto bad;
        if ((v = kv_get(kv, "name")) || (v = kv_get(kv, "id")))
            n->id = xstrdup(v);
        kv_get(kv, "vectors"); /* MSI-X vectors: meaningless for e1000 */
        if ((v = kv_get(kv, "netdev")))
            n->netdev_name = xstrdup(v);
        if (check_unused(b, kv, origin))
            goto bad;
        if (!n->netdev_name) {
            int port = hub0_port(b, origin);
            n->netdev_name = xstrdup(b->p->netdevs[port].name);
        }
        kv_free(kv);
        return 0;
    }
    if (backend_type_check(b, origin, type))
        goto bad;
    if (!strcmp(type, "hubport")) {
        kv_free(kv);
        return wb_errf(b->err, b->errlen, "%s: use -netdev hubport,id=ID,hubid=N", origin);
    }
    /* -net user: a user backend on hub 0 */
    const char *id = kv_get(kv, "id"), *name = kv_get(kv, "name");
    if (!id)
        id = name;
    char *nm = id ? xstrdup(id) : xasprintf("user.%d", b->user_count);
    b->user_count++;
    int d = add_user(b, kv, nm, origin);
    if (d < 0)
        return 1;
    int port = hub0_port(b, origin);
    b->p->netdevs[port].link_name = xstrdup(b->p->netdevs[d].name);
    return 0;
bad:
    kv_free(kv);
    return 1;
}

static int plan_device(Builder *b, const char *origin, const char *val)
{
    Kv *kv = kv_parse(val, "driver");
    const char *driver = kv_get(kv, "driver");
    if (!driver || !nic_model_find(driver)) {
        wb_errf(b->err, b->errlen, "%s: '%s' is not a valid device model name (see -device help)",
             origin, driver ? driver : "");
        kv_free(kv);
        return 1;
    }
    PlanNic *n = add_nic(b, nic_model_find(driver), origin, false);
    const char *v;
    if ((v = kv_get(kv, "id"))) {
        if (id_or_fail(b, origin, v))
            goto bad;
        n->id = xstrdup(v);
    }
    if (nic_props(b, n, kv, "mac"))
        goto bad;
    if ((v = kv_get(kv, "netdev")))
        n->netdev_name = xstrdup(v);
    kv_get(kv, "bus"); /* there is one PCI bus */
    const char *k = kv_unused(kv);
    if (k) {
        wb_errf(b->err, b->errlen, "%s: property '%s.%s' not found", origin, driver, k);
        goto bad;
    }
    kv_free(kv);
    return 0;
bad:
    kv_free(kv);
    return 1;
}

static int find_netdev(NetPlan *p, const char *name)
{
    for (int i = 0; i < p->nnetdevs; i++)
        if (!strcmp(p->netdevs[i].name, name))
            return i;
    return -1;
}

void net_plan_free(NetPlan *p)
{
    if (!p)
        return;
    for (int i = 0; i < p->nnetdevs; i++) {
        free(p->netdevs[i].name);
        free(p->netdevs[i].link_name);
        user_conf_free(p->netdevs[i].user);
        kv_free(p->netdevs[i].kv);
    }
    for (int i = 0; i < p->nnics; i++) {
        free(p->nics[i].name);
        free(p->nics[i].id);
        free(p->nics[i].netdev_name);
    }
    for (int i = 0; i < p->nwarnings; i++)
        free(p->warnings[i]);
    for (int i = 0; i < NET_MAX_OPTS; i++)
        free(p->origins[i]);
    free(p->netdevs);
    free(p->nics);
    free(p->warnings);
    free(p);
}

static int plan_resolve(Builder *b)
{
    NetPlan *p = b->p;
    /* Ids are unique among netdevs, and among devices. */
    for (int i = 0; i < p->nnetdevs; i++)
        for (int j = 0; j < i; j++)
            if (!strcmp(p->netdevs[i].name, p->netdevs[j].name))
                return wb_errf(b->err, b->errlen, "%s: duplicate netdev id '%s'",
                            p->netdevs[i].origin, p->netdevs[i].name);
    for (int i = 0; i < p->nnics; i++)
        for (int j = 0; j < i; j++)
            if (p->nics[i].id && p->nics[j].id && !strcmp(p->nics[i].id, p->nics[j].id))
                return wb_errf(b->err, b->errlen, "%s: duplicate device id '%s'", p->nics[i].origin,
                            p->nics[i].id);

    /* Hub ports wired to a backend (netdev=, or -net user's port). */
    for (int i = 0; i < p->nnetdevs; i++) {
        PlanNetdev *d = &p->netdevs[i];
        if (d->type != NETDEV_HUBPORT || !d->link_name)
            continue;
        int t = find_netdev(p, d->link_name);
        if (t < 0)
            return wb_errf(b->err, b->errlen, "%s: netdev '%s' not found", d->origin, d->link_name);
        if (p->netdevs[t].type == NETDEV_HUBPORT)
            return wb_errf(b->err, b->errlen, "%s: netdev '%s' is a hub port; hubs cannot be "
                        "chained", d->origin, d->link_name);
        if (p->netdevs[t].linked_by >= 0)
            return wb_errf(b->err, b->errlen, "%s: netdev '%s' is already in use", d->origin,
                        d->link_name);
        d->link = t;
        p->netdevs[t].linked_by = i;
    }
    /* NICs: board ones (-nic, -net nic) first, then -device, each in order. */
    PlanNic *sorted = xcalloc((size_t)p->nnics, sizeof *sorted);
    int k = 0;
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < p->nnics; i++)
            if (p->nics[i].board == (pass == 0))
                sorted[k++] = p->nics[i];
    if (p->nnics)
        memcpy(p->nics, sorted, (size_t)p->nnics * sizeof *sorted);
    free(sorted);
    int per_model[16] = {0};
    for (int i = 0; i < p->nnics; i++) {
        PlanNic *n = &p->nics[i];
        int mi = 0;
        while (nic_models[mi] && nic_models[mi] != n->model)
            mi++;
        if (n->id)
            n->name = xstrdup(n->id);
        else
            n->name = xasprintf("%s.%d", n->model->name, per_model[mi & 15]);
        per_model[mi & 15]++;
        if (!n->netdev_name)
            continue;
        int t = find_netdev(p, n->netdev_name);
        if (t < 0)
            return wb_errf(b->err, b->errlen, "%s: netdev '%s' not found", n->origin,
                        n->netdev_name);
        PlanNetdev *d = &p->netdevs[t];
        if (d->nic >= 0 || d->linked_by >= 0 || (d->type == NETDEV_HUBPORT && d->link >= 0))
            return wb_errf(b->err, b->errlen, "%s: netdev '%s' is already in use", n->origin,
                        n->netdev_name);
        n->netdev = t;
        d->nic = i;
    }

    /* MAC addresses: QEMU's 52:54:00:12:34:56 upwards, skipping given ones. */
    int next = 0;
    for (int i = 0; i < p->nnics; i++) {
        PlanNic *n = &p->nics[i];
        if (n->mac_set)
            continue;
        for (;; next++) {
            uint8_t mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, (uint8_t)(0x56 + next)};
            bool taken = false;
            for (int j = 0; j < p->nnics; j++)
                if (p->nics[j].mac_set && !memcmp(p->nics[j].mac, mac, 6))
                    taken = true;
            if (!taken) {
                memcpy(n->mac, mac, 6);
                next++;
                break;
            }
        }
    }

    /* QEMU's warnings for things left unconnected. */
    for (int i = 0; i < p->nnics; i++)
        if (p->nics[i].netdev < 0)
            warn(p, "nic %s has no peer", p->nics[i].name);
    for (int i = 0; i < p->nnetdevs; i++) {
        PlanNetdev *d = &p->netdevs[i];
        bool peer = d->nic >= 0 || d->linked_by >= 0 || d->link >= 0;
        if (!peer)
            warn(p, "%s %s has no peer", d->type == NETDEV_HUBPORT ? "hub port" : "netdev",
                 d->name);
    }
    for (int i = 0; i < p->nnetdevs; i++) {
        PlanNetdev *d = &p->netdevs[i];
        if (d->type != NETDEV_HUBPORT)
            continue;
        bool first = true;
        for (int j = 0; j < i; j++)
            if (p->netdevs[j].type == NETDEV_HUBPORT && p->netdevs[j].hub == d->hub)
                first = false;
        if (!first)
            continue;
        bool has_nic = false, has_host = false;
        for (int j = 0; j < p->nnetdevs; j++) {
            PlanNetdev *q = &p->netdevs[j];
            if (q->type != NETDEV_HUBPORT || q->hub != d->hub)
                continue;
            has_nic |= q->nic >= 0;
            has_host |= q->link >= 0;
        }
        if (has_nic && !has_host)
            warn(p, "hub %d is not connected to host network", d->hub);
        if (has_host && !has_nic)
            warn(p, "hub %d with no nics", d->hub);
    }
    return 0;
}

int net_plan(const NetConfig *c, bool nodefaults, NetPlan **out, char *err, size_t errlen)
{
    Builder b = {.p = xcalloc(1, sizeof(NetPlan)), .err = err, .errlen = errlen};
    *out = NULL;
    bool any = false;
    for (int i = 0; i < c->nopts; i++) {
        const char *val = c->opt[i].val;
        /* the option's text, for messages: "-netdev user,id=n0" */
        char *origin = b.p->origins[i] = xasprintf("%s %s", opt_names[c->opt[i].kind], val);
        int rc = 0;
        switch (c->opt[i].kind) {
        case NETOPT_NETDEV:
            any = true;
            rc = plan_netdev(&b, origin, val);
            break;
        case NETOPT_NIC:
            any = true;
            rc = plan_nic_option(&b, origin, val);
            break;
        case NETOPT_NET:
            any = true;
            rc = plan_net_option(&b, origin, val);
            break;
        case NETOPT_DEVICE:
            rc = plan_device(&b, origin, val);
            break;
        }
        if (rc) {
            net_plan_free(b.p);
            return 1;
        }
    }
    /* QEMU's default on a PC: -net nic -net user (both on hub 0). */
    if (!any && !c->nic_none && !nodefaults) {
        static const char def[] = "(default network)";
        PlanNic *n = add_nic(&b, nic_models[0], def, true);
        int port = hub0_port(&b, def);
        n->netdev_name = xstrdup(b.p->netdevs[port].name);
        if (net_user_available()) {
            Kv *kv = kv_parse("", "type");
            int d = add_user(&b, kv, xstrdup("user.0"), def);
            if (d < 0) {
                net_plan_free(b.p);
                return 1;
            }
            port = hub0_port(&b, def);
            b.p->netdevs[port].link_name = xstrdup("user.0");
        }
    }
    if (plan_resolve(&b)) {
        net_plan_free(b.p);
        return 1;
    }
    *out = b.p;
    return 0;
}

int netconf_check(const NetConfig *c, bool nodefaults, char *err, size_t errlen)
{
    NetPlan *p;
    if (net_plan(c, nodefaults, &p, err, errlen))
        return 1;
    net_plan_free(p);
    return 0;
}

/* ------------------------------------------------------------------ building */

int net_build(Machine *m, const NetConfig *c, bool nodefaults, char *err, size_t errlen)
{
    NetPlan *p;
    if (net_plan(c, nodefaults, &p, err, errlen))
        return 1;
    for (int i = 0; i < p->nwarnings; i++)
        wb_log("warning: %s", p->warnings[i]);
    NetClient **nc = xcalloc((size_t)p->nnetdevs, sizeof *nc);
    int rc = 0;
    for (int i = 0; i < p->nnetdevs && !rc; i++) {
        PlanNetdev *d = &p->netdevs[i];
        if (d->type == NETDEV_USER) {
            char why[384] = "";
            nc[i] = net_user_create(m, d->name, d->user, why, sizeof why);
            if (!nc[i])
                rc = wb_errf(err, errlen, "%s: %s", d->origin, why);
        }
    }
    for (int i = 0; i < p->nnetdevs && !rc; i++) {
        PlanNetdev *d = &p->netdevs[i];
        if (d->type == NETDEV_HUBPORT) {
            nc[i] = net_hub_add_port(m, d->hub, d->name);
            if (d->link >= 0)
                net_client_set_peer(nc[i], nc[d->link]);
        }
    }
    for (int i = 0; i < p->nnics && !rc; i++) {
        PlanNic *n = &p->nics[i];
        NicConf conf = {.devfn = n->devfn, .peer = n->netdev >= 0 ? nc[n->netdev] : NULL,
                        .id = n->name};
        memcpy(conf.mac, n->mac, 6);
        char why[256] = "";
        if (!n->model->create(m, &conf, why, sizeof why))
            rc = wb_errf(err, errlen, "%s: %s", n->origin, why[0] ? why : "cannot create the NIC");
    }
    free(nc);
    net_plan_free(p);
    return rc;
}
