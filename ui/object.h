/* -object TYPE,id=ID,...: QEMU's user-creatable objects. Each type is one
 * const ObjectType in the file that implements it, listed once in
 * ui/object_table.c; parsing, checking, help and the "not supported yet"
 * message all walk that table. Objects are parsed with the other options
 * (mistakes end the program before anything starts) and created once the
 * machine and its network exist. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "hw/machine.h"
#include "hw/opts.h"

typedef struct ObjectOption {
    const char *name;
    const char *help;
} ObjectOption;

typedef struct ObjectType {
    const char *type; /* "filter-dump" */
    const char *desc; /* one line */
    const ObjectOption *options; /* for -object TYPE,help; ended by {NULL} */
    /* Parses and checks the object's own options (type and id are taken;
     * every key read is marked used, the rest is rejected). 0 with *conf,
     * or 1 with one line in err starting with origin. */
    int (*parse)(Opts *o, const char *origin, void **conf, char *err, size_t errlen);
    void (*free_conf)(void *conf);
    /* The id of the netdev the object works on (a filter's netdev=), or
     * NULL: checked against the network options when they are parsed. */
    const char *(*netdev_ref)(const void *conf);
    /* Creates it on m (after the networking). 0, or 1 with one line in err. */
    int (*create)(Machine *m, const char *id, const void *conf, char *err, size_t errlen);
} ObjectType;

/* The table (ui/object_table.c), NULL-terminated. */
extern const ObjectType *const object_types[];
/* QEMU's object types that wirebox does not have yet, NULL-terminated. */
extern const char *const object_types_not_yet[];
const ObjectType *object_type_find(const char *type);

#define OBJECT_MAX 32

typedef struct ObjectSpec {
    const ObjectType *type;
    char *id;
    char *origin; /* "-object filter-dump,id=f0,..." for messages */
    Opts *opts;   /* backs conf's strings */
    void *conf;
} ObjectSpec;

typedef struct ObjectList {
    ObjectSpec obj[OBJECT_MAX];
    int n;
    /* -object help (all types) or -object TYPE,help (one type's options) */
    bool help;
    const ObjectType *help_type;
} ObjectList;

/* Parses and checks one -object value. 0, or 1 with one line in err. */
int object_list_add(ObjectList *l, const char *val, char *err, size_t errlen);
void object_list_print_help(const ObjectList *l, FILE *f);
/* Creates every object in order. 0, or 1 with one line in err. */
int objects_create(Machine *m, const ObjectList *l, char *err, size_t errlen);
void object_list_free(ObjectList *l);
