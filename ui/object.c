/* -object: parsing, checking, help and creation for every type in the
 * object table (ui/object.h). */
#include "ui/object.h"

#include <stdlib.h>
#include <string.h>

#include "hw/util.h"

const ObjectType *object_type_find(const char *type)
{
    for (int i = 0; object_types[i]; i++)
        if (!strcmp(object_types[i]->type, type))
            return object_types[i];
    return NULL;
}

static void list_types(char *buf, size_t len)
{
    buf[0] = '\0';
    for (int i = 0; object_types[i]; i++) {
        size_t at = strlen(buf);
        snprintf(buf + at, len - at, "%s%s", at ? ", " : "", object_types[i]->type);
    }
}

int object_list_add(ObjectList *l, const char *val, char *err, size_t errlen)
{
    char origin[512];
    snprintf(origin, sizeof origin, "-object %s", val);
    Opts *o = opts_parse(val, "qom-type");
    const char *type = opts_get(o, "qom-type");
    if (opt_is_help(type)) {
        l->help = true;
        opts_free(o);
        return 0;
    }
    char list[256];
    list_types(list, sizeof list);
    if (!type || !*type) {
        opts_free(o);
        return wb_errf(err, errlen, "%s: missing object type (see -object help)", origin);
    }
    const ObjectType *t = object_type_find(type);
    if (!t) {
        bool later = false;
        for (int i = 0; object_types_not_yet[i]; i++)
            later |= !strcmp(object_types_not_yet[i], type);
        if (later)
            wb_errf(err, errlen, "%s: the object type '%s' is not supported by wirebox yet "
                    "(supported: %s)", origin, type, list);
        else
            wb_errf(err, errlen, "%s: '%s' is not an object type (supported: %s)", origin, type,
                    list);
        opts_free(o);
        return 1;
    }
    for (int i = 0; i < o->n; i++) {
        if (opt_is_help(o->items[i].key)) {
            l->help = true;
            l->help_type = t;
            opts_free(o);
            return 0;
        }
    }
    const char *id = opts_get(o, "id");
    void *conf = NULL;
    const char *unused;
    if (!id) {
        wb_errf(err, errlen, "%s: parameter 'id' is missing", origin);
        goto bad;
    }
    if (!opt_valid_id(id)) {
        wb_errf(err, errlen, "%s: id=%s: an id is a letter followed by letters, digits, '-', "
                "'.' or '_'", origin, id);
        goto bad;
    }
    for (int i = 0; i < l->n; i++) {
        if (!strcmp(l->obj[i].id, id)) {
            wb_errf(err, errlen, "%s: duplicate object id '%s'", origin, id);
            goto bad;
        }
    }
    if (l->n >= OBJECT_MAX) {
        wb_errf(err, errlen, "%s: too many objects (at most %d)", origin, OBJECT_MAX);
        goto bad;
    }
    if (t->parse(o, origin, &conf, err, errlen))
        goto bad;
    if ((unused = opts_unused(o))) {
        wb_errf(err, errlen, "%s: invalid parameter '%s'", origin, unused);
        t->free_conf(conf);
        goto bad;
    }
    ObjectSpec *s = &l->obj[l->n++];
    s->type = t;
    s->id = wb_strdup(id);
    s->origin = wb_strdup(origin);
    s->opts = o;
    s->conf = conf;
    return 0;
bad:
    opts_free(o);
    return 1;
}

void object_list_print_help(const ObjectList *l, FILE *f)
{
    if (l->help_type) {
        fprintf(f, "%s: %s\n", l->help_type->type, l->help_type->desc);
        fputs("  id=<str>               - the object's id (required)\n", f);
        for (const ObjectOption *op = l->help_type->options; op && op->name; op++)
            fprintf(f, "  %-22s - %s\n", op->name, op->help);
        return;
    }
    fputs("List of user creatable objects:\n", f);
    for (int i = 0; object_types[i]; i++)
        fprintf(f, "  %-20s %s\n", object_types[i]->type, object_types[i]->desc);
}

int objects_create(Machine *m, const ObjectList *l, char *err, size_t errlen)
{
    for (int i = 0; i < l->n; i++) {
        const ObjectSpec *s = &l->obj[i];
        char why[400];
        if (s->type->create(m, s->id, s->conf, why, sizeof why))
            return wb_errf(err, errlen, "%s: %s", s->origin, why);
    }
    return 0;
}

void object_list_free(ObjectList *l)
{
    for (int i = 0; i < l->n; i++) {
        ObjectSpec *s = &l->obj[i];
        if (s->conf)
            s->type->free_conf(s->conf);
        opts_free(s->opts);
        free(s->id);
        free(s->origin);
    }
    l->n = 0;
}
