/* The device registry (hw/device.h): -device parsing, help and creation
 * for every model in the table. */
#include "hw/device.h"

#include <stdlib.h>
#include <string.h>

#include "hw/opts.h"
#include "hw/pc.h"

/* Properties every device of a bus has, besides its own. */
static const DevProp pci_common_props[] = {
    {"addr", PROP_STR, "-1", "Slot and optional function number, example: 06.0 or 06"},
    {NULL},
};

static const char *const category_title[DEV_CAT_COUNT] = {
    [DEV_CAT_NETWORK] = "Network devices",
    [DEV_CAT_STORAGE] = "Storage devices",
    [DEV_CAT_DISPLAY] = "Display devices",
    [DEV_CAT_MISC] = "Misc devices",
};

static const char *const bus_name[] = {
    [DEV_BUS_NONE] = NULL,
    [DEV_BUS_PCI] = "PCI",
    [DEV_BUS_ISA] = "ISA",
};

/* The bus= values a device of each bus accepts (there is one of each). */
static const char *const bus_id[] = {
    [DEV_BUS_NONE] = NULL,
    [DEV_BUS_PCI] = "pci.0",
    [DEV_BUS_ISA] = "isa.0",
};

const DeviceModel *device_model_find(const char *name)
{
    for (int i = 0; device_models[i]; i++) {
        const DeviceModel *d = device_models[i];
        if (!strcmp(d->name, name) || (d->alias && !strcmp(d->alias, name)))
            return d;
    }
    return NULL;
}

bool device_model_is_nic(const DeviceModel *model)
{
    for (const DevProp *p = model->props; p && p->name; p++)
        if (p->type == PROP_NETDEV)
            return true;
    return false;
}

static int prop_index(const DeviceModel *model, const char *name)
{
    for (int i = 0; model->props && model->props[i].name; i++)
        if (!strcmp(model->props[i].name, name))
            return i;
    return -1;
}

/* ------------------------------------------------------------------ values */

static const char *const type_name[] = {
    [PROP_STR] = "str",   [PROP_BOOL] = "bool",  [PROP_UINT] = "uint32",  [PROP_SIZE] = "size",
    [PROP_MAC] = "str",   [PROP_NETDEV] = "str", [PROP_CHARDEV] = "str",
};

/* Parses v as p's type into out; 0, or 1 with the reason in err. */
static int parse_value(const DevProp *p, const char *v, DevValue *out, char *err, size_t errlen)
{
    out->str = v;
    switch (p->type) {
    case PROP_STR:
    case PROP_NETDEV:
    case PROP_CHARDEV:
        if (p->type != PROP_STR && !*v)
            return wb_errf(err, errlen, "%s= needs an id", p->name);
        return 0;
    case PROP_BOOL: {
        bool b;
        if (opt_parse_bool(v, &b))
            return wb_errf(err, errlen, "%s=%s: expected on or off", p->name, v);
        out->num = b;
        return 0;
    }
    case PROP_UINT: {
        uint64_t max = p->max ? p->max : UINT32_MAX;
        if (opt_parse_uint(v, max, &out->num))
            return wb_errf(err, errlen, "%s=%s: expected a number from 0 to %llu (0x%llx)",
                           p->name, v, (unsigned long long)max, (unsigned long long)max);
        return 0;
    }
    case PROP_SIZE:
        if (opt_parse_size(v, 0, &out->num))
            return wb_errf(err, errlen, "%s=%s: expected a size (a number with an optional "
                           "K, M or G suffix)", p->name, v);
        return 0;
    case PROP_MAC: {
        uint8_t *mac = out->mac;
        if (opt_parse_mac(v, mac))
            return wb_errf(err, errlen, "%s=%s: invalid MAC address (expected xx:xx:xx:xx:xx:xx)",
                           p->name, v);
        if (mac[0] & 1)
            return wb_errf(err, errlen, "%s=%s: a NIC's MAC address must not be multicast",
                           p->name, v);
        if (!(mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]))
            return wb_errf(err, errlen, "%s=%s: a NIC's MAC address must not be zero", p->name,
                           v);
        return 0;
    }
    }
    return 0;
}

static const DevValue *value_of(const DeviceSpec *s, const char *name, DevValue *def)
{
    int i = prop_index(s->model, name);
    if (i < 0) {
        /* A model asking for a property its table lacks: a bug in the model. */
        wb_log("internal error: %s has no property '%s'", s->model->name, name);
        memset(def, 0, sizeof *def);
        def->str = "";
        return def;
    }
    if (s->val[i].set)
        return &s->val[i];
    memset(def, 0, sizeof *def);
    const DevProp *p = &s->model->props[i];
    if (p->def) {
        char ignore[8];
        parse_value(p, p->def, def, ignore, sizeof ignore);
    }
    return def;
}

const char *dev_str(const DeviceSpec *s, const char *name)
{
    DevValue d;
    const char *v = value_of(s, name, &d)->str;
    return v;
}

uint64_t dev_uint(const DeviceSpec *s, const char *name)
{
    DevValue d;
    return value_of(s, name, &d)->num;
}

bool dev_bool(const DeviceSpec *s, const char *name)
{
    DevValue d;
    return value_of(s, name, &d)->num != 0;
}

bool dev_is_set(const DeviceSpec *s, const char *name)
{
    int i = prop_index(s->model, name);
    return i >= 0 && s->val[i].set;
}

const uint8_t *dev_mac(const DeviceSpec *s, const char *name)
{
    int i = prop_index(s->model, name);
    return i >= 0 && s->val[i].set ? s->val[i].mac : NULL;
}

/* ------------------------------------------------------------------ parsing */

void device_spec_free(DeviceSpec *s)
{
    if (!s)
        return;
    opts_free(s->opts);
    free(s->origin);
    free(s);
}

int device_spec_parse(const char *text, const char *origin, DeviceSpec **out, DeviceParse *help,
                      const DeviceModel **help_model, char *err, size_t errlen)
{
    *out = NULL;
    *help = DEVICE_PARSE_OK;
    Opts *o = opts_parse(text, "driver");
    const char *driver = opts_get(o, "driver");
    if (opt_is_help(driver)) {
        opts_free(o);
        *help = DEVICE_PARSE_HELP;
        return 0;
    }
    const DeviceModel *model = driver ? device_model_find(driver) : NULL;
    if (!model) {
        int rc = origin ? wb_errf(err, errlen, "%s: '%s' is not a valid device model name "
                                  "(see -device help)", origin, driver ? driver : "")
                        : wb_errf(err, errlen, "-device %s: '%s' is not a valid device model name "
                                  "(see -device help)", text, driver ? driver : "");
        opts_free(o);
        return rc;
    }
    for (int i = 0; i < o->n; i++) {
        if (opt_is_help(o->items[i].key)) {
            opts_free(o);
            *help = DEVICE_PARSE_MODEL_HELP;
            *help_model = model;
            return 0;
        }
    }
    DeviceSpec *s = wb_calloc(1, sizeof *s);
    s->model = model;
    s->opts = o;
    s->devfn = -1;
    s->origin = origin ? wb_strdup(origin) : wb_asprintf("-device %s", text);
    char why[256];
    const char *v;
    if ((v = opts_get(o, "id"))) {
        if (!opt_valid_id(v)) {
            wb_errf(err, errlen, "%s: id=%s: an id is a letter followed by letters, digits, "
                    "'-', '.' or '_'", s->origin, v);
            goto bad;
        }
        s->id = (char *)v;
    }
    if ((v = opts_get(o, "bus")) && (!bus_id[model->bus] || strcmp(v, bus_id[model->bus]))) {
        if (bus_id[model->bus])
            wb_errf(err, errlen, "%s: bus '%s' not found (its %s bus is '%s')", s->origin, v,
                    bus_name[model->bus], bus_id[model->bus]);
        else
            wb_errf(err, errlen, "%s: bus '%s' not found", s->origin, v);
        goto bad;
    }
    if (model->bus == DEV_BUS_PCI && (v = opts_get(o, "addr")) && opt_parse_pci_addr(v, &s->devfn)) {
        wb_errf(err, errlen, "%s: addr=%s: invalid PCI address (expected SLOT[.FUNCTION] in hex, "
                "slot 0-1f)", s->origin, v);
        goto bad;
    }
    for (int i = 0; model->props && model->props[i].name; i++) {
        const DevProp *p = &model->props[i];
        if (!(v = opts_get(o, p->name)))
            continue;
        if (parse_value(p, v, &s->val[i], why, sizeof why)) {
            wb_errf(err, errlen, "%s: %s", s->origin, why);
            goto bad;
        }
        s->val[i].set = true;
    }
    const char *k = opts_unused(o);
    if (k) {
        wb_errf(err, errlen, "%s: property '%s.%s' not found (see -device %s,help)", s->origin,
                model->name, k, model->name);
        goto bad;
    }
    *out = s;
    return 0;
bad:
    device_spec_free(s);
    return 1;
}

/* ------------------------------------------------------------------ creation */

DeviceContext device_context(Machine *m, const DeviceSpec *spec, const char *name)
{
    PcBoard *b = pc_board(m);
    DeviceContext ctx = {
        .m = m,
        .pci = b && spec->model->bus == DEV_BUS_PCI ? b->pci : NULL,
        .isa = b && spec->model->bus == DEV_BUS_ISA ? &b->isa : NULL,
        .name = name ? name : spec->id ? spec->id : spec->model->name,
        .devfn = spec->devfn,
    };
    for (int i = 0; spec->model->props && spec->model->props[i].name; i++)
        if (spec->model->props[i].type == PROP_CHARDEV && spec->val[i].set)
            ctx.chr = machine_chardev(m, spec->val[i].str);
    return ctx;
}

int device_create(const DeviceSpec *spec, const DeviceContext *ctx, char *err, size_t errlen)
{
    const DeviceModel *model = spec->model;
    if ((model->bus == DEV_BUS_PCI && !ctx->pci) || (model->bus == DEV_BUS_ISA && !ctx->isa))
        return wb_errf(err, errlen, "%s: the machine has no %s bus", spec->origin,
                       bus_name[model->bus]);
    char why[384] = "";
    if (model->create(ctx, spec, why, sizeof why))
        return wb_errf(err, errlen, "%s: %s", spec->origin, why[0] ? why : "cannot create it");
    return 0;
}

/* ------------------------------------------------------------------ the list */

int device_list_add(DeviceList *l, const char *text, char *err, size_t errlen)
{
    DeviceSpec *s;
    DeviceParse help;
    const DeviceModel *help_model = NULL;
    if (device_spec_parse(text, NULL, &s, &help, &help_model, err, errlen))
        return 1;
    if (help != DEVICE_PARSE_OK) {
        l->help = help;
        l->help_model = help_model;
        return 0;
    }
    int rc = 0;
    for (int i = 0; i < l->n && s->id && !rc; i++) {
        DeviceSpec *o = device_list_spec(l, i);
        if (o && o->id && !strcmp(o->id, s->id))
            rc = wb_errf(err, errlen, "%s: duplicate device id '%s'", s->origin, s->id);
        device_spec_free(o);
    }
    if (!rc && l->n >= MAX_DEVICE_OPTS)
        rc = wb_errf(err, errlen, "%s: too many -device options (at most %d)", s->origin,
                     MAX_DEVICE_OPTS);
    if (!rc)
        l->text[l->n++] = text;
    device_spec_free(s);
    return rc;
}

DeviceSpec *device_list_spec(const DeviceList *l, int i)
{
    DeviceSpec *s = NULL;
    DeviceParse help;
    const DeviceModel *hm;
    char err[8];
    if (i < 0 || i >= l->n ||
        device_spec_parse(l->text[i], NULL, &s, &help, &hm, err, sizeof err))
        return NULL;
    return s;
}

void device_list_print_help(const DeviceList *l, FILE *f)
{
    if (l->help == DEVICE_PARSE_HELP)
        device_print_help(f);
    else if (l->help == DEVICE_PARSE_MODEL_HELP)
        device_print_props(f, l->help_model);
}

int devices_create(Machine *m, const DeviceList *l, DeviceWire wire, void *opaque, char *err,
                   size_t errlen)
{
    for (int i = 0; i < l->n; i++) {
        DeviceSpec *s = device_list_spec(l, i);
        if (!s)
            return wb_errf(err, errlen, "-device %s: cannot parse it", l->text[i]);
        DeviceContext ctx = device_context(m, s, NULL);
        if (wire)
            wire(opaque, i, s, &ctx);
        int rc = device_create(s, &ctx, err, errlen);
        device_spec_free(s);
        if (rc)
            return 1;
    }
    return 0;
}

/* ------------------------------------------------------------------ help */

void device_print_help(FILE *f)
{
    bool first = true;
    for (int c = 0; c < DEV_CAT_COUNT; c++) {
        bool any = false;
        for (int i = 0; device_models[i]; i++) {
            const DeviceModel *d = device_models[i];
            if ((int)d->category != c)
                continue;
            if (!any)
                fprintf(f, "%s%s:\n", first ? "" : "\n", category_title[c]);
            first = false;
            any = true;
            fprintf(f, "name \"%s\"", d->name);
            if (bus_name[d->bus])
                fprintf(f, ", bus %s", bus_name[d->bus]);
            if (d->alias)
                fprintf(f, ", alias \"%s\"", d->alias);
            if (d->desc)
                fprintf(f, ", desc \"%s\"", d->desc);
            fputc('\n', f);
        }
    }
}

static void print_prop(FILE *f, const DevProp *p)
{
    char left[64];
    snprintf(left, sizeof left, "%s=<%s>", p->name, type_name[p->type]);
    fprintf(f, "  %-22s", left);
    if (p->help || p->def)
        fprintf(f, " - %s", p->help ? p->help : "");
    if (p->def)
        fprintf(f, "%s(default: %s)", p->help ? " " : "", p->def);
    fputc('\n', f);
}

static int prop_cmp(const void *a, const void *b)
{
    return strcmp((*(const DevProp *const *)a)->name, (*(const DevProp *const *)b)->name);
}

void device_print_props(FILE *f, const DeviceModel *model)
{
    const DevProp *all[DEV_MAX_PROPS + 8];
    int n = 0;
    if (model->bus == DEV_BUS_PCI)
        for (const DevProp *p = pci_common_props; p->name; p++)
            all[n++] = p;
    for (const DevProp *p = model->props; p && p->name && n < DEV_MAX_PROPS + 8; p++)
        all[n++] = p;
    qsort(all, (size_t)n, sizeof all[0], prop_cmp);
    fprintf(f, "%s options:\n", model->name);
    for (int i = 0; i < n; i++)
        print_prop(f, all[i]);
}
