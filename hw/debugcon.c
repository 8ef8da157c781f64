/* isa-debugcon: Bochs' and QEMU's debug console. Each byte written to its
 * port (0xE9 by default) goes to its chardev; a read returns the readback
 * value (0xE9), which is how a guest detects the port. With no chardev
 * the bytes are dropped. */
#include "hw/device.h"

typedef struct DebugCon {
    CharDev *chr;
    uint8_t readback;
} DebugCon;

static uint32_t debugcon_read(void *opaque, uint32_t offset, int size_log2)
{
    DebugCon *d = opaque;
    return d->readback;
}

static void debugcon_write(void *opaque, uint32_t offset, uint32_t val, int size_log2)
{
    DebugCon *d = opaque;
    uint8_t ch = (uint8_t)val;
    if (d->chr && d->chr->write)
        d->chr->write(d->chr->opaque, &ch, 1);
}

static int debugcon_create(const DeviceContext *ctx, const DeviceSpec *spec, char *err,
                           size_t errlen)
{
    if (dev_is_set(spec, "chardev") && !ctx->chr)
        return wb_errf(err, errlen, "chardev '%s' not found", dev_str(spec, "chardev"));
    DebugCon *d = machine_zalloc(ctx->m, sizeof *d);
    d->chr = ctx->chr;
    d->readback = (uint8_t)dev_uint(spec, "readback");
    io_register(ctx->m, "isa-debugcon", (uint16_t)dev_uint(spec, "iobase"), 1, d, debugcon_read,
                debugcon_write);
    return 0;
}

static const DevProp debugcon_props[] = {
    {"iobase", PROP_UINT, "0xe9", "I/O port", 0xFFFF},
    {"chardev", PROP_CHARDEV, NULL, "ID of a chardev to use as a backend"},
    {"readback", PROP_UINT, "0xe9", "value a read returns", 0xFF},
    {NULL},
};

const DeviceModel debugcon_device = {
    .name = "isa-debugcon",
    .desc = "Bochs/QEMU debug console: port 0xE9 to a chardev",
    .category = DEV_CAT_MISC,
    .bus = DEV_BUS_ISA,
    .props = debugcon_props,
    .create = debugcon_create,
};
