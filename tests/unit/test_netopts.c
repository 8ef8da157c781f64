/* Networking options (net/netopts.c): -netdev, -device, -nic, -net as QEMU
 * reads them, defaults, MAC addresses, warnings, errors; and building the
 * topology on a PC. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/netopts.h"
#include "net/user.h"
#include "testutil.h"

/* The vde backend is offered when the build has libvdeplug (not in the
 * sanitizer build). */
#ifdef WIREBOX_HAVE_VDE
#define VDE_LIST ", vde"
#define VDE_LINE "vde\n"
#else
#define VDE_LIST ""
#define VDE_LINE ""
#endif
#include "ui/options.h"

static Options o;
static char err[512];
static NetPlan *plan;

/* Parses the NULL-terminated arguments after a program name. */
static int parse(const char *first, ...)
{
    static char *argv[64];
    va_list ap;
    va_start(ap, first);
    int argc = wb_argv(argv, 64, first, ap);
    va_end(ap);
    err[0] = '\0';
    options_free(&o);
    return options_parse(argc, argv, &o, err, sizeof err);
}

/* Parses and plans; the plan stays in `plan` until the next call. */
static void planned(const char *first, ...)
{
    static char *argv[64];
    va_list ap;
    va_start(ap, first);
    int argc = wb_argv(argv, 64, first, ap);
    va_end(ap);
    options_free(&o);
    ck_assert_msg(options_parse(argc, argv, &o, err, sizeof err) == 0, "parse failed: %s", err);
    net_plan_free(plan);
    plan = NULL;
    ck_assert_int_eq(net_plan(&o.net, &o.devices, o.nodefaults, &plan, err, sizeof err), 0);
}

static void fails_with(const char *msg, const char *first, ...)
{
    static char *argv[64];
    va_list ap;
    va_start(ap, first);
    int argc = wb_argv(argv, 64, first, ap);
    va_end(ap);
    err[0] = '\0';
    options_free(&o);
    ck_assert_int_eq(options_parse(argc, argv, &o, err, sizeof err), 1);
    ck_assert_msg(strstr(err, msg), "error '%s' lacks '%s'", err, msg);
    ck_assert_msg(!strchr(err, '\n'), "error is not one line: '%s'", err);
}

static void teardown(void)
{
    net_plan_free(plan);
    plan = NULL;
    options_free(&o); /* the chardevs options_parse made */
}

static const char *mac_str(const uint8_t *m)
{
    static char buf[4][32];
    static int k;
    char *b = buf[k++ & 3];
    snprintf(b, 32, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
    return b;
}

static const char *ip_str(struct in_addr a)
{
    static char buf[4][INET_ADDRSTRLEN];
    static int k;
    char *b = buf[k++ & 3];
    inet_ntop(AF_INET, &a, b, INET_ADDRSTRLEN);
    return b;
}

static const char *ip6_str(const struct in6_addr *a)
{
    static char buf[4][INET6_ADDRSTRLEN];
    static int k;
    char *b = buf[k++ & 3];
    inet_ntop(AF_INET6, a, b, INET6_ADDRSTRLEN);
    return b;
}

static PlanNetdev *netdev(const char *name)
{
    for (int i = 0; i < plan->nnetdevs; i++)
        if (!strcmp(plan->netdevs[i].name, name))
            return &plan->netdevs[i];
    ck_abort_msg("no netdev %s", name);
    return NULL;
}

static bool warned(const char *w)
{
    for (int i = 0; i < plan->nwarnings; i++)
        if (!strcmp(plan->warnings[i], w))
            return true;
    return false;
}

static UserConf *uconf(PlanNetdev *d)
{
    ck_assert_str_eq(d->backend->type, "user");
    return d->conf;
}

static const char *nic_netdev(int i)
{
    ck_assert_int_lt(i, plan->nnics);
    return plan->nics[i].netdev < 0 ? "-" : plan->netdevs[plan->nics[i].netdev].name;
}

/* ------------------------------------------------------------------ defaults */

START_TEST(test_default_network)
{
    /* No network option: QEMU's PC default, -net nic -net user on hub 0. */
    planned(NULL);
    ck_assert_int_eq(plan->nnics, 1);
    ck_assert_str_eq(plan->nics[0].model->name, "e1000");
    ck_assert_str_eq(mac_str(plan->nics[0].mac), "52:54:00:12:34:56");
    ck_assert_int_eq(plan->nics[0].devfn, -1);
    ck_assert_str_eq(nic_netdev(0), "hub0port0");
    ck_assert_int_eq(plan->nnetdevs, 3);
    PlanNetdev *u = netdev("user.0");
    ck_assert_str_eq(u->backend->type, "user");
    PlanNetdev *p1 = netdev("hub0port1");
    ck_assert_str_eq(p1->backend->type, "hubport");
    ck_assert_int_eq(p1->hub, 0);
    ck_assert_str_eq(plan->netdevs[p1->link].name, "user.0");
    ck_assert_int_eq(plan->nwarnings, 0);
    /* and the user backend's defaults, as QEMU documents them */
    UserConf *c = uconf(u);
    ck_assert_str_eq(ip_str(c->net), "10.0.2.0");
    ck_assert_str_eq(ip_str(c->mask), "255.255.255.0");
    ck_assert_str_eq(ip_str(c->host), "10.0.2.2");
    ck_assert_str_eq(ip_str(c->dns), "10.0.2.3");
    ck_assert_str_eq(ip_str(c->dhcp), "10.0.2.15");
    ck_assert(c->ipv4 && c->ipv6 && !c->restricted);
    ck_assert_str_eq(ip6_str(&c->prefix6), "fec0::");
    ck_assert_int_eq(c->prefix6_len, 64);
    ck_assert_str_eq(ip6_str(&c->host6), "fec0::2");
    ck_assert_str_eq(ip6_str(&c->dns6), "fec0::3");
    ck_assert_ptr_null(c->hostname);
    ck_assert_int_eq(c->nhostfwd + c->nguestfwd + c->ndnssearch, 0);

    /* -nic none, -net none and -nodefaults: nothing. */
    planned("-nic", "none", NULL);
    ck_assert(o.cfg.nic_none);
    ck_assert_int_eq(plan->nnics + plan->nnetdevs, 0);
    planned("-net", "none", NULL);
    ck_assert_int_eq(plan->nnics + plan->nnetdevs, 0);
    planned("-nodefaults", NULL);
    ck_assert_int_eq(plan->nnics + plan->nnetdevs, 0);
    /* -nic none then -nic user: just that one (the test harness does this). */
    planned("-nic", "none", "-nic", "user,model=e1000", NULL);
    ck_assert_int_eq(plan->nnics, 1);
    /* A -device alone does not replace the default (as in QEMU). */
    planned("-device", "e1000", NULL);
    ck_assert_int_eq(plan->nnics, 2);
    ck_assert_str_eq(plan->nics[0].name, "e1000.0");
    ck_assert_str_eq(nic_netdev(0), "hub0port0");
    ck_assert_str_eq(plan->nics[1].name, "e1000.1");
    ck_assert_str_eq(nic_netdev(1), "-");
    ck_assert_str_eq(mac_str(plan->nics[1].mac), "52:54:00:12:34:57");
    ck_assert(warned("nic e1000.1 has no peer"));
}
END_TEST

START_TEST(test_nic_option)
{
    planned("-nic", "user,model=e1000", NULL);
    ck_assert_int_eq(plan->nnics, 1);
    ck_assert_int_eq(plan->nnetdevs, 1);
    ck_assert_str_eq(plan->netdevs[0].name, "__org.qemu.nic0");
    ck_assert_str_eq(nic_netdev(0), "__org.qemu.nic0");
    ck_assert(plan->nics[0].board);
    ck_assert_int_eq(plan->nwarnings, 0);
    /* The type defaults to user; model to e1000; mac and id are taken. */
    planned("-nic", "model=e1000", "-nic", "user,id=up,mac=02:00:00:00:00:01,hostname=g", NULL);
    ck_assert_int_eq(plan->nnics, 2);
    ck_assert_str_eq(mac_str(plan->nics[0].mac), "52:54:00:12:34:56");
    ck_assert_str_eq(mac_str(plan->nics[1].mac), "02:00:00:00:00:01");
    ck_assert_str_eq(nic_netdev(1), "up");
    ck_assert_str_eq(uconf(netdev("up"))->hostname, "g");
    /* MACs count up per NIC, skipping the ones given. */
    planned("-nic", "user,mac=52:54:00:12:34:56", "-nic", "user", "-nic", "user", NULL);
    ck_assert_str_eq(mac_str(plan->nics[0].mac), "52:54:00:12:34:56");
    ck_assert_str_eq(mac_str(plan->nics[1].mac), "52:54:00:12:34:57");
    ck_assert_str_eq(mac_str(plan->nics[2].mac), "52:54:00:12:34:58");
    planned("-nic", "user", "-nic", "user,mac=52:54:00:12:34:56", NULL);
    ck_assert_str_eq(mac_str(plan->nics[0].mac), "52:54:00:12:34:57");
    /* mac= with dashes, upper case */
    planned("-nic", "user,mac=52-54-00-AB-CD-EF", NULL);
    ck_assert_str_eq(mac_str(plan->nics[0].mac), "52:54:00:ab:cd:ef");
}
END_TEST

START_TEST(test_netdev_device)
{
    /* -device may name a -netdev given later. */
    planned("-device", "e1000,netdev=n0,mac=52:54:00:aa:bb:cc,addr=5,id=nic0", "-netdev",
            "user,id=n0", NULL);
    ck_assert_int_eq(plan->nnics, 1);
    ck_assert_str_eq(plan->nics[0].name, "nic0");
    ck_assert_str_eq(nic_netdev(0), "n0");
    ck_assert_str_eq(mac_str(plan->nics[0].mac), "52:54:00:aa:bb:cc");
    ck_assert_int_eq(plan->nics[0].devfn, 5 << 3);
    ck_assert_int_eq(plan->nwarnings, 0);
    /* Two NICs on two netdevs; -nic NICs come first (QEMU's board NICs). */
    planned("-netdev", "user,id=a", "-device", "e1000,netdev=a", "-netdev", "user,id=b,net=10.0.3.0/24",
            "-device", "e1000,netdev=b,addr=06.0", "-nic", "user", NULL);
    ck_assert_int_eq(plan->nnics, 3);
    ck_assert_str_eq(nic_netdev(0), "__org.qemu.nic0");
    ck_assert_str_eq(mac_str(plan->nics[0].mac), "52:54:00:12:34:56");
    ck_assert_str_eq(nic_netdev(1), "a");
    ck_assert_str_eq(mac_str(plan->nics[1].mac), "52:54:00:12:34:57");
    ck_assert_str_eq(nic_netdev(2), "b");
    ck_assert_str_eq(mac_str(plan->nics[2].mac), "52:54:00:12:34:58");
    ck_assert_int_eq(plan->nics[2].devfn, 6 << 3);
    ck_assert_str_eq(ip_str(uconf(netdev("b"))->host), "10.0.3.2");
    /* An unused netdev */
    planned("-netdev", "user,id=lonely", NULL);
    ck_assert_int_eq(plan->nnics, 0);
    ck_assert(warned("netdev lonely has no peer"));
    ck_assert_int_eq(plan->nwarnings, 1);
}
END_TEST

START_TEST(test_legacy_net_and_hubs)
{
    planned("-net", "nic", "-net", "user", NULL);
    ck_assert_int_eq(plan->nnics, 1);
    ck_assert_str_eq(nic_netdev(0), "hub0port0");
    ck_assert_int_eq(plan->nwarnings, 0);
    ck_assert_str_eq(plan->netdevs[netdev("hub0port1")->link].name, "user.0");
    planned("-net", "nic,model=e1000,macaddr=52:54:00:00:00:01,name=lan", "-net",
            "user,hostname=box", "-net", "nic", NULL);
    ck_assert_int_eq(plan->nnics, 2);
    ck_assert_str_eq(plan->nics[0].name, "lan");
    ck_assert_str_eq(mac_str(plan->nics[0].mac), "52:54:00:00:00:01");
    ck_assert_str_eq(mac_str(plan->nics[1].mac), "52:54:00:12:34:56");
    ck_assert_str_eq(nic_netdev(1), "hub0port2");
    ck_assert_str_eq(uconf(netdev("user.0"))->hostname, "box");
    /* QEMU's warnings for a half-connected hub. */
    planned("-net", "nic", NULL);
    ck_assert(warned("hub 0 is not connected to host network"));
    ck_assert_int_eq(plan->nwarnings, 1);
    planned("-net", "user", NULL);
    ck_assert(warned("hub 0 with no nics"));
    ck_assert_int_eq(plan->nwarnings, 1);
    /* -net nic,netdev= skips the hub. */
    planned("-netdev", "user,id=n0", "-net", "nic,netdev=n0", NULL);
    ck_assert_str_eq(nic_netdev(0), "n0");
    ck_assert_int_eq(plan->nwarnings, 0);
    /* -netdev hubport: a hub of our own, wired to a netdev with netdev=. */
    planned("-netdev", "hubport,id=h0,hubid=1,netdev=n0", "-netdev", "user,id=n0", "-netdev",
            "hubport,id=h1,hubid=1", "-device", "e1000,netdev=h1", NULL);
    ck_assert_int_eq(plan->nwarnings, 0);
    ck_assert_str_eq(nic_netdev(0), "h1");
    ck_assert_int_eq(netdev("h0")->hub, 1);
    ck_assert_str_eq(plan->netdevs[netdev("h0")->link].name, "n0");
    planned("-netdev", "hubport,id=h0,hubid=2", "-device", "e1000,netdev=h0", NULL);
    ck_assert(warned("hub 2 is not connected to host network"));
    planned("-netdev", "hubport,id=h0,hubid=2", NULL);
    ck_assert(warned("hub port h0 has no peer"));
    /* -nic hubport,hubid=N: a NIC on a port of hub N, as in QEMU. */
    planned("-nic", "hubport,hubid=3", "-nic", "hubport,hubid=3,mac=52:54:00:00:00:09",
            "-netdev", "user,id=u", "-netdev", "hubport,id=up,hubid=3,netdev=u", NULL);
    ck_assert_int_eq(plan->nwarnings, 0);
    ck_assert_int_eq(plan->nnics, 2);
    ck_assert_str_eq(nic_netdev(0), "__org.qemu.nic0");
    ck_assert_str_eq(nic_netdev(1), "__org.qemu.nic1");
    ck_assert_int_eq(netdev("__org.qemu.nic0")->hub, 3);
    ck_assert_int_eq(netdev("__org.qemu.nic1")->hub, 3);
    ck_assert_str_eq(mac_str(plan->nics[1].mac), "52:54:00:00:00:09");
}
END_TEST

/* ------------------------------------------------------------------ errors */

START_TEST(test_errors)
{
    fails_with("-netdev user: parameter 'id' is missing", "-netdev", "user", NULL);
    fails_with("-netdev l2tpv3,id=t0: the 'l2tpv3' backend is not supported by wirebox yet "
               "(supported: user, hubport, socket, stream, dgram, tap, bridge" VDE_LIST ")",
               "-netdev", "l2tpv3,id=t0", NULL);
    fails_with("-netdev bogus,id=x: 'bogus' is not a netdev backend type (supported: user, "
               "hubport, socket, stream, dgram, tap, bridge" VDE_LIST ")",
               "-netdev", "bogus,id=x", NULL);
    fails_with("-netdev id=x: missing backend type", "-netdev", "id=x", NULL);
    fails_with("-netdev user,id=n0: duplicate netdev id 'n0'", "-netdev", "user,id=n0",
               "-netdev", "user,id=n0", "-device", "e1000,netdev=n0", NULL);
    fails_with("-netdev user,id=0bad: id=0bad: an id is a letter followed by", "-netdev",
               "user,id=0bad", NULL);
    fails_with("-device e1000,netdev=n9: netdev 'n9' not found", "-device", "e1000,netdev=n9",
               NULL);
    fails_with("-device rtl9999: 'rtl9999' is not a valid device model name (see -device help)",
               "-device", "rtl9999", NULL);
    fails_with("-device e1000,foo=1: property 'e1000.foo' not found", "-device", "e1000,foo=1",
               NULL);
    fails_with("-device e1000,id=a: duplicate device id 'a'", "-device", "e1000,id=a", "-device",
               "e1000,id=a", NULL);
    fails_with("-device e1000,netdev=n0: netdev 'n0' is already in use", "-netdev", "user,id=n0",
               "-device", "e1000,netdev=n0", "-device", "e1000,netdev=n0", NULL);
    fails_with("-device e1000,addr=40: addr=40: invalid PCI address", "-device", "e1000,addr=40",
               NULL);
    fails_with("-device e1000,addr=3.8: addr=3.8: invalid PCI address", "-device",
               "e1000,addr=3.8", NULL);
    fails_with("-nic user,model=ne2k_isa: unknown NIC model 'ne2k_isa' (available: e1000, rtl8139)",
               "-nic", "user,model=ne2k_isa", NULL);
    fails_with("-net nic,model=virtio: unknown NIC model 'virtio'", "-net", "nic,model=virtio",
               NULL);
    fails_with("-nic user,mac=52:54:00:12:34: mac=52:54:00:12:34: invalid MAC address",
               "-nic", "user,mac=52:54:00:12:34", NULL);
    fails_with("mac=52:54:00:12:34:5g: invalid MAC address", "-nic", "user,mac=52:54:00:12:34:5g",
               NULL);
    fails_with("mac=52:54:00:12:34:567: invalid MAC address", "-device",
               "e1000,mac=52:54:00:12:34:567", NULL);
    fails_with("mac=52:54-00:12:34:56: invalid MAC address", "-device",
               "e1000,mac=52:54-00:12:34:56", NULL);
    fails_with("mac=01:00:5e:00:00:01: a NIC's MAC address must not be multicast", "-nic",
               "user,mac=01:00:5e:00:00:01", NULL);
    fails_with("macaddr=00:00:00:00:00:00: a NIC's MAC address must not be zero", "-net",
               "nic,macaddr=00:00:00:00:00:00", NULL);
    fails_with("-netdev user,id=n0,foo=bar: invalid parameter 'foo'", "-netdev",
               "user,id=n0,foo=bar", NULL);
    fails_with("-nic user,addr=3: invalid parameter 'addr'", "-nic", "user,addr=3", NULL);
    fails_with("-net nic,vlan=1: vlan= is gone", "-net", "nic,vlan=1", NULL);
    fails_with("-net nic,bogus=1: invalid parameter 'bogus'", "-net", "nic,bogus=1", NULL);
    fails_with("-netdev hubport,id=h: parameter 'hubid' is missing", "-netdev", "hubport,id=h",
               NULL);
    fails_with("-netdev hubport,id=h,hubid=x: hubid=x: expected a number", "-netdev",
               "hubport,id=h,hubid=x", NULL);
    fails_with("-netdev hubport,id=h,hubid=0,netdev=zz: netdev 'zz' not found", "-netdev",
               "hubport,id=h,hubid=0,netdev=zz", NULL);
    fails_with("-net vhost-user: the 'vhost-user' backend is not supported", "-net", "vhost-user",
               NULL);
    fails_with("-net hubport,hubid=0: use -netdev hubport,id=ID,...", "-net", "hubport,hubid=0",
               NULL);
    fails_with("-nic hubport: parameter 'hubid' is missing", "-nic", "hubport", NULL);
}
END_TEST

/* ------------------------------------------------------------------ -netdev user */

static UserConf *user_of(const char *opts)
{
    planned("-netdev", opts, NULL);
    return uconf(netdev("n0"));
}

static void user_fails(const char *opts, const char *msg)
{
    fails_with(msg, "-netdev", opts, NULL);
}

START_TEST(test_user_addresses)
{
    UserConf *c = user_of("user,id=n0,net=192.168.76.0/24");
    ck_assert_str_eq(ip_str(c->net), "192.168.76.0");
    ck_assert_str_eq(ip_str(c->host), "192.168.76.2");
    ck_assert_str_eq(ip_str(c->dns), "192.168.76.3");
    ck_assert_str_eq(ip_str(c->dhcp), "192.168.76.15");
    c = user_of("user,id=n0,net=10.5.0.0/255.255.0.0");
    ck_assert_str_eq(ip_str(c->mask), "255.255.0.0");
    ck_assert_str_eq(ip_str(c->host), "10.5.2.2");
    ck_assert_str_eq(ip_str(c->dhcp), "10.5.2.15");
    /* Host bits of net= are dropped; without a mask it is the address class's. */
    c = user_of("user,id=n0,net=192.168.76.9/24");
    ck_assert_str_eq(ip_str(c->net), "192.168.76.0");
    c = user_of("user,id=n0,net=10.9.9.0");
    ck_assert_str_eq(ip_str(c->mask), "255.0.0.0");
    ck_assert_str_eq(ip_str(c->net), "10.0.0.0");
    ck_assert_str_eq(ip_str(c->host), "10.0.2.2");
    c = user_of("user,id=n0,net=192.168.5.0");
    ck_assert_str_eq(ip_str(c->mask), "255.255.0.0");
    c = user_of("user,id=n0,net=172.20.0.0");
    ck_assert_str_eq(ip_str(c->mask), "255.240.0.0");
    ck_assert_str_eq(ip_str(c->net), "172.16.0.0");
    c = user_of("user,id=n0,net=203.0.113.0");
    ck_assert_str_eq(ip_str(c->mask), "255.255.255.0");
    c = user_of("user,id=n0,host=10.0.2.1,dns=10.0.2.100,dhcpstart=10.0.2.50");
    ck_assert_str_eq(ip_str(c->host), "10.0.2.1");
    ck_assert_str_eq(ip_str(c->dns), "10.0.2.100");
    ck_assert_str_eq(ip_str(c->dhcp), "10.0.2.50");
    c = user_of("user,id=n0,ipv4=off");
    ck_assert(!c->ipv4 && c->ipv6);
    c = user_of("user,id=n0,ipv6=off");
    ck_assert(c->ipv4 && !c->ipv6);
    c = user_of("user,id=n0,ipv6-net=fd00:1::/48");
    ck_assert_str_eq(ip6_str(&c->prefix6), "fd00:1::");
    ck_assert_int_eq(c->prefix6_len, 48);
    ck_assert_str_eq(ip6_str(&c->host6), "fd00:1::2");
    ck_assert_str_eq(ip6_str(&c->dns6), "fd00:1::3");
    c = user_of("user,id=n0,ipv6-prefix=fd00::,ipv6-prefixlen=96,ipv6-host=fd00::1,"
                "ipv6-dns=fd00::53");
    ck_assert_int_eq(c->prefix6_len, 96);
    ck_assert_str_eq(ip6_str(&c->host6), "fd00::1");
    ck_assert_str_eq(ip6_str(&c->dns6), "fd00::53");

    user_fails("user,id=n0,net=10.0.2.0/33", "net=10.0.2.0/33: expected ADDRESS[/MASK]");
    user_fails("user,id=n0,net=10.0.2.0/255.0.255.0", "net=10.0.2.0/255.0.255.0: expected");
    user_fails("user,id=n0,net=10.0.2", "net=10.0.2: expected");
    user_fails("user,id=n0,host=10.0.3.2", "host=10.0.3.2 is not in the network 10.0.2.0/24");
    user_fails("user,id=n0,dns=192.168.0.3", "dns=192.168.0.3 is not in the network");
    user_fails("user,id=n0,dns=10.0.2.2", "the DNS address must differ from the host address");
    user_fails("user,id=n0,dhcpstart=10.0.2.3",
               "the first DHCP address must differ from the host and DNS addresses");
    user_fails("user,id=n0,dhcpstart=10.1.2.3", "dhcpstart=10.1.2.3 is not in the network");
    user_fails("user,id=n0,host=nonsense", "host=nonsense: not an IPv4 address");
    user_fails("user,id=n0,ipv4=off,ipv6=off", "IPv4 and IPv6 cannot both be disabled");
    user_fails("user,id=n0,ipv4=maybe", "ipv4=maybe: expected on or off");
    user_fails("user,id=n0,ipv6-net=fd00::/127", "ipv6-net=fd00::/127: expected");
    user_fails("user,id=n0,ipv6-host=fd01::2", "ipv6-host=fd01::2 is not in the IPv6 prefix");
    user_fails("user,id=n0,ipv6-dns=10.0.2.3", "ipv6-dns=10.0.2.3: not an IPv6 address");
}
END_TEST

START_TEST(test_user_options)
{
    UserConf *c = user_of("user,id=n0,restrict=on");
    ck_assert(c->restricted);
    ck_assert(user_of("user,id=n0,restrict=yes")->restricted);
    ck_assert(!user_of("user,id=n0,restrict=no")->restricted);
    ck_assert(!user_of("user,id=n0,restrict=off")->restricted);
    ck_assert(user_of("user,id=n0,restrict")->restricted); /* a bare flag is =on */
    user_fails("user,id=n0,restrict=maybe", "restrict=maybe: expected on, off, yes or no");

    c = user_of("user,id=n0,hostname=guest1,domainname=example.test,dnssearch=a.test,"
                "dnssearch=b.example.test,tftp=/tmp,bootfile=pxelinux.0,tftp-server-name=boot1");
    ck_assert_str_eq(c->hostname, "guest1");
    ck_assert_str_eq(c->domainname, "example.test");
    ck_assert_int_eq(c->ndnssearch, 2);
    ck_assert_str_eq(c->dnssearch[0], "a.test");
    ck_assert_str_eq(c->dnssearch[1], "b.example.test");
    ck_assert_ptr_null(c->dnssearch[2]);
    ck_assert_str_eq(c->tftp, "/tmp");
    ck_assert_str_eq(c->bootfile, "pxelinux.0");
    ck_assert_str_eq(c->tftp_server_name, "boot1");
    user_fails("user,id=n0,dnssearch=bad..name", "dnssearch=bad..name: not a valid domain name");
    user_fails("user,id=n0,domainname=a b", "domainname=a b: not a valid domain name");
    user_fails("user,id=n0,tftp=/nonexistent-dir", "tftp=/nonexistent-dir: not a directory");

    /* dns-resolv= (wirebox): the DNS proxy's resolver file */
    c = user_of("user,id=n0,dns-resolv=/dev/null");
    ck_assert_str_eq(c->dns_resolv, "/dev/null");
    user_fails("user,id=n0,dns-resolv=/nonexistent/resolv.conf",
               "dns-resolv=/nonexistent/resolv.conf: No such file or directory");

    /* smb= needs smbd; WIREBOX_SMBD names it (for tests) */
    setenv("WIREBOX_SMBD", "/nonexistent/smbd", 1);
    user_fails("user,id=n0,smb=/tmp", "smb= needs Samba's smbd, which is not installed");
    setenv("WIREBOX_SMBD", "/bin/true", 1);
    c = user_of("user,id=n0,smb=/tmp");
    ck_assert_str_eq(c->smb, "/tmp");
    ck_assert_str_eq(ip_str(c->smbserver), "10.0.2.4");
    c = user_of("user,id=n0,smb=/tmp,smbserver=10.0.2.44");
    ck_assert_str_eq(ip_str(c->smbserver), "10.0.2.44");
    user_fails("user,id=n0,smb=/tmp,smbserver=10.0.2.2", "smbserver=10.0.2.2 must be a free");
    user_fails("user,id=n0,smb=/nonexistent", "smb=/nonexistent: not a directory");
    user_fails("user,id=n0,smbserver=10.0.2.4", "smbserver= needs smb=DIR");
    unsetenv("WIREBOX_SMBD");
}
END_TEST

START_TEST(test_user_forwarding)
{
    UserConf *c = user_of("user,id=n0,hostfwd=tcp::5555-:22,hostfwd=udp:127.0.0.1:6000-10.0.2.20:7000,"
                          "hostfwd=:127.0.0.2:80-:8080");
    ck_assert_int_eq(c->nhostfwd, 3);
    ck_assert(!c->hostfwd[0].udp);
    ck_assert_str_eq(ip_str(c->hostfwd[0].host_addr), "0.0.0.0");
    ck_assert_int_eq(c->hostfwd[0].host_port, 5555);
    ck_assert_str_eq(ip_str(c->hostfwd[0].guest_addr), "10.0.2.15");
    ck_assert_int_eq(c->hostfwd[0].guest_port, 22);
    ck_assert(c->hostfwd[1].udp);
    ck_assert_str_eq(ip_str(c->hostfwd[1].host_addr), "127.0.0.1");
    ck_assert_str_eq(ip_str(c->hostfwd[1].guest_addr), "10.0.2.20");
    ck_assert_int_eq(c->hostfwd[1].guest_port, 7000);
    ck_assert(!c->hostfwd[2].udp);
    ck_assert_str_eq(c->hostfwd[2].spec, ":127.0.0.2:80-:8080");
    /* The guest address follows dhcpstart=. */
    c = user_of("user,id=n0,dhcpstart=10.0.2.30,hostfwd=tcp::2222-:22");
    ck_assert_str_eq(ip_str(c->hostfwd[0].guest_addr), "10.0.2.30");
    const char *bad[] = {"tcp:5555-:22", "tcp::5555:22", "sctp::1-:2", "tcp::70000-:22",
                         "tcp::1-:0", "tcp:[::1]:1-:2", "tcp:localhost:1-:2", "tcp::x-:2"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char opt[128], msg[128];
        snprintf(opt, sizeof opt, "user,id=n0,hostfwd=%s", bad[i]);
        snprintf(msg, sizeof msg, "invalid hostfwd rule '%s' (expected "
                 "[tcp|udp]:[hostaddr]:hostport-[guestaddr]:guestport)", bad[i]);
        user_fails(opt, msg);
    }

    /* guestfwd: to a command (",," is a comma in it), or to a host TCP server */
    c = user_of("user,id=n0,guestfwd=tcp:10.0.2.100:1234-cmd:echo a,,b,"
                "guestfwd=:10.0.2.101:80-tcp:127.0.0.1:8080,guestfwd=tcp:10.0.2.102:81-tcp::81");
    ck_assert_int_eq(c->nguestfwd, 3);
    ck_assert_str_eq(ip_str(c->guestfwd[0].addr), "10.0.2.100");
    ck_assert_int_eq(c->guestfwd[0].port, 1234);
    ck_assert_str_eq(c->guestfwd[0].cmd, "echo a,b");
    ck_assert_ptr_null(c->guestfwd[0].host);
    ck_assert_str_eq(c->guestfwd[1].host, "127.0.0.1");
    ck_assert_int_eq(c->guestfwd[1].host_port, 8080);
    ck_assert_ptr_null(c->guestfwd[1].cmd);
    ck_assert_str_eq(c->guestfwd[2].host, "localhost");
    ck_assert_str_eq(c->guestfwd[0].spec, "tcp:10.0.2.100:1234-cmd:echo a,b");
    user_fails("user,id=n0,guestfwd=tcp:10.0.2.100:1234-file:/tmp/x",
               "invalid guestfwd rule 'tcp:10.0.2.100:1234-file:/tmp/x'");
    user_fails("user,id=n0,guestfwd=udp:10.0.2.100:1234-cmd:cat", "invalid guestfwd rule");
    user_fails("user,id=n0,guestfwd=tcp:10.0.2.100:0-cmd:cat", "invalid guestfwd rule");
    user_fails("user,id=n0,guestfwd=tcp::1234-cmd:cat", "invalid guestfwd rule");
    user_fails("user,id=n0,guestfwd=tcp:10.0.2.100:1234-cmd:", "invalid guestfwd rule");
    user_fails("user,id=n0,guestfwd=tcp:10.0.2.2:1234-cmd:cat",
               "the server address must be a free address in the network 10.0.2.0/24");
    user_fails("user,id=n0,guestfwd=tcp:192.168.1.1:1234-cmd:cat",
               "the server address must be a free address");
}
END_TEST

/* ------------------------------------------------------------------ help */

static char *help_text(void)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    netconf_print_help(&o.net, f);
    device_list_print_help(&o.devices, f);
    fclose(f);
    return buf;
}

START_TEST(test_help)
{
    ck_assert_int_eq(parse("-netdev", "help", "-m", "bogus", NULL), 0); /* parsing stops */
    ck_assert_int_eq(o.net.help, NET_HELP_BACKENDS);
    char *t = help_text();
    ck_assert_str_eq(t, "Available netdev backend types:\nuser\nhubport\nsocket\nstream\ndgram\n"
                        "tap\nbridge\n" VDE_LINE);
    free(t);
    ck_assert_int_eq(parse("-nic", "model=help", NULL), 0);
    ck_assert_int_eq(o.net.help, NET_HELP_MODELS);
    t = help_text();
    ck_assert_str_eq(t, "Available NIC models:\ne1000\nrtl8139\n");
    free(t);
    ck_assert_int_eq(parse("-nic", "user,model=?", NULL), 0);
    ck_assert_int_eq(o.net.help, NET_HELP_MODELS);
    ck_assert_int_eq(parse("-net", "nic,model=help", NULL), 0);
    ck_assert_int_eq(o.net.help, NET_HELP_MODELS);
    ck_assert_int_eq(parse("-nic", "help", NULL), 0);
    ck_assert_int_eq(o.net.help, NET_HELP_NIC);
    t = help_text();
    ck_assert(strstr(t, "tap\nbridge\n" VDE_LINE "\nAvailable NIC models:\ne1000\nrtl8139\n"));
    free(t);
    ck_assert_int_eq(parse("-device", "help", NULL), 0);
    ck_assert_int_eq(o.devices.help, DEVICE_PARSE_HELP);
    t = help_text();
    ck_assert(strstr(t, "Network devices:\nname \"e1000\", bus PCI, alias \"e1000-82540em\", "
                        "desc \"Intel Gigabit Ethernet (82540EM"));
    free(t);
    ck_assert_int_eq(parse("-device", "e1000,help", NULL), 0);
    ck_assert_int_eq(o.devices.help, DEVICE_PARSE_MODEL_HELP);
    t = help_text();
    ck_assert(strstr(t, "e1000 options:\n"));
    ck_assert(strstr(t, "netdev="));
    ck_assert(strstr(t, "mac="));
    free(t);
    fails_with("-device nope,help: 'nope' is not a valid device model name", "-device",
               "nope,help", NULL);
    ck_assert_int_eq(parse("-nic", "user", NULL), 0);
    ck_assert_int_eq(o.net.help, NET_HELP_NONE);
}
END_TEST


/* ------------------------------------------------------------------ building */

static Machine *pc(void)
{
    MachineConfig cfg = o.cfg;
    cfg.ram_size = 16 << 20;
    Machine *m = machine_new_pc(&cfg, NULL);
    ck_assert_ptr_nonnull(m);
    return m;
}

START_TEST(test_build_default)
{
    ck_assert_int_eq(parse(NULL), 0);
    Machine *m = pc();
    ck_assert_int_eq(net_build_all(m, &o.net, &o.devices, o.nodefaults, err, sizeof err), 0);
    NetClient *nic = net_client_find(m, "e1000.0");
    NetClient *user = net_client_find(m, "user.0");
    NetClient *p0 = net_client_find(m, "hub0port0"), *p1 = net_client_find(m, "hub0port1");
    ck_assert_ptr_nonnull(nic);
    ck_assert_ptr_nonnull(user);
    ck_assert_ptr_eq(nic->peer, p0);
    ck_assert_ptr_eq(p1->peer, user);
    ck_assert_int_eq(nic->info->kind, NET_CLIENT_NIC);
    ck_assert_int_eq(user->info->kind, NET_CLIENT_BACKEND);
    ck_assert_str_eq(user->info->type, "user");
    /* the NIC is on the PCI bus: Intel 8086:100E */
    bool found = false;
    for (int devfn = 0; devfn < 256; devfn += 8)
        if (pci_config_read(pc_board(m)->pci, devfn, 0, 2) == 0x100E8086u)
            found = true;
    ck_assert(found);
    /* The loop runs with the user backend's poll hook. */
    m->cpu->halted = true;
    for (int i = 0; i < 3; i++)
        machine_step(m);
    net_cleanup(m);
    ck_assert_ptr_null(net_clients(m));
    ck_assert_int_eq(m->npoll_hooks, 0);
    machine_free(m);
}
END_TEST

START_TEST(test_build_two_nics_and_errors)
{
    ck_assert_int_eq(parse("-netdev", "user,id=a,hostfwd=tcp:127.0.0.1:0-:22", "-device",
                           "e1000,netdev=a,addr=5", "-netdev",
                           "user,id=b,net=10.0.3.0/24,restrict=on", "-device",
                           "e1000,netdev=b,addr=6,id=second", NULL),
                     0);
    Machine *m = pc();
    ck_assert_int_eq(net_build_all(m, &o.net, &o.devices, o.nodefaults, err, sizeof err), 0);
    ck_assert_uint_eq(pci_config_read(pc_board(m)->pci, 5 << 3, 0, 2), 0x100E8086u);
    ck_assert_uint_eq(pci_config_read(pc_board(m)->pci, 6 << 3, 0, 2), 0x100E8086u);
    ck_assert_ptr_eq(net_client_find(m, "second")->peer, net_client_find(m, "b"));
    ck_assert_ptr_eq(net_client_find(m, "e1000.0")->peer, net_client_find(m, "a"));
    net_cleanup(m);
    machine_free(m);

    /* A PCI slot taken twice */
    ck_assert_int_eq(parse("-nic", "none", "-device", "e1000,addr=5", "-device", "e1000,addr=5",
                           NULL),
                     0);
    m = pc();
    ck_assert_int_eq(net_build_all(m, &o.net, &o.devices, o.nodefaults, err, sizeof err), 1);
    ck_assert_msg(strstr(err, "-device e1000,addr=5: "), "%s", err);
    net_cleanup(m);
    machine_free(m);

    /* A host port in use: QEMU's "could not set up host forwarding rule". */
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    ck_assert_int_eq(bind(s, (struct sockaddr *)&a, sizeof a), 0);
    ck_assert_int_eq(listen(s, 1), 0);
    socklen_t l = sizeof a;
    getsockname(s, (struct sockaddr *)&a, &l);
    char opt[128];
    snprintf(opt, sizeof opt, "user,hostfwd=tcp:127.0.0.1:%d-:22", ntohs(a.sin_port));
    ck_assert_int_eq(parse("-nic", opt, NULL), 0);
    m = pc();
    ck_assert_int_eq(net_build_all(m, &o.net, &o.devices, o.nodefaults, err, sizeof err), 1);
    ck_assert_msg(strstr(err, "could not set up host forwarding rule 'tcp:127.0.0.1:"), "%s", err);
    ck_assert_ptr_null(strchr(err, '\n'));
    net_cleanup(m);
    machine_free(m);
    close(s);

    /* guestfwd to a host TCP server nobody runs */
    s = socket(AF_INET, SOCK_STREAM, 0);
    a.sin_port = 0;
    bind(s, (struct sockaddr *)&a, sizeof a);
    getsockname(s, (struct sockaddr *)&a, &l);
    close(s);
    snprintf(opt, sizeof opt, "user,guestfwd=tcp:10.0.2.100:80-tcp:127.0.0.1:%d",
             ntohs(a.sin_port));
    ck_assert_int_eq(parse("-nic", opt, NULL), 0);
    m = pc();
    ck_assert_int_eq(net_build_all(m, &o.net, &o.devices, o.nodefaults, err, sizeof err), 1);
    ck_assert_msg(strstr(err, "cannot connect to 127.0.0.1:"), "%s", err);
    net_cleanup(m);
    machine_free(m);
}
END_TEST

static Suite *netopts_suite(void)
{
    Suite *s = suite_create("netopts");
    TCase *tc = tcase_create("options");
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_add_test(tc, test_default_network);
    tcase_add_test(tc, test_nic_option);
    tcase_add_test(tc, test_netdev_device);
    tcase_add_test(tc, test_legacy_net_and_hubs);
    tcase_add_test(tc, test_errors);
    tcase_add_test(tc, test_user_addresses);
    tcase_add_test(tc, test_user_options);
    tcase_add_test(tc, test_user_forwarding);
    tcase_add_test(tc, test_help);
    suite_add_tcase(s, tc);
    TCase *tb = tcase_create("build");
    tcase_add_checked_fixture(tb, NULL, teardown);
    tcase_add_test(tb, test_build_default);
    tcase_add_test(tb, test_build_two_nics_and_errors);
    suite_add_tcase(s, tb);
    return s;
}

WB_TEST_MAIN(netopts_suite)
