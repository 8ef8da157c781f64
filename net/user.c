/* -netdev user: the guest's network is libslirp's virtual one (10.0.2.0/24
 * by default), NATed to the host's sockets. libslirp runs on our event loop
 * (a poll hook: its sockets change from one poll to the next) and our timers
 * (the virtual clock). Guest DNS queries to the virtual DNS address are
 * answered by the DNS proxy (net/dns.c) rather than libslirp, which would
 * only ever ask the host's first nameserver. */
#define _GNU_SOURCE
#include <errno.h>
#include <ftw.h>
#include <netdb.h>
#include <poll.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <sys/stat.h>

#include "hw/machine.h"
#include "hw/opts.h"
#include "net/backend.h"
#include "net/dns.h"
#include "net/user.h"

/* ------------------------------------------------------------------ options */

static int parse_ip4(const char *v, struct in_addr *a)
{
    return inet_pton(AF_INET, v, a) == 1 ? 0 : -1;
}

/* A number from min to max (decimal or 0x hexadecimal). */
static int parse_num(const char *v, long min, long max, long *out)
{
    uint64_t n;
    if (opt_parse_uint(v, (uint64_t)max, &n) || (long)n < min)
        return -1;
    *out = (long)n;
    return 0;
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
        if (parse_num(slash, 0, 32, &bits))
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

int net_user_parse_hostfwd(const char *spec, const UserConf *u, UserHostFwd *f)
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
    if (parse_num(hc + 1, 0, 65535, &port))
        return -1;
    f->host_port = (int)port;
    f->guest_addr = u->dhcp;
    if (*guest && parse_ip4(guest, &f->guest_addr))
        return -1;
    if (parse_num(gc + 1, 1, 65535, &port))
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
    char *buf = f->store = wb_strdup(spec);
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
    if (!*server || parse_ip4(server, &f->addr) || parse_num(sc + 1, 1, 65535, &port))
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
        if (parse_num(hc + 1, 1, 65535, &port))
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
static int user_parse_into(Opts *o, UserConf *u, const char *origin, char *err, size_t errlen)
{
    const char *v;
    memset(u, 0, sizeof *u);
    u->ipv4 = u->ipv6 = true;
    if ((v = opts_get(o, "ipv4")) && opt_parse_bool(v, &u->ipv4))
        return UFAIL("%s: ipv4=%s: expected on or off", origin, v);
    if ((v = opts_get(o, "ipv6")) && opt_parse_bool(v, &u->ipv6))
        return UFAIL("%s: ipv6=%s: expected on or off", origin, v);
    if (!u->ipv4 && !u->ipv6)
        return UFAIL("%s: IPv4 and IPv6 cannot both be disabled", origin);
    if ((v = opts_get(o, "restrict")) && opt_parse_bool(v, &u->restricted))
        return UFAIL("%s: restrict=%s: expected on, off, yes or no", origin, v);

    /* IPv4 network and the addresses in it */
    u->net.s_addr = htonl(0x0a000200);
    u->mask.s_addr = htonl(0xffffff00);
    const char *ip = opts_get(o, "ip"); /* QEMU's old name for net= */
    if (!(v = opts_get(o, "net")))
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
    if ((v = opts_get(o, "host"))) {
        if (parse_ip4(v, &u->host))
            return UFAIL("%s: host=%s: not an IPv4 address", origin, v);
        if (!in_net(u->host, u->net, u->mask))
            return UFAIL("%s: host=%s is not in the network %s/%d", origin, v, netbuf, bits);
    }
    if ((v = opts_get(o, "dns"))) {
        if (parse_ip4(v, &u->dns))
            return UFAIL("%s: dns=%s: not an IPv4 address", origin, v);
        if (!in_net(u->dns, u->net, u->mask))
            return UFAIL("%s: dns=%s is not in the network %s/%d", origin, v, netbuf, bits);
    }
    if (u->dns.s_addr == u->host.s_addr)
        return UFAIL("%s: the DNS address must differ from the host address", origin);
    if ((v = opts_get(o, "dhcpstart"))) {
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
    const char *net6 = opts_get(o, "ipv6-net"), *pfx = opts_get(o, "ipv6-prefix");
    const char *pfxlen = opts_get(o, "ipv6-prefixlen");
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
            (slash && parse_num(slash, 0, 126, &len)))
            return UFAIL("%s: ipv6-net=%s: expected ADDRESS[/LENGTH] (LENGTH 0-126)", origin,
                         net6);
        u->prefix6_len = (int)len;
    }
    if (pfx && inet_pton(AF_INET6, pfx, &u->prefix6) != 1)
        return UFAIL("%s: ipv6-prefix=%s: not an IPv6 address", origin, pfx);
    if (pfxlen) {
        long len;
        if (parse_num(pfxlen, 0, 126, &len))
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
    if ((v = opts_get(o, "ipv6-host"))) {
        if (inet_pton(AF_INET6, v, &u->host6) != 1)
            return UFAIL("%s: ipv6-host=%s: not an IPv6 address", origin, v);
        if (!in6_prefix(&u->host6, &u->prefix6, u->prefix6_len))
            return UFAIL("%s: ipv6-host=%s is not in the IPv6 prefix", origin, v);
    }
    if ((v = opts_get(o, "ipv6-dns"))) {
        if (inet_pton(AF_INET6, v, &u->dns6) != 1)
            return UFAIL("%s: ipv6-dns=%s: not an IPv6 address", origin, v);
        if (!in6_prefix(&u->dns6, &u->prefix6, u->prefix6_len))
            return UFAIL("%s: ipv6-dns=%s is not in the IPv6 prefix", origin, v);
    }

    /* Names and files */
    if ((v = opts_get(o, "hostname"))) {
        if (strlen(v) > 255)
            return UFAIL("%s: hostname= is too long", origin);
        u->hostname = v;
    }
    if ((v = opts_get(o, "domainname"))) {
        if (!valid_domain(v))
            return UFAIL("%s: domainname=%s: not a valid domain name", origin, v);
        u->domainname = v;
    }
    int pos = 0;
    while ((v = opts_next(o, "dnssearch", &pos))) {
        if (!valid_domain(v))
            return UFAIL("%s: dnssearch=%s: not a valid domain name", origin, v);
        u->dnssearch = wb_realloc(u->dnssearch, (size_t)(u->ndnssearch + 2) * sizeof(char *));
        u->dnssearch[u->ndnssearch++] = v;
        u->dnssearch[u->ndnssearch] = NULL;
    }
    u->tftp = opts_get(o, "tftp");
    u->bootfile = opts_get(o, "bootfile");
    u->tftp_server_name = opts_get(o, "tftp-server-name");
    if (u->tftp) {
        struct stat st;
        if (stat(u->tftp, &st) != 0 || !S_ISDIR(st.st_mode))
            return UFAIL("%s: tftp=%s: not a directory", origin, u->tftp);
    }
    if ((v = opts_get(o, "dns-resolv"))) {
        if (access(v, R_OK) != 0)
            return UFAIL("%s: dns-resolv=%s: %s", origin, v, strerror(errno));
        u->dns_resolv = v;
    }

    /* smb= */
    const char *smbserver = opts_get(o, "smbserver");
    if ((v = opts_get(o, "smb"))) {
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
    while ((v = opts_next(o, "hostfwd", &pos))) {
        u->hostfwd = wb_realloc(u->hostfwd, (size_t)(u->nhostfwd + 1) * sizeof *u->hostfwd);
        if (net_user_parse_hostfwd(v, u, &u->hostfwd[u->nhostfwd]))
            return UFAIL("%s: invalid hostfwd rule '%s' (expected "
                         "[tcp|udp]:[hostaddr]:hostport-[guestaddr]:guestport)",
                         origin, v);
        u->nhostfwd++;
    }
    pos = 0;
    while ((v = opts_next(o, "guestfwd", &pos))) {
        u->guestfwd = wb_realloc(u->guestfwd, (size_t)(u->nguestfwd + 1) * sizeof *u->guestfwd);
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

static void user_conf_free(void *conf)
{
    UserConf *u = conf;
    if (!u)
        return;
    free(u->dnssearch);
    free(u->hostfwd);
    for (int i = 0; i < u->nguestfwd; i++)
        free(u->guestfwd[i].store);
    free(u->guestfwd);
    free(u);
}

static int user_parse(Opts *o, const char *origin, void **conf, char *err, size_t errlen)
{
    UserConf *u = wb_calloc(1, sizeof *u);
    if (user_parse_into(o, u, origin, err, errlen)) {
        user_conf_free(u);
        return 1;
    }
    *conf = u;
    return 0;
}

static const NetBackendOption user_options[] = {
    {"net", "ADDR[/MASK]: the guest's IPv4 network (10.0.2.0/24)"},
    {"host", "the host's address in it, the gateway (10.0.2.2)"},
    {"dhcpstart", "the first address DHCP hands out (10.0.2.15)"},
    {"dns", "the virtual DNS server (10.0.2.3)"},
    {"hostname", "DHCP option 12"},
    {"domainname", "DHCP option 15"},
    {"dnssearch", "DHCP option 119 (repeatable)"},
    {"restrict", "on|off: isolate the guest"},
    {"tftp", "the TFTP server's root directory"},
    {"bootfile", "DHCP's boot file name"},
    {"tftp-server-name", "DHCP option 66"},
    {"hostfwd", "[tcp|udp]:[hostaddr]:hostport-[guestaddr]:guestport (repeatable)"},
    {"guestfwd", "[tcp]:server:port-cmd:COMMAND or -tcp:HOST:PORT (repeatable)"},
    {"ipv4", "on|off"},
    {"ipv6", "on|off"},
    {"ipv6-net", "ADDR[/LEN] (fec0::/64)"},
    {"ipv6-host", "the host's IPv6 address (prefix::2)"},
    {"ipv6-dns", "the virtual IPv6 DNS server (prefix::3)"},
    {"smb", "DIR: share it as \\\\10.0.2.4\\qemu (needs smbd)"},
    {"smbserver", "the SMB server's address (10.0.2.4)"},
    {"dns-resolv", "wirebox: the DNS proxy's resolver file"},
    {NULL},
};

static const char *user_missing(void);
static NetClient *user_create(Machine *m, const char *name, const void *conf, char *err,
                              size_t errlen);

const NetBackend net_user_backend = {
    .type = "user",
    .desc = "user-mode networking on libslirp: NAT to host sockets, DHCP, DNS, TFTP",
    .missing = user_missing,
    .host = true,
    .options = user_options,
    .parse = user_parse,
    .free_conf = user_conf_free,
    .create = user_create,
};

#ifndef WIREBOX_HAVE_SLIRP

static const char *user_missing(void)
{
    return "this wirebox was built without libslirp: no user networking";
}

static NetClient *user_create(Machine *m, const char *name, const void *conf, char *err,
                              size_t errlen)
{
    wb_errf(err, errlen, "%s", user_missing());
    return NULL;
}

int net_user_hostfwd_add(NetClient *nc, const char *spec, char *err, size_t errlen)
{
    return wb_errf(err, errlen, "%s", user_missing());
}

int net_user_hostfwd_remove(NetClient *nc, const char *spec)
{
    return -1;
}

char *net_user_connection_info(NetClient *nc)
{
    return NULL;
}

#else
#include <slirp/libslirp.h>

#define USER_MTU 1500

typedef struct UserNet UserNet;

typedef struct UserTimer {
    Timer t;
    UserNet *u;
    SlirpTimerId id;
    SlirpTimerCb cb; /* NULL: slirp_handle_timer(id) */
    void *cb_opaque;
    struct UserTimer *next;
} UserTimer;

/* guestfwd=...-tcp:HOST:PORT: one host connection, fed by slirp_add_guestfwd */
typedef struct FwdConn {
    UserNet *u;
    int fd;
    struct in_addr addr;
    int port;
    uint8_t *out; /* guest -> host bytes the host socket has not taken yet */
    size_t nout;
} FwdConn;

struct UserNet {
    Machine *m;
    NetClient *nc;
    Slirp *slirp;
    UserTimer *timers;
    DnsProxy *dns;
    uint8_t dns_ip[4];
    uint8_t host_ip[4];
    int dns_tcp_port; /* the DNS proxy's TCP listener on host loopback, or 0 */
    struct in_addr dhcp; /* the first DHCP address: hostfwd's default guest address */
    uint16_t ip_id;
    FwdConn *fwds;
    int nfwds;
    char *smb_dir;
    int guest_errors;
    bool hooked;
    /* the current poll */
    struct pollfd *pfd;
    int npfd, max, nslirp, ndns;
    bool can_rx;
    bool probe, exchange; /* the idle loop asks whether a host reply is pending; one is */
    /* hostfwd rules (count the ones added at run time too): the host may
     * connect at any moment (hw/machine.h loop_host_may_call) */
    int nlisteners;
};

/* ------------------------------------------------------------------ libslirp callbacks */

static ssize_t cb_send_packet(const void *buf, size_t len, void *opaque)
{
    UserNet *u = opaque;
    /* The DNS proxy's TCP answers come from host:port; the guest asked dns:53. */
    if (u->dns_tcp_port &&
        dns_tcp_matches(buf, len, true, u->host_ip, (uint16_t)u->dns_tcp_port)) {
        uint8_t *copy = wb_calloc(1, len);
        memcpy(copy, buf, len);
        dns_tcp_rewrite(copy, len, true, u->host_ip, (uint16_t)u->dns_tcp_port, u->dns_ip, 53);
        net_send(u->nc, copy, len);
        free(copy);
        return (ssize_t)len;
    }
    net_send(u->nc, buf, len);
    return (ssize_t)len;
}

static void cb_guest_error(const char *msg, void *opaque)
{
    UserNet *u = opaque;
    if (u->guest_errors++ < 10)
        wb_log("%s: guest error: %s", u->nc->name, msg);
}

static int64_t cb_clock_get_ns(void *opaque)
{
    UserNet *u = opaque;
    return (int64_t)clock_ns(u->m);
}

static void timer_fire(void *opaque)
{
    UserTimer *t = opaque;
    if (t->cb)
        t->cb(t->cb_opaque);
    else
        slirp_handle_timer(t->u->slirp, t->id, t->cb_opaque);
}

static UserTimer *timer_alloc(UserNet *u)
{
    UserTimer *t = calloc(1, sizeof *t);
    if (!t) {
        wb_log("out of memory");
        exit(1);
    }
    t->u = u;
    timer_init(&t->t, timer_fire, t);
    t->next = u->timers;
    u->timers = t;
    return t;
}

static void *cb_timer_new(SlirpTimerCb cb, void *cb_opaque, void *opaque)
{
    UserTimer *t = timer_alloc(opaque);
    t->cb = cb;
    t->cb_opaque = cb_opaque;
    return t;
}

static void *cb_timer_new_opaque(SlirpTimerId id, void *cb_opaque, void *opaque)
{
    UserTimer *t = timer_alloc(opaque);
    t->id = id;
    t->cb_opaque = cb_opaque;
    return t;
}

static void cb_timer_free(void *timer, void *opaque)
{
    UserNet *u = opaque;
    UserTimer *t = timer;
    timer_del(u->m, &t->t);
    for (UserTimer **pp = &u->timers; *pp; pp = &(*pp)->next) {
        if (*pp == t) {
            *pp = t->next;
            break;
        }
    }
    free(t);
}

static void cb_timer_mod(void *timer, int64_t expire_ms, void *opaque)
{
    UserNet *u = opaque;
    UserTimer *t = timer;
    timer_mod(u->m, &t->t, expire_ms < 0 ? 0 : (uint64_t)expire_ms * 1000000ull);
}

static void cb_register_poll_fd(int fd, void *opaque)
{
    /* fds are collected afresh before every poll (slirp_pollfds_fill) */
}

static void cb_unregister_poll_fd(int fd, void *opaque)
{
}

static void cb_notify(void *opaque)
{
    UserNet *u = opaque;
    loop_kick(u->m);
}

static const SlirpCb slirp_callbacks = {
    .send_packet = cb_send_packet,
    .guest_error = cb_guest_error,
    .clock_get_ns = cb_clock_get_ns,
    .timer_new = cb_timer_new,
    .timer_free = cb_timer_free,
    .timer_mod = cb_timer_mod,
    .register_poll_fd = cb_register_poll_fd,
    .unregister_poll_fd = cb_unregister_poll_fd,
    .notify = cb_notify,
    .timer_new_opaque = cb_timer_new_opaque,
};

/* ------------------------------------------------------------------ the poll hook */

/* A TCP connection to a host peer (not a hostfwd listener): the guest
 * may be waiting for that peer (hw/machine.h loop_host_pending). */
static bool is_host_connection(int fd)
{
    int type = 0, listening = 0;
    socklen_t l = sizeof type;
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &l) != 0 || type != SOCK_STREAM)
        return false;
    l = sizeof listening;
    return getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &l) == 0 && !listening;
}

static int cb_add_poll(int fd, int events, void *opaque)
{
    UserNet *u = opaque;
    if (u->probe && !u->exchange && is_host_connection(fd))
        u->exchange = true;
    short ev = 0;
    /* While the guest side cannot take frames, host sockets are not read:
     * their data waits in the host kernel, nothing is dropped. */
    if ((events & SLIRP_POLL_IN) && u->can_rx)
        ev |= POLLIN;
    if ((events & SLIRP_POLL_PRI) && u->can_rx)
        ev |= POLLPRI;
    if (events & SLIRP_POLL_OUT)
        ev |= POLLOUT;
    if (!ev || u->npfd >= u->max)
        return -1;
    u->pfd[u->npfd] = (struct pollfd){.fd = fd, .events = ev};
    return u->npfd++;
}

static int cb_get_revents(int idx, void *opaque)
{
    UserNet *u = opaque;
    if (idx < 0 || idx >= u->nslirp)
        return 0;
    short r = u->pfd[idx].revents;
    int ev = 0;
    if (r & POLLIN)
        ev |= SLIRP_POLL_IN;
    if (r & POLLOUT)
        ev |= SLIRP_POLL_OUT;
    if (r & POLLPRI)
        ev |= SLIRP_POLL_PRI;
    if (r & POLLERR)
        ev |= SLIRP_POLL_ERR;
    if (r & POLLHUP)
        ev |= SLIRP_POLL_HUP;
    return ev;
}

static int user_fill(void *opaque, struct pollfd *pfd, int max, uint64_t *timeout_ns)
{
    UserNet *u = opaque;
    u->pfd = pfd;
    u->npfd = 0;
    u->max = max;
    u->can_rx = net_peer_can_receive(u->nc);
    u->probe = loop_host_pending_wanted(u->m);
    u->exchange = false;
    uint64_t ms = *timeout_ns / 1000000ull;
    uint32_t tmo = ms > UINT32_MAX ? UINT32_MAX : (uint32_t)ms;
    slirp_pollfds_fill(u->slirp, &tmo, cb_add_poll, u);
    if ((uint64_t)tmo * 1000000ull < *timeout_ns)
        *timeout_ns = (uint64_t)tmo * 1000000ull;
    u->nslirp = u->npfd;
    u->ndns = 0;
    if (u->dns) {
        u->ndns = dns_proxy_fill(u->dns, pfd + u->npfd, max - u->npfd, timeout_ns);
        u->npfd += u->ndns;
    }
    for (int i = 0; i < u->nfwds && u->npfd < max; i++) {
        FwdConn *f = &u->fwds[i];
        short ev = 0;
        if (f->fd < 0)
            continue;
        if (slirp_socket_can_recv(u->slirp, f->addr, f->port) > 0)
            ev |= POLLIN;
        if (f->nout)
            ev |= POLLOUT;
        u->pfd[u->npfd++] = (struct pollfd){.fd = f->fd, .events = ev};
        u->exchange |= f->nout > 0;
    }
    /* Open TCP connections, DNS queries in flight: the guest may be waiting
     * for the host, so virtual time must not jump ahead of it. (Not the DNS
     * proxy's own descriptors: its TCP listener is always there.) */
    if (u->probe && (u->exchange || (u->dns && dns_proxy_inflight(u->dns) > 0)))
        loop_host_pending(u->m);
    else if (u->probe && u->nlisteners)
        loop_host_may_call(u->m);
    return u->npfd;
}

static void fwd_close(FwdConn *f)
{
    if (f->fd >= 0)
        close(f->fd);
    f->fd = -1;
    free(f->out);
    f->out = NULL;
    f->nout = 0;
}

static void fwd_flush_out(FwdConn *f)
{
    while (f->nout) {
        ssize_t w = send(f->fd, f->out, f->nout, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                wb_log("%s: guestfwd: host connection lost: %s", f->u->nc->name,
                       strerror(errno));
                fwd_close(f);
            }
            return;
        }
        memmove(f->out, f->out + w, f->nout - (size_t)w);
        f->nout -= (size_t)w;
    }
}

static void fwd_dispatch(UserNet *u, FwdConn *f, short revents)
{
    if (revents & POLLOUT)
        fwd_flush_out(f);
    if (f->fd < 0 || !(revents & (POLLIN | POLLHUP | POLLERR)))
        return;
    uint8_t buf[16384];
    size_t room = slirp_socket_can_recv(u->slirp, f->addr, f->port);
    if (room == 0)
        return;
    ssize_t n = recv(f->fd, buf, room < sizeof buf ? room : sizeof buf, MSG_DONTWAIT);
    if (n > 0) {
        slirp_socket_recv(u->slirp, f->addr, f->port, buf, (int)n);
    } else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
        wb_log("%s: guestfwd: the host closed the connection", u->nc->name);
        fwd_close(f);
    }
}

static void user_dispatch(void *opaque, struct pollfd *pfd, int n, bool error)
{
    UserNet *u = opaque;
    u->pfd = pfd;
    slirp_pollfds_poll(u->slirp, error, cb_get_revents, u);
    if (u->dns)
        dns_proxy_dispatch(u->dns, pfd + u->nslirp, error ? 0 : u->ndns);
    int k = u->nslirp + u->ndns;
    for (int i = 0; i < u->nfwds && k < n; i++) {
        FwdConn *f = &u->fwds[i];
        if (f->fd < 0 || pfd[k].fd != f->fd)
            continue;
        if (!error)
            fwd_dispatch(u, f, pfd[k].revents);
        k++;
    }
}

/* ------------------------------------------------------------------ guest frames */

static void dns_emit(void *opaque, const uint8_t *frame, size_t len)
{
    UserNet *u = opaque;
    net_send(u->nc, frame, len);
}

static void dns_reply_cb(void *opaque, const void *ctx, const uint8_t *msg, size_t len)
{
    UserNet *u = opaque;
    dns_reply_frames(ctx, u->dns_ip, u->ip_id++, msg, len, USER_MTU, dns_emit, u);
}

static ssize_t user_receive(NetClient *nc, const uint8_t *buf, size_t len)
{
    UserNet *u = nc->opaque;
    DnsGuestQuery q;
    if (len > 65536)
        return (ssize_t)len;
    if (u->dns && dns_match_guest_query(buf, len, u->dns_ip, &q)) {
        /* the context the reply needs: everything but msg */
        DnsGuestQuery ctx = q;
        ctx.msg = NULL;
        ctx.len = 0;
        dns_proxy_query(u->dns, q.msg, q.len, &ctx, sizeof ctx);
        return (ssize_t)len;
    }
    /* DNS over TCP: libslirp carries the connection to the proxy's listener. */
    if (u->dns_tcp_port && dns_tcp_matches(buf, len, false, u->dns_ip, 53)) {
        uint8_t *copy = wb_calloc(1, len);
        memcpy(copy, buf, len);
        dns_tcp_rewrite(copy, len, false, u->dns_ip, 53, u->host_ip, (uint16_t)u->dns_tcp_port);
        slirp_input(u->slirp, copy, (int)len);
        free(copy);
        return (ssize_t)len;
    }
    slirp_input(u->slirp, buf, (int)len);
    return (ssize_t)len;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    remove(path);
    return 0;
}

static void user_cleanup(NetClient *nc)
{
    UserNet *u = nc->opaque;
    if (!u)
        return;
    if (u->hooked)
        loop_remove_poll_hook(u->m, u);
    if (u->slirp)
        slirp_cleanup(u->slirp);
    while (u->timers) {
        UserTimer *t = u->timers;
        u->timers = t->next;
        timer_del(u->m, &t->t);
        free(t);
    }
    dns_proxy_free(u->dns);
    for (int i = 0; i < u->nfwds; i++)
        fwd_close(&u->fwds[i]);
    free(u->fwds);
    if (u->smb_dir) {
        nftw(u->smb_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
        free(u->smb_dir);
    }
    free(u);
    nc->opaque = NULL;
}

static const NetClientInfo user_info = {
    .kind = NET_CLIENT_BACKEND,
    .type = "user",
    .receive = user_receive,
    .cleanup = user_cleanup,
};

/* ------------------------------------------------------------------ setup */

/* Guest bytes held for a host that reads slower than the guest sends. libslirp
 * takes every byte it hands us as sent (it acks them to the guest), so past
 * this much we wait for the host, as QEMU's blocking write does, but only so
 * long: a host that reads nothing loses the connection, not the emulator. */
#define FWD_OUT_MAX (4u << 20)
#define FWD_STALL_MS 10000

static ssize_t fwd_write(const void *buf, size_t len, void *opaque)
{
    FwdConn *f = opaque;
    if (f->fd < 0)
        return (ssize_t)len;
    int stalled_ms = 0;
    while (f->fd >= 0 && f->nout + len > FWD_OUT_MAX) {
        if (stalled_ms >= FWD_STALL_MS) {
            wb_log("%s: guestfwd: the host took no data for %d s; closing its connection",
                   f->u->nc->name, FWD_STALL_MS / 1000);
            fwd_close(f);
            break;
        }
        struct pollfd p = {.fd = f->fd, .events = POLLOUT};
        size_t before = f->nout;
        if (poll(&p, 1, 100) > 0)
            fwd_flush_out(f);
        stalled_ms = f->nout < before ? 0 : stalled_ms + 100;
    }
    if (f->fd < 0)
        return (ssize_t)len;
    uint8_t *o = realloc(f->out, f->nout + len);
    if (!o)
        return (ssize_t)len;
    f->out = o;
    memcpy(f->out + f->nout, buf, len);
    f->nout += len;
    fwd_flush_out(f);
    return (ssize_t)len;
}

static int connect_host(const char *host, int port, char *err, size_t errlen)
{
    char ps[16];
    snprintf(ps, sizeof ps, "%d", port);
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
    int rc = getaddrinfo(host, ps, &hints, &res);
    if (rc) {
        wb_errf(err, errlen, "cannot resolve '%s': %s", host, gai_strerror(rc));
        return -1;
    }
    int fd = -1, e = 0;
    for (struct addrinfo *a = res; a; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd >= 0 && connect(fd, a->ai_addr, a->ai_addrlen) == 0)
            break;
        e = errno;
        if (fd >= 0)
            close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0)
        wb_errf(err, errlen, "cannot connect to %s:%d: %s", host, port, strerror(e));
    return fd;
}

static int setup_smb(UserNet *u, const UserConf *c, char *err, size_t errlen)
{
    char tmpl[] = "/tmp/wirebox-smb.XXXXXX";
    if (!mkdtemp(tmpl)) {
        wb_errf(err, errlen, "smb=: cannot make a directory for smbd: %s", strerror(errno));
        return -1;
    }
    u->smb_dir = strdup(tmpl);
    char conf[sizeof tmpl + 16];
    snprintf(conf, sizeof conf, "%s/smb.conf", tmpl);
    FILE *f = fopen(conf, "w");
    if (!f) {
        wb_errf(err, errlen, "smb=: cannot write %s: %s", conf, strerror(errno));
        return -1;
    }
    struct passwd *pw = getpwuid(geteuid());
    const char *d = tmpl;
    fprintf(f,
            "# written by wirebox for -netdev user,smb=\n"
            "[global]\n"
            "  server role = standalone server\n"
            "  security = user\n"
            "  map to guest = Bad User\n"
            "  interfaces = 127.0.0.1\n"
            "  bind interfaces only = yes\n"
            "  private dir = %s\n  lock directory = %s\n  state directory = %s\n"
            "  cache directory = %s\n  pid directory = %s\n  ncalrpc dir = %s/ncalrpc\n"
            "  log file = %s/smbd.log\n  smb passwd file = %s/smbpasswd\n"
            "  load printers = no\n  printing = bsd\n  disable spoolss = yes\n"
            "  usershare max shares = 0\n"
            "[qemu]\n"
            "  path = %s\n  read only = no\n  guest ok = yes\n  force user = %s\n",
            d, d, d, d, d, d, d, d, c->smb, pw ? pw->pw_name : "root");
    fclose(f);
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "%s -l %s -s %s", c->smbd, d, conf);
    struct in_addr a = c->smbserver;
    if (slirp_add_exec(u->slirp, cmd, &a, 445) < 0) {
        wb_errf(err, errlen, "smb=: cannot forward the SMB server address");
        return -1;
    }
    return 0;
}

static const char *user_missing(void)
{
    return NULL;
}

static NetClient *user_create(Machine *m, const char *name, const void *conf, char *err,
                              size_t errlen)
{
    const UserConf *c = conf;
    UserNet *u = calloc(1, sizeof *u);
    if (!u) {
        wb_errf(err, errlen, "out of memory");
        return NULL;
    }
    u->m = m;
    u->dhcp = c->dhcp;
    u->nc = net_client_new(m, &user_info, name, u);
    char netbuf[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &c->net, netbuf, sizeof netbuf);
    net_client_set_info(u->nc, "net=%s,restrict=%s", netbuf, c->restricted ? "on" : "off");

    SlirpConfig cfg = {
        .version = 4,
        .restricted = c->restricted,
        .in_enabled = c->ipv4,
        .vnetwork = c->net,
        .vnetmask = c->mask,
        .vhost = c->host,
        .in6_enabled = c->ipv6,
        .vprefix_addr6 = c->prefix6,
        .vprefix_len = (uint8_t)c->prefix6_len,
        .vhost6 = c->host6,
        .vhostname = c->hostname,
        .tftp_server_name = c->tftp_server_name,
        .tftp_path = c->tftp,
        .bootfile = c->bootfile,
        .vdhcp_start = c->dhcp,
        .vnameserver = c->dns,
        .vnameserver6 = c->dns6,
        .vdnssearch = c->dnssearch,
        .vdomainname = c->domainname,
    };
    u->slirp = slirp_new(&cfg, &slirp_callbacks, u);
    if (!u->slirp) {
        wb_errf(err, errlen, "libslirp refused the configuration");
        goto fail;
    }
    for (int i = 0; i < c->nhostfwd; i++) {
        const UserHostFwd *h = &c->hostfwd[i];
        if (slirp_add_hostfwd(u->slirp, h->udp, h->host_addr, h->host_port, h->guest_addr,
                              h->guest_port) < 0) {
            wb_errf(err, errlen, "could not set up host forwarding rule '%s' (%s port %d "
                     "in use?)", h->spec, h->udp ? "UDP" : "TCP", h->host_port);
            goto fail;
        }
        u->nlisteners++;
    }
    if (c->nguestfwd)
        u->fwds = calloc((size_t)c->nguestfwd, sizeof *u->fwds);
    for (int i = 0; i < c->nguestfwd; i++) {
        const UserGuestFwd *g = &c->guestfwd[i];
        struct in_addr a = g->addr;
        FwdConn *f = &u->fwds[u->nfwds];
        f->fd = -1;
        if (g->cmd) {
            if (slirp_add_exec(u->slirp, g->cmd, &a, g->port) < 0) {
                wb_errf(err, errlen, "conflicting guest forwarding rule '%s'", g->spec);
                goto fail;
            }
            continue;
        }
        char why[256];
        f->u = u;
        f->addr = g->addr;
        f->port = g->port;
        f->fd = connect_host(g->host, g->host_port, why, sizeof why);
        u->nfwds++;
        if (f->fd < 0) {
            wb_errf(err, errlen, "guestfwd rule '%s': %s", g->spec, why);
            goto fail;
        }
        if (slirp_add_guestfwd(u->slirp, fwd_write, f, &a, g->port) < 0) {
            wb_errf(err, errlen, "conflicting guest forwarding rule '%s'", g->spec);
            goto fail;
        }
    }
    if (c->smb && setup_smb(u, c, err, errlen))
        goto fail;
    /* The DNS proxy answers the virtual DNS address over IPv4 (restrict=on
     * cuts the guest off from the outside, DNS included, as libslirp does). */
    if (c->ipv4 && !c->restricted) {
        u->dns = dns_proxy_new(c->dns_resolv, dns_reply_cb, u);
        memcpy(u->dns_ip, &c->dns.s_addr, 4);
        memcpy(u->host_ip, &c->host.s_addr, 4);
        int port = u->dns ? dns_proxy_tcp_listen(u->dns) : -1;
        u->dns_tcp_port = port > 0 ? port : 0;
    }
    loop_add_poll_hook(m, user_fill, user_dispatch, u);
    u->hooked = true;
    return u->nc;
fail:
    net_client_free(u->nc);
    return NULL;
}

/* ------------------------------------------------------------------ the monitor's commands */

int net_user_hostfwd_add(NetClient *nc, const char *spec, char *err, size_t errlen)
{
    UserNet *u = nc->opaque;
    UserConf c = {.dhcp = u->dhcp};
    UserHostFwd h;
    if (net_user_parse_hostfwd(spec, &c, &h))
        return wb_errf(err, errlen, "Invalid host forwarding rule '%s' (expected "
                       "[tcp|udp]:[hostaddr]:hostport-[guestaddr]:guestport)", spec);
    if (slirp_add_hostfwd(u->slirp, h.udp, h.host_addr, h.host_port, h.guest_addr,
                          h.guest_port) < 0)
        return wb_errf(err, errlen, "Could not set up host forwarding rule '%s'", spec);
    u->nlisteners++;
    loop_kick(u->m); /* poll the new listener */
    return 0;
}

int net_user_hostfwd_remove(NetClient *nc, const char *spec)
{
    UserNet *u = nc->opaque;
    char buf[256];
    if (strlen(spec) >= sizeof buf)
        return -1;
    strcpy(buf, spec);
    char *c1 = strchr(buf, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    if (!c2)
        return -1;
    *c1 = *c2 = '\0';
    bool udp = !strcmp(buf, "udp");
    if (!udp && *buf && strcmp(buf, "tcp"))
        return -1;
    struct in_addr host = {htonl(INADDR_ANY)};
    long port;
    if ((c1[1] && parse_ip4(c1 + 1, &host)) || parse_num(c2 + 1, 0, 65535, &port))
        return -1;
    if (slirp_remove_hostfwd(u->slirp, udp, host, (int)port) < 0)
        return 0;
    u->nlisteners--;
    return 1;
}

char *net_user_connection_info(NetClient *nc)
{
    UserNet *u = nc->opaque;
    return slirp_connection_info(u->slirp);
}
#endif
