/* -netdev, -nic and -net: QEMU's syntax and defaults, and the network devices
 * of -device.
 *
 * Options are recorded as given; net_plan turns them into a topology (the
 * backends, hub ports and NICs to create, with MAC addresses and warnings),
 * checking everything; net_build creates it on the machine. Which backends
 * exist and what they take is the backend table's business (net/backend.h);
 * which NIC models exist, the device registry's (hw/device.h). */
#define _GNU_SOURCE
#include "net/netopts.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "hw/util.h"

static const char *const opt_names[] = {"-netdev", "-nic", "-net"};

/* ------------------------------------------------------------------ recording options */

int netconf_add(NetConfig *c, NetOptKind kind, const char *val, char *err, size_t errlen)
{
    const char *name = opt_names[kind];
    if ((kind == NETOPT_NIC || kind == NETOPT_NET) && !strcmp(val, "none")) {
        c->nic_none = true;
        return 0;
    }
    Opts *o = opts_parse(val, "type");
    const char *type = opts_get(o, "type");
    if (opt_is_help(type)) {
        c->help = kind == NETOPT_NIC ? NET_HELP_NIC : NET_HELP_BACKENDS;
    } else if (opt_is_help(opts_get(o, "model"))) {
        c->help = NET_HELP_MODELS;
    } else if (kind == NETOPT_NETDEV && type) {
        for (int i = 0; i < o->n; i++) {
            if (opt_is_help(o->items[i].key) && net_backend_find(type)) {
                c->help = NET_HELP_OPTIONS;
                c->help_backend = net_backend_find(type);
            }
        }
    }
    opts_free(o);
    if (c->help)
        return 0;
    if (c->nopts >= NET_MAX_OPTS)
        return wb_errf(err, errlen, "%s %s: too many network options (at most %d)", name, val,
                       NET_MAX_OPTS);
    c->opt[c->nopts].kind = kind;
    c->opt[c->nopts].val = val;
    c->nopts++;
    return 0;
}

static void print_models(FILE *f)
{
    fputs("Available NIC models:\n", f);
    for (int i = 0; device_models[i]; i++)
        if (device_model_is_nic(device_models[i]))
            fprintf(f, "%s\n", device_models[i]->name);
}

void netconf_print_help(const NetConfig *c, FILE *f)
{
    switch (c->help) {
    case NET_HELP_BACKENDS:
        net_backend_print_types(f);
        break;
    case NET_HELP_NIC:
        net_backend_print_types(f);
        fputs("\n", f);
        print_models(f);
        break;
    case NET_HELP_MODELS:
        print_models(f);
        break;
    case NET_HELP_OPTIONS:
        fprintf(f, "-netdev %s: %s\n", c->help_backend->type, c->help_backend->desc);
        fputs("  id=<str>               - the netdev's id (required)\n", f);
        for (const NetBackendOption *op = c->help_backend->options; op && op->name; op++)
            fprintf(f, "  %-22s - %s\n", op->name, op->help);
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

static bool is_hubport(const PlanNetdev *d)
{
    return d->backend == &net_hubport_backend;
}

static int add_netdev(Builder *b, const NetBackend *backend, char *name, const char *origin)
{
    NetPlan *p = b->p;
    p->netdevs = wb_realloc(p->netdevs, (size_t)(p->nnetdevs + 1) * sizeof *p->netdevs);
    PlanNetdev *d = &p->netdevs[p->nnetdevs];
    memset(d, 0, sizeof *d);
    d->backend = backend;
    d->name = name;
    d->origin = origin;
    d->link = d->nic = d->linked_by = -1;
    return p->nnetdevs++;
}

static PlanNic *add_nic(Builder *b, const DeviceModel *model, const char *origin, bool board)
{
    NetPlan *p = b->p;
    p->nics = wb_realloc(p->nics, (size_t)(p->nnics + 1) * sizeof *p->nics);
    PlanNic *n = &p->nics[p->nnics++];
    memset(n, 0, sizeof *n);
    n->model = model;
    n->origin = origin;
    n->board = board;
    n->device = -1;
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
    p->warnings = wb_realloc(p->warnings, (size_t)(p->nwarnings + 1) * sizeof(char *));
    p->warnings[p->nwarnings++] = s;
}

static const DeviceModel *model_or_fail(Builder *b, const char *origin, const char *model)
{
    const DeviceModel *m = device_model_find(model);
    if (m && device_model_is_nic(m))
        return m;
    char list[256] = "";
    for (int i = 0; device_models[i]; i++) {
        if (!device_model_is_nic(device_models[i]))
            continue;
        size_t at = strlen(list);
        snprintf(list + at, sizeof list - at, "%s%s", at ? ", " : "", device_models[i]->name);
    }
    wb_errf(b->err, b->errlen, "%s: unknown NIC model '%s' (available: %s)", origin, model, list);
    return NULL;
}

static int check_unused(Builder *b, Opts *o, const char *origin)
{
    const char *k = opts_unused(o);
    if (k)
        return wb_errf(b->err, b->errlen, "%s: invalid parameter '%s'", origin, k);
    return 0;
}

/* A backend of type from o (type, id and the NIC's keys already taken);
 * o is the netdev's from now on. Returns its index or -1. */
static int add_backend(Builder *b, const NetBackend *backend, Opts *o, char *name,
                       const char *origin)
{
    void *conf = NULL;
    if (backend->parse(o, origin, &conf, b->err, b->errlen) || check_unused(b, o, origin)) {
        if (conf)
            backend->free_conf(conf);
        free(name);
        opts_free(o);
        return -1;
    }
    int i = add_netdev(b, backend, name, origin);
    PlanNetdev *d = &b->p->netdevs[i];
    d->conf = conf;
    d->opts = o;
    if (is_hubport(d)) {
        const HubportConf *h = conf;
        d->hub = h->hub;
        d->link_name = h->link ? wb_strdup(h->link) : NULL;
    }
    return i;
}

static int id_or_fail(Builder *b, const char *origin, const char *id)
{
    if (!opt_valid_id(id))
        return wb_errf(b->err, b->errlen, "%s: id=%s: an id is a letter followed by letters, "
                       "digits, '-', '.' or '_'", origin, id);
    return 0;
}

static int plan_netdev(Builder *b, const char *origin, const char *val)
{
    Opts *o = opts_parse(val, "type");
    const char *type = opts_get(o, "type");
    const char *id = opts_get(o, "id");
    if (net_backend_check(type ? type : "", origin, b->err, b->errlen))
        goto bad;
    if (!id) {
        wb_errf(b->err, b->errlen, "%s: parameter 'id' is missing", origin);
        goto bad;
    }
    if (id_or_fail(b, origin, id))
        goto bad;
    return add_backend(b, net_backend_find(type), o, wb_strdup(id), origin) < 0;
bad:
    opts_free(o);
    return 1;
}

/* An implicit port of hub 0 for -net. */
static int hub0_port(Builder *b, const char *origin)
{
    int n = 0;
    for (int i = 0; i < b->p->nnetdevs; i++)
        n += is_hubport(&b->p->netdevs[i]) && b->p->netdevs[i].hub == 0;
    int i = add_netdev(b, &net_hubport_backend, wb_asprintf("hub0port%d", n), origin);
    b->p->netdevs[i].conf = wb_calloc(1, sizeof(HubportConf)); /* hub 0 */
    return i;
}

/* The device a -nic or -net nic option describes, checked by the registry
 * as a -device of the same model would be. */
static int board_nic(Builder *b, const char *origin, const char *model, const char *mac,
                     const char *mac_key, const char *addr, const char *id, PlanNic **out)
{
    const DeviceModel *dm = model_or_fail(b, origin, model ? model : "e1000");
    if (!dm)
        return 1;
    char *qmac = opts_quote(mac ? mac : ""), *qaddr = opts_quote(addr ? addr : "");
    char *text = wb_asprintf("%s%s%s%s%s", dm->name, mac ? ",mac=" : "", qmac,
                             addr ? ",addr=" : "", qaddr);
    free(qmac);
    free(qaddr);
    DeviceSpec *spec;
    DeviceParse help;
    const DeviceModel *hm;
    int rc = device_spec_parse(text, origin, &spec, &help, &hm, b->err, b->errlen);
    free(text);
    if (rc) {
        /* the registry names the property mac=; this option calls it mac_key= */
        size_t at = strlen(origin) + 2;
        if (strcmp(mac_key, "mac") && strlen(b->err) > at && !strncmp(b->err + at, "mac=", 4)) {
            char *rest = wb_strdup(b->err + at + 4);
            wb_errf(b->err, b->errlen, "%s: %s=%s", origin, mac_key, rest);
            free(rest);
        }
        return 1;
    }
    PlanNic *n = add_nic(b, dm, origin, true);
    n->spec = spec;
    n->id = id ? wb_strdup(id) : NULL;
    n->devfn = spec->devfn;
    const uint8_t *m = dev_mac(spec, "mac");
    if (m) {
        n->mac_set = true;
        memcpy(n->mac, m, 6);
    }
    *out = n;
    return 0;
}

static int plan_nic_option(Builder *b, const char *origin, const char *val)
{
    /* -nic [TYPE][,model=][,mac=][,id=][,backend options]; TYPE defaults to user */
    Opts *o = opts_parse(val, "type");
    const char *type = opts_get(o, "type");
    const char *model = opts_get(o, "model"), *mac = opts_get(o, "mac"), *id = opts_get(o, "id");
    if (!type)
        type = "user";
    PlanNic *n;
    if (net_backend_check(type, origin, b->err, b->errlen) || (id && id_or_fail(b, origin, id)) ||
        board_nic(b, origin, model, mac, "mac", NULL, NULL, &n)) {
        opts_free(o);
        return 1;
    }
    char *name = id ? wb_strdup(id) : wb_asprintf("__org.qemu.nic%d", b->nic_count);
    b->nic_count++;
    int d = add_backend(b, net_backend_find(type), o, name, origin);
    if (d < 0)
        return 1;
    n->netdev_name = wb_strdup(b->p->netdevs[d].name);
    return 0;
}

static int plan_net_option(Builder *b, const char *origin, const char *val)
{
    Opts *o = opts_parse(val, "type");
    const char *type = opts_get(o, "type");
    if (!type)
        type = "";
    if (opts_get(o, "vlan")) {
        opts_free(o);
        return wb_errf(b->err, b->errlen, "%s: vlan= is gone (as in QEMU 3.0 and later); use "
                       "netdev= or -netdev hubport", origin);
    }
    if (!strcmp(type, "nic")) {
        const char *v, *id = (v = opts_get(o, "name")) ? v : opts_get(o, "id");
        const char *netdev = opts_get(o, "netdev");
        opts_get(o, "vectors"); /* MSI-X vectors: meaningless for these models */
        PlanNic *n;
        if (board_nic(b, origin, opts_get(o, "model"), opts_get(o, "macaddr"), "macaddr",
                      opts_get(o, "addr"), id, &n) ||
            check_unused(b, o, origin)) {
            opts_free(o);
            return 1;
        }
        n->netdev_name = netdev ? wb_strdup(netdev) : NULL;
        opts_free(o);
        if (!netdev) {
            int port = hub0_port(b, origin);
            b->p->nics[b->p->nnics - 1].netdev_name = wb_strdup(b->p->netdevs[port].name);
        }
        return 0;
    }
    if (net_backend_check(type, origin, b->err, b->errlen))
        goto bad;
    const NetBackend *backend = net_backend_find(type);
    if (!backend->host) {
        wb_errf(b->err, b->errlen, "%s: use -netdev %s,id=ID,...", origin, backend->type);
        opts_free(o);
        return 1;
    }
    /* -net TYPE: a backend on hub 0 */
    const char *id = opts_get(o, "id"), *name = opts_get(o, "name");
    if (!id)
        id = name;
    char *nm = id ? wb_strdup(id) : wb_asprintf("%s.%d", type, b->user_count);
    b->user_count++;
    int d = add_backend(b, backend, o, nm, origin);
    if (d < 0)
        return 1;
    int port = hub0_port(b, origin);
    b->p->netdevs[port].link_name = wb_strdup(b->p->netdevs[d].name);
    return 0;
bad:
    opts_free(o);
    return 1;
}

/* The NICs among the -device options. */
static int plan_devices(Builder *b, const DeviceList *devices)
{
    for (int i = 0; devices && i < devices->n; i++) {
        DeviceSpec *s = device_list_spec(devices, i);
        if (!s)
            return wb_errf(b->err, b->errlen, "-device %s: cannot parse it", devices->text[i]);
        if (device_model_is_nic(s->model)) {
            PlanNic *n = add_nic(b, s->model, s->origin, false);
            n->device = i;
            n->spec = s;
            n->id = s->id ? wb_strdup(s->id) : NULL;
            n->devfn = s->devfn;
            const uint8_t *m = dev_mac(s, "mac");
            if (m) {
                n->mac_set = true;
                memcpy(n->mac, m, 6);
            }
            const char *nd = dev_is_set(s, "netdev") ? dev_str(s, "netdev") : NULL;
            n->netdev_name = nd ? wb_strdup(nd) : NULL;
        } else {
            device_spec_free(s);
        }
    }
    return 0;
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
        PlanNetdev *d = &p->netdevs[i];
        free(d->name);
        free(d->link_name);
        if (d->conf)
            d->backend->free_conf(d->conf);
        opts_free(d->opts);
    }
    for (int i = 0; i < p->nnics; i++) {
        free(p->nics[i].name);
        free(p->nics[i].id);
        free(p->nics[i].netdev_name);
        device_spec_free(p->nics[i].spec);
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
        if (!is_hubport(d) || !d->link_name)
            continue;
        int t = find_netdev(p, d->link_name);
        if (t < 0)
            return wb_errf(b->err, b->errlen, "%s: netdev '%s' not found", d->origin, d->link_name);
        if (is_hubport(&p->netdevs[t]))
            return wb_errf(b->err, b->errlen, "%s: netdev '%s' is a hub port; hubs cannot be "
                        "chained", d->origin, d->link_name);
        if (p->netdevs[t].linked_by >= 0)
            return wb_errf(b->err, b->errlen, "%s: netdev '%s' is already in use", d->origin,
                        d->link_name);
        d->link = t;
        p->netdevs[t].linked_by = i;
    }
    /* NICs: board ones (-nic, -net nic) first, then -device, each in order. */
    PlanNic *sorted = wb_calloc((size_t)p->nnics, sizeof *sorted);
    int k = 0;
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < p->nnics; i++)
            if (p->nics[i].board == (pass == 0))
                sorted[k++] = p->nics[i];
    if (p->nnics)
        memcpy(p->nics, sorted, (size_t)p->nnics * sizeof *sorted);
    free(sorted);
    for (int i = 0; i < p->nnics; i++) {
        PlanNic *n = &p->nics[i];
        int same = 0; /* NICs of this model before it: names MODEL.N */
        for (int j = 0; j < i; j++)
            same += p->nics[j].model == n->model;
        n->name = n->id ? wb_strdup(n->id) : wb_asprintf("%s.%d", n->model->name, same);
        if (!n->netdev_name)
            continue;
        int t = find_netdev(p, n->netdev_name);
        if (t < 0)
            return wb_errf(b->err, b->errlen, "%s: netdev '%s' not found", n->origin,
                        n->netdev_name);
        PlanNetdev *d = &p->netdevs[t];
        if (d->nic >= 0 || d->linked_by >= 0 || (is_hubport(d) && d->link >= 0))
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
            warn(p, "%s %s has no peer", is_hubport(d) ? "hub port" : "netdev",
                 d->name);
    }
    for (int i = 0; i < p->nnetdevs; i++) {
        PlanNetdev *d = &p->netdevs[i];
        if (!is_hubport(d))
            continue;
        bool first = true;
        for (int j = 0; j < i; j++)
            if (is_hubport(&p->netdevs[j]) && p->netdevs[j].hub == d->hub)
                first = false;
        if (!first)
            continue;
        bool has_nic = false, has_host = false;
        for (int j = 0; j < p->nnetdevs; j++) {
            PlanNetdev *q = &p->netdevs[j];
            if (!is_hubport(q) || q->hub != d->hub)
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


int net_plan(const NetConfig *c, const DeviceList *devices, bool nodefaults, NetPlan **out,
             char *err, size_t errlen)
{
    Builder b = {.p = wb_calloc(1, sizeof(NetPlan)), .err = err, .errlen = errlen};
    *out = NULL;
    bool any = false;
    for (int i = 0; i < c->nopts; i++) {
        const char *val = c->opt[i].val;
        /* the option's text, for messages: "-netdev user,id=n0" */
        char *origin = b.p->origins[i] = wb_asprintf("%s %s", opt_names[c->opt[i].kind], val);
        int rc = 0;
        any = true;
        switch (c->opt[i].kind) {
        case NETOPT_NETDEV:
            rc = plan_netdev(&b, origin, val);
            break;
        case NETOPT_NIC:
            rc = plan_nic_option(&b, origin, val);
            break;
        case NETOPT_NET:
            rc = plan_net_option(&b, origin, val);
            break;
        }
        if (rc) {
            net_plan_free(b.p);
            return 1;
        }
    }
    if (plan_devices(&b, devices)) {
        net_plan_free(b.p);
        return 1;
    }
    /* QEMU's default on a PC: -net nic -net user (both on hub 0). */
    if (!any && !c->nic_none && !nodefaults) {
        static const char def[] = "(default network)";
        PlanNic *n;
        if (board_nic(&b, def, NULL, NULL, "mac", NULL, NULL, &n)) {
            net_plan_free(b.p);
            return 1;
        }
        int port = hub0_port(&b, def);
        b.p->nics[b.p->nnics - 1].netdev_name = wb_strdup(b.p->netdevs[port].name);
        const NetBackend *user = net_backend_find("user");
        if (user && (!user->missing || !user->missing())) {
            int d = add_backend(&b, user, opts_parse("", "type"), wb_strdup("user.0"), def);
            if (d < 0) {
                net_plan_free(b.p);
                return 1;
            }
            port = hub0_port(&b, def);
            b.p->netdevs[port].link_name = wb_strdup("user.0");
        }
    }
    if (plan_resolve(&b)) {
        net_plan_free(b.p);
        return 1;
    }
    *out = b.p;
    return 0;
}

/* ------------------------------------------------------------------ building */

/* What a NIC is told when it is created: its name, peer and MAC address. */
static void nic_wiring(const NetPlan *p, const PlanNic *n, DeviceContext *ctx)
{
    ctx->name = n->name;
    ctx->peer = n->netdev >= 0 ? p->netdevs[n->netdev].client : NULL;
    memcpy(ctx->mac, n->mac, 6);
}

int net_build(Machine *m, NetPlan *p, char *err, size_t errlen)
{
    for (int i = 0; i < p->nwarnings; i++)
        wb_log("warning: %s", p->warnings[i]);
    /* Backends first, then the hub ports that plug them in. */
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < p->nnetdevs; i++) {
            PlanNetdev *d = &p->netdevs[i];
            if (is_hubport(d) != (pass == 1))
                continue;
            char why[384] = "";
            d->client = d->backend->create(m, d->name, d->conf, why, sizeof why);
            if (!d->client)
                return wb_errf(err, errlen, "%s: %s", d->origin, why);
            if (d->link >= 0)
                net_client_set_peer(d->client, p->netdevs[d->link].client);
        }
    }
    for (int i = 0; i < p->nnics; i++) {
        PlanNic *n = &p->nics[i];
        if (!n->board)
            continue;
        DeviceContext ctx = device_context(m, n->spec, n->name);
        nic_wiring(p, n, &ctx);
        if (device_create(n->spec, &ctx, err, errlen))
            return 1;
    }
    return 0;
}

void net_wire_device(void *opaque, int index, const DeviceSpec *spec, DeviceContext *ctx)
{
    NetPlan *p = opaque;
    for (int i = 0; i < p->nnics; i++)
        if (!p->nics[i].board && p->nics[i].device == index)
            nic_wiring(p, &p->nics[i], ctx);
}

int net_build_all(Machine *m, const NetConfig *c, const DeviceList *devices, bool nodefaults,
                  char *err, size_t errlen)
{
    NetPlan *p;
    if (net_plan(c, devices, nodefaults, &p, err, errlen))
        return 1;
    int rc = net_build(m, p, err, errlen) ||
             devices_create(m, devices, net_wire_device, p, err, errlen);
    net_plan_free(p);
    return rc;
}
