/* Shared by the boot loader fuzz targets (fuzz_linuxboot.c; a multiboot
 * loader gets its own fuzz_multiboot.c on top of this): one input format,
 * the machine, and what every loader owes its user.
 *
 * Input: a 10-byte header, then the pieces it sizes:
 *   byte 0     guest RAM: 4, 16, 32 or 64 MiB (low two bits)
 *   byte 1     flags: LD_INITRD (an initrd is given), LD_CMDLINE (a command
 *              line is given), LD_RESET (after a successful load the
 *              machine resets once, which reloads everything)
 *   bytes 2-3  command line length (little-endian; cut at a NUL)
 *   bytes 4-7  initrd length (little-endian, at most what is left)
 *   bytes 8-9  reserved for the loader's own use (0 for Linux)
 *   then the command line, the initrd, and the rest is the kernel file.
 * A loader fuzz target fills in a FzLoader and calls fz_loader_run. */
#pragma once
#include "fuzz.h"

#include "bios/bios.h"

enum { LD_INITRD = 1, LD_CMDLINE = 2, LD_RESET = 4 };

typedef struct FzLoad {
    uint32_t ram_size;
    uint8_t flags;
    uint16_t extra;
    char *cmdline;        /* NULL when not given */
    const uint8_t *initrd; /* NULL when not given */
    size_t initrd_size;
    const uint8_t *kernel;
    size_t kernel_size;
} FzLoad;

typedef struct FzLoader {
    const char *name; /* "linuxboot" */
    /* Load l onto m; 0, or -1 with one line in err (the loader's contract). */
    int (*load)(Machine *m, const FzLoad *l, char *err, size_t errlen);
    /* After a successful load (and again after a reset): what the guest
     * finds in RAM and the CPU is what the files and the protocol say. */
    void (*check)(Machine *m, const FzLoad *l);
    /* After a failed one: what the message must start with ("-kernel ", ...). */
    const char *const *prefixes;
} FzLoader;

static inline void fz_loader_run(const FzLoader *ld, const uint8_t *data, size_t size)
{
    static const uint32_t rams[4] = {4u << 20, 16u << 20, 32u << 20, 64u << 20};
    FuzzIn in = fz_in(data, size);
    FzLoad l = {0};
    l.ram_size = rams[fz_u8(&in) & 3];
    l.flags = fz_u8(&in);
    size_t clen = fz_u16(&in);
    size_t ilen = fz_u32(&in);
    l.extra = fz_u16(&in);
    if (clen > in.n)
        clen = in.n;
    if (l.flags & LD_CMDLINE) {
        l.cmdline = malloc(clen + 1);
        memcpy(l.cmdline, in.p, clen);
        l.cmdline[clen] = '\0';
        in.p += clen;
        in.n -= clen;
    }
    if (ilen > in.n)
        ilen = in.n;
    if (l.flags & LD_INITRD) {
        l.initrd = in.p;
        l.initrd_size = ilen;
        in.p += ilen;
        in.n -= ilen;
    }
    l.kernel = in.p;
    l.kernel_size = in.n;

    Machine *m = fz_machine(l.ram_size);
    char err[512];
    memset(err, 0x55, sizeof err);
    int rc = ld->load(m, &l, err, sizeof err);
    FUZZ_CHECK(rc == 0 || rc == -1, "%s returned %d", ld->name, rc);
    if (fz_verbose())
        fprintf(stderr, "%s: %s\n", ld->name, rc ? err : "loaded");
    if (rc == 0) {
        ld->check(m, &l);
        if (l.flags & LD_RESET) {
            machine_reset(m);
            ld->check(m, &l);
        }
    } else {
        const char *bad = fz_bad_message(err, sizeof err);
        FUZZ_CHECK(!bad, "%s message %s", ld->name, bad);
        bool known = false;
        for (int i = 0; ld->prefixes[i]; i++)
            known |= !strncmp(err, ld->prefixes[i], strlen(ld->prefixes[i]));
        FUZZ_CHECK(known, "%s message names no option: '%s'", ld->name, err);
        FUZZ_CHECK(m->on_reset == NULL, "%s failed but left a reset hook", ld->name);
    }
    bios_free(m);
    machine_free(m);
    free(l.cmdline);
}
