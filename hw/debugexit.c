/* isa-debug-exit: a write of V to its ports ends wirebox with exit status
 * (V << 1) | 1, as QEMU's device does (so a test guest's status 0 is 1 and
 * never looks like a clean run of wirebox itself). The value is what the
 * guest wrote, at the width it wrote it; the shell sees its low 8 bits.
 * Reads return all ones. */
#include "hw/device.h"

typedef struct DebugExit {
    Machine *m;
} DebugExit;

static void debugexit_write(void *opaque, uint32_t offset, uint32_t val, int size_log2)
{
    DebugExit *d = opaque;
    machine_request_shutdown(d->m, (int)(((uint64_t)val << 1) | 1));
}

static int debugexit_create(const DeviceContext *ctx, const DeviceSpec *spec, char *err,
                            size_t errlen)
{
    uint64_t base = dev_uint(spec, "iobase"), size = dev_uint(spec, "iosize");
    if (size == 0 || base + size > 0x10000)
        return wb_errf(err, errlen, "iobase=0x%llx,iosize=0x%llx: ports beyond 0xffff",
                       (unsigned long long)base, (unsigned long long)size);
    DebugExit *d = machine_zalloc(ctx->m, sizeof *d);
    d->m = ctx->m;
    io_register(ctx->m, "isa-debug-exit", (uint16_t)base, (uint16_t)size, d, NULL,
                debugexit_write);
    return 0;
}

static const DevProp debugexit_props[] = {
    {"iobase", PROP_UINT, "0x501", "first I/O port", 0xFFFF},
    {"iosize", PROP_UINT, "0x02", "number of I/O ports", 0x100},
    {NULL},
};

const DeviceModel debugexit_device = {
    .name = "isa-debug-exit",
    .desc = "a write of V exits with status (V << 1) | 1",
    .category = DEV_CAT_MISC,
    .bus = DEV_BUS_ISA,
    .props = debugexit_props,
    .create = debugexit_create,
};
