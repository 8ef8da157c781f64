/* libFuzzer target: everything a user's command line reaches before a
 * machine exists: options_parse (ui/options.c), -device parsing for every
 * model of the registry (hw/device.c, hw/opts.c), the network plan
 * (net/netopts.c: net_plan, the backends' option parsers, the help texts)
 * and the -gdb address (gdb_parse_addr).
 *
 * The input is split at NUL bytes into argv[1..] (argv[0] is "wirebox");
 * each argument gets its own allocation, so reading past one is caught.
 * Checked: parsing returns 0 or 1 and never exits; an error is one line
 * with a reason, also when the buffer is small; a success leaves a
 * configuration within its documented ranges, whose strings point into
 * argv, and a network plan that checks again and is consistent (indexes in
 * range, NICs and netdevs pointing at each other, PCI addresses valid; a
 * slot taken twice is the PCI bus's to refuse, as in QEMU). */
/* fuzz-models: ui/options.c net/netopts.c hw/device.c hw/opts.c */
#include "fuzz.h"

#include "bios/bios.h"
#include "net/netopts.h"
#include "net/user.h"
#include "ui/chardev.h"
#include "ui/gdbstub.h"
#include "ui/options.h"

#define MAX_ARGS 128

static FILE *devnull;

FZ_HARNESS static bool in_argv(const char *s, int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (s >= argv[i] && s <= argv[i] + strlen(argv[i]))
            return true;
    return false;
}

FZ_HARNESS static void check_message(const char *what, const char *err, size_t errlen)
{
    const char *bad = fz_bad_message(err, errlen);
    FUZZ_CHECK(!bad, "%s: message %s: '%.*s'", what, bad, (int)strnlen(err, errlen), err);
}

FZ_HARNESS static void check_plan(const NetPlan *p, int ndevices)
{
    FUZZ_CHECK(p->nnetdevs >= 0 && p->nnics >= 0 && p->nwarnings >= 0, "negative counts");
    for (int i = 0; i < p->nwarnings; i++) {
        FUZZ_CHECK(p->warnings[i] != NULL, "warning %d is NULL", i);
        check_message("net_plan warning", p->warnings[i], strlen(p->warnings[i]) + 1);
    }
    for (int i = 0; i < p->nnetdevs; i++) {
        const PlanNetdev *d = &p->netdevs[i];
        FUZZ_CHECK(d->name && d->origin, "netdev %d without a name or origin", i);
        FUZZ_CHECK(d->backend && net_backend_find(d->backend->type) == d->backend,
                   "netdev %d: a backend not in the table", i);
        FUZZ_CHECK(d->link >= -1 && d->link < p->nnetdevs && d->link != i,
                   "netdev %d links to %d of %d", i, d->link, p->nnetdevs);
        FUZZ_CHECK(d->nic >= -1 && d->nic < p->nnics, "netdev %d wired to NIC %d of %d", i, d->nic,
                   p->nnics);
        if (d->nic >= 0)
            FUZZ_CHECK(p->nics[d->nic].netdev == i, "netdev %d -> NIC %d -> netdev %d", i, d->nic,
                       p->nics[d->nic].netdev);
        FUZZ_CHECK(d->linked_by >= -1 && d->linked_by < p->nnetdevs, "netdev %d linked by %d", i,
                   d->linked_by);
        if (d->backend == &net_hubport_backend) {
            const HubportConf *h = d->conf;
            FUZZ_CHECK(h && h->hub >= 0 && d->hub == h->hub, "hubport %d: hub %d", i, d->hub);
        }
        if (!strcmp(d->backend->type, "user") && d->conf) {
            const UserConf *u = d->conf;
            FUZZ_CHECK(u->nhostfwd >= 0 && u->nguestfwd >= 0 && u->ndnssearch >= 0,
                       "netdev %d: negative forward counts", i);
            for (int k = 0; k < u->nhostfwd; k++)
                FUZZ_CHECK(u->hostfwd[k].host_port >= 0 && u->hostfwd[k].host_port <= 65535 &&
                               u->hostfwd[k].guest_port >= 0 && u->hostfwd[k].guest_port <= 65535,
                           "netdev %d: hostfwd %d ports %d -> %d", i, k, u->hostfwd[k].host_port,
                           u->hostfwd[k].guest_port);
            for (int k = 0; k < u->nguestfwd; k++)
                FUZZ_CHECK(u->guestfwd[k].port >= 0 && u->guestfwd[k].port <= 65535,
                           "netdev %d: guestfwd %d port %d", i, k, u->guestfwd[k].port);
            for (int k = 0; k < u->ndnssearch; k++)
                FUZZ_CHECK(u->dnssearch && u->dnssearch[k], "netdev %d: dnssearch %d", i, k);
            FUZZ_CHECK(!u->dnssearch || !u->dnssearch[u->ndnssearch],
                       "netdev %d: dnssearch list not terminated", i);
            FUZZ_CHECK(u->prefix6_len >= 0 && u->prefix6_len <= 128, "netdev %d: prefix6 /%d", i,
                       u->prefix6_len);
        }
    }
    for (int i = 0; i < p->nnics; i++) {
        const PlanNic *n = &p->nics[i];
        FUZZ_CHECK(n->model && n->name && n->origin, "NIC %d without model, name or origin", i);
        FUZZ_CHECK(device_model_find(n->model->name) == n->model &&
                       device_model_is_nic(n->model),
                   "NIC %d: not a NIC model of the registry", i);
        FUZZ_CHECK(n->board ? n->device == -1 && n->spec : n->device >= 0 && n->device < ndevices,
                   "NIC %d: device index %d (board %d)", i, n->device, n->board);
        FUZZ_CHECK(n->devfn >= -1 && n->devfn < 256, "NIC %d at devfn %d", i, n->devfn);
        FUZZ_CHECK(n->netdev >= -1 && n->netdev < p->nnetdevs, "NIC %d on netdev %d of %d", i,
                   n->netdev, p->nnetdevs);
        if (n->netdev >= 0)
            FUZZ_CHECK(p->netdevs[n->netdev].nic == i, "NIC %d -> netdev %d -> NIC %d", i,
                       n->netdev, p->netdevs[n->netdev].nic);
        FUZZ_CHECK(!(n->mac[0] & 1), "NIC %d has a multicast MAC", i);
    }
}

FZ_HARNESS static void check_config(const Options *o, int argc, char **argv)
{
    const MachineConfig *c = &o->cfg;
    FUZZ_CHECK(c->ram_size >= OPT_RAM_MIN && c->ram_size <= OPT_RAM_MAX && !(c->ram_size % 8192),
               "ram_size %u", c->ram_size);
    FUZZ_CHECK(c->icount_shift >= -1 && c->icount_shift <= OPT_ICOUNT_MAX_SHIFT,
               "icount shift %d", c->icount_shift);
    FUZZ_CHECK(c->nserial >= 0 && c->nserial <= MAX_SERIAL, "%d serial ports", c->nserial);
    for (int i = 0; i < c->nserial; i++)
        FUZZ_CHECK(c->serial[i] != NULL, "serial %d is NULL", i);
    const char *strs[] = {c->kernel, c->initrd, c->append, c->bios};
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
        FUZZ_CHECK(!strs[i] || in_argv(strs[i], argc, argv), "a string not from argv");
    FUZZ_CHECK(o->net.nopts >= 0 && o->net.nopts <= NET_MAX_OPTS, "%d network options",
               o->net.nopts);
    for (int i = 0; i < o->net.nopts; i++)
        FUZZ_CHECK(in_argv(o->net.opt[i].val, argc, argv), "network option %d not from argv", i);
    FUZZ_CHECK(o->devices.n >= 0 && o->devices.n <= MAX_DEVICE_OPTS, "%d devices",
               o->devices.n);
    /* Each -device parses again as it did when it was added (at creation). */
    for (int i = 0; i < o->devices.n; i++) {
        bool owned = false; /* or made by options_parse (-debugcon's isa-debugcon) */
        for (int k = 0; k < o->nowned; k++)
            owned |= o->devices.text[i] == o->owned[k];
        FUZZ_CHECK(owned || in_argv(o->devices.text[i], argc, argv),
                   "-device %d neither from argv nor made by options_parse", i);
        DeviceSpec *spec = device_list_spec(&o->devices, i);
        FUZZ_CHECK(spec && spec->model && spec->origin, "-device %d does not parse again", i);
        FUZZ_CHECK(device_model_find(spec->model->name) == spec->model,
                   "-device %d: a model not in the registry", i);
        FUZZ_CHECK(spec->devfn >= -1 && spec->devfn < 256, "-device %d at devfn %d", i,
                   spec->devfn);
        device_spec_free(spec);
    }
}

static void check_gdb_addr(const char *spec)
{
    GdbAddr a;
    char err[512];
    memset(err, 0x55, sizeof err);
    int rc = gdb_parse_addr(spec, &a, err, sizeof err);
    FUZZ_CHECK(rc == 0 || rc == -1, "gdb_parse_addr returned %d", rc);
    if (rc) {
        check_message("gdb_parse_addr", err, sizeof err);
        return;
    }
    if (a.is_unix) {
        size_t len = strnlen(a.path, sizeof a.path);
        FUZZ_CHECK(len > 0 && len < sizeof a.path, "unix path of %zu bytes", len);
    } else {
        FUZZ_CHECK(a.port >= 0 && a.port <= 65535, "port %d", a.port);
        size_t len = strnlen(a.host, sizeof a.host);
        FUZZ_CHECK(len > 0 && len < sizeof a.host, "host of %zu bytes", len);
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fz_quiet_logs();
    devnull = fopen("/dev/null", "w");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *argv[MAX_ARGS + 1];
    int argc = 0;
    argv[argc++] = strdup("wirebox");
    for (size_t i = 0; i < size && argc < MAX_ARGS;) {
        const uint8_t *nul = memchr(data + i, 0, size - i);
        size_t len = nul ? (size_t)(nul - (data + i)) : size - i;
        argv[argc] = malloc(len + 1);
        memcpy(argv[argc], data + i, len);
        argv[argc++][len] = '\0';
        i += len + 1;
    }
    argv[argc] = NULL;

    Options o;
    char err[512];
    memset(err, 0x55, sizeof err);
    int rc = options_parse(argc, argv, &o, err, sizeof err);
    FUZZ_CHECK(rc == 0 || rc == 1, "options_parse returned %d", rc);
    if (fz_verbose())
        fprintf(stderr, "fuzz_options: %d arguments: %s\n", argc - 1, rc ? err : "accepted");
    if (rc) {
        check_message("options_parse", err, sizeof err);
        options_free(&o);
        /* The same with a small buffer: still one line, cut, terminated. */
        char small[24];
        memset(small, 0x55, sizeof small);
        size_t smallen = 1 + size % (sizeof small - 1);
        FUZZ_CHECK(options_parse(argc, argv, &o, small, smallen) == 1,
                   "options_parse failed, then succeeded");
        const char *bad = fz_bad_message(small, smallen);
        FUZZ_CHECK(!bad || (smallen == 1 && !small[0]), "options_parse, %zu-byte buffer: %s",
                   smallen, bad);
    } else if (o.help) {
        options_usage(devnull);
    } else if (o.version) {
        options_version(devnull);
    } else if (o.net.help) {
        netconf_print_help(&o.net, devnull);
    } else if (o.devices.help) {
        device_list_print_help(&o.devices, devnull);
    } else if (o.objects.help) {
        object_list_print_help(&o.objects, devnull);
    } else if (o.con.help) {
        chardev_print_help(devnull);
    } else if (o.firmware_dirs_help) {
        /* -L help: wirebox prints the directories and ends, as it does for
         * the other help requests; the options after it are not read. */
        fw_dirs_print(devnull);
    } else {
        check_config(&o, argc, argv);
        NetPlan *plan = NULL;
        rc = net_plan(&o.net, &o.devices, o.nodefaults, &plan, err, sizeof err);
        FUZZ_CHECK(rc == 0 && plan, "options_parse's plan passed, net_plan failed: %s",
                   rc ? err : "no plan");
        check_plan(plan, o.devices.n);
        net_plan_free(plan);
        if (o.cfg.gdb && strcmp(o.cfg.gdb, "none"))
            check_gdb_addr(o.cfg.gdb);
    }
    /* Any argument as a -gdb address, too (gdbstub_listen parses it at start). */
    if (argc > 1)
        check_gdb_addr(argv[argc - 1]);
    options_free(&o); /* what options_parse allocated (chardev texts, -object specs) */

    for (int i = 0; i < argc; i++)
        free(argv[i]);
    return 0;
}
