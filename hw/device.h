/* The device registry: every device model a user can add with -device (and
 * that -nic/-net can name as a NIC model) is one const row, defined with
 * designated initialisers in the model's own file and listed once in
 * hw/device_table.c. A row says what the device is called, what it is, which
 * bus it plugs into, which properties it takes and how it is created.
 *
 * -device MODEL,prop=val,... is parsed and checked here for every model
 * (property names, types and values: one parser, QEMU's spellings); net/
 * only resolves netdev= for network models and hands the device its peer
 * and MAC address. Creation gets the bus the device sits on, never the
 * whole board. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "hw/chips.h"
#include "hw/machine.h"

struct NetClient;

typedef enum {
    DEV_CAT_NETWORK,
    DEV_CAT_STORAGE,
    DEV_CAT_DISPLAY,
    DEV_CAT_MISC,
    DEV_CAT_COUNT
} DevCategory;

typedef enum { DEV_BUS_NONE, DEV_BUS_PCI, DEV_BUS_ISA } DevBus;

typedef enum {
    PROP_STR,     /* any text */
    PROP_BOOL,    /* on/off, yes/no, true/false, y/n */
    PROP_UINT,    /* a number (decimal, 0x hex) up to max */
    PROP_SIZE,    /* bytes, with an optional K/M/G/T suffix */
    PROP_MAC,     /* xx:xx:xx:xx:xx:xx, a unicast, non-zero address */
    PROP_NETDEV,  /* the id of a -netdev (net/ resolves it) */
    PROP_CHARDEV, /* the id of a -chardev */
} PropType;

typedef struct DevProp {
    const char *name;
    PropType type;
    const char *def;  /* default as text, shown by -device MODEL,help; NULL: none */
    const char *help; /* one line, or NULL */
    uint64_t max;     /* PROP_UINT: the largest value accepted (0: UINT32_MAX) */
} DevProp;

/* What a device is handed when it is created. */
typedef struct DeviceContext {
    Machine *m;          /* clock, timers, DMA, resets, ports */
    PciBus *pci;         /* DEV_BUS_PCI: the bus it plugs into */
    const IsaBus *isa;   /* DEV_BUS_ISA: its ports and IRQ lines */
    const char *name;    /* id=, or a name the layer made up ("e1000.0") */
    int devfn;           /* DEV_BUS_PCI: addr=, or -1 for the first free slot */
    /* Network models: what net/ resolved. */
    struct NetClient *peer; /* the netdev or hub port it is wired to; NULL: none */
    uint8_t mac[6];         /* mac=, or the next free 52:54:00:12:34:xx */
    /* A model with a PROP_CHARDEV property that is set: the chardev's
     * output side (hw/machine.h CharDev), from the machine's chardev lookup;
     * NULL if it was not set or not found. */
    CharDev *chr;
} DeviceContext;

typedef struct DeviceSpec DeviceSpec;

typedef struct DeviceModel {
    const char *name;
    const char *alias; /* QEMU's other name for it, or NULL */
    const char *desc;  /* one line for -device help */
    DevCategory category;
    DevBus bus;
    const DevProp *props; /* the model's own properties, ended by {NULL} */
    /* Create it. Returns 0, or 1 with one line in err (no "-device" prefix:
     * the caller adds the option). */
    int (*create)(const DeviceContext *ctx, const DeviceSpec *spec, char *err, size_t errlen);
} DeviceModel;

/* The table (hw/device_table.c), NULL-terminated, in -device help order. */
extern const DeviceModel *const device_models[];
const DeviceModel *device_model_find(const char *name); /* by name or alias */
/* A network model: one with a netdev property (what -nic model= accepts). */
bool device_model_is_nic(const DeviceModel *model);

/* ---- One -device option, parsed and checked. */
#define DEV_MAX_PROPS 32
typedef struct DevValue {
    bool set; /* given on the command line (otherwise the default is used) */
    const char *str;
    uint64_t num; /* PROP_UINT, PROP_SIZE; PROP_BOOL: 0/1 */
    uint8_t mac[6];
} DevValue;

struct DeviceSpec {
    const DeviceModel *model;
    char *origin; /* "-device e1000,netdev=n0", for messages */
    char *id;     /* id=, or NULL */
    int devfn;    /* addr= (PCI), or -1 */
    DevValue val[DEV_MAX_PROPS]; /* the model's props, in table order */
    struct Opts *opts;           /* owns the strings */
};

/* What a -device option asks for besides a device. */
typedef enum { DEVICE_PARSE_OK, DEVICE_PARSE_HELP, DEVICE_PARSE_MODEL_HELP } DeviceParse;

/* Parses the text of one -device option ("MODEL,prop=val,..."). Returns 0
 * with *out (or *out NULL and *help set for "help" / "MODEL,help"), or 1
 * with one line in err starting with origin: the option as the user gave
 * it (NULL: "-device TEXT"). */
int device_spec_parse(const char *text, const char *origin, DeviceSpec **out, DeviceParse *help,
                      const DeviceModel **help_model, char *err, size_t errlen);
void device_spec_free(DeviceSpec *s);

/* Property values, by name (the model's table must have it): the value
 * given, else the default. */
const char *dev_str(const DeviceSpec *s, const char *name);
uint64_t dev_uint(const DeviceSpec *s, const char *name);
bool dev_bool(const DeviceSpec *s, const char *name);
bool dev_is_set(const DeviceSpec *s, const char *name);
const uint8_t *dev_mac(const DeviceSpec *s, const char *name); /* NULL if not given */

/* A context for creating spec on machine m: its bus and name. NIC wiring
 * (peer, mac) is the caller's (net/). */
DeviceContext device_context(Machine *m, const DeviceSpec *spec, const char *name);
/* Creates the device; 0, or 1 with "ORIGIN: why" in err. */
int device_create(const DeviceSpec *spec, const DeviceContext *ctx, char *err, size_t errlen);

/* ---- The -device options of a command line, in order (values point into
 * argv). Each is parsed and checked when added, and parsed again when the
 * devices are created. */
#define MAX_DEVICE_OPTS 64
typedef struct DeviceList {
    const char *text[MAX_DEVICE_OPTS];
    int n;
    DeviceParse help; /* a help request: print it and exit 0 */
    const DeviceModel *help_model;
} DeviceList;

/* Records one -device option after checking it (model, properties, values,
 * unique id). Returns 0, or 1 with one line in err. */
int device_list_add(DeviceList *l, const char *text, char *err, size_t errlen);
/* Parses entry i again (it was checked when added). NULL only if memory ran out. */
DeviceSpec *device_list_spec(const DeviceList *l, int i);
void device_list_print_help(const DeviceList *l, FILE *f);

/* Fills in what a layer knows about device index before it is created
 * (net/: a NIC's peer, MAC address and name). */
typedef void (*DeviceWire)(void *opaque, int index, const DeviceSpec *spec, DeviceContext *ctx);
/* Creates every device of the list in order on m. Returns 0, or 1 with err. */
int devices_create(Machine *m, const DeviceList *l, DeviceWire wire, void *opaque, char *err,
                   size_t errlen);

/* -device help (models grouped by category, as QEMU prints them) and
 * -device MODEL,help (its properties with types and defaults). */
void device_print_help(FILE *f);
void device_print_props(FILE *f, const DeviceModel *model);
