/* libFuzzer target: the Multiboot v1 loader (bios/multiboot.c) with hostile
 * kernel files, modules and command lines (input format: loader.h; the
 * initrd bytes become the modules: bit 15 of bytes 8-9 set splits them in
 * two at (bytes 8-9 & 0x7FFF) modulo their length, else one module).
 *
 * The files go through multiboot_setup_mem on a bare machine. A file that is
 * no Multiboot kernel leaves the machine as it was (the Linux loader's turn);
 * a load either fails with one line naming the option, or leaves what the
 * specification promises, checked against the input (and again after a
 * reset, which reloads it): EAX = 0x2BADB002, EBX = the information
 * structure in low memory; the memory fields and the map within RAM; the
 * command line "NAME ARGS"; every module where its entry says, byte for
 * byte, page-aligned, inside RAM, over no other module and not over the
 * information area, with its string; the CPU in flat 32-bit protected mode
 * at an entry inside RAM. */
/* fuzz-models: bios/multiboot.c */
#include "loader.h"

#include "bios/multiboot.h"
#include "cpu/cpu.h"

#define NAME "fuzz.mb"

static uint32_t ld32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The modules the input describes (at most two). */
FZ_HARNESS static int modules(const FzLoad *l, MultibootModule mods[2])
{
    if (!l->initrd)
        return 0;
    if (!(l->extra & 0x8000)) {
        mods[0] = (MultibootModule){l->initrd, l->initrd_size, "mod0 one two"};
        return 1;
    }
    size_t cut = (l->extra & 0x7FFF) % (l->initrd_size + 1);
    mods[0] = (MultibootModule){l->initrd, cut, "mod0 one two"};
    mods[1] = (MultibootModule){l->initrd + cut, l->initrd_size - cut, "mod1"};
    return 2;
}

static int load(Machine *m, const FzLoad *l, char *err, size_t errlen)
{
    MultibootModule mods[2];
    int n = modules(l, mods);
    int rc = multiboot_setup_mem(m, NAME, l->kernel, l->kernel_size, mods, n, l->cmdline, err,
                                 errlen);
    if (rc == MULTIBOOT_NOT) {
        /* not ours: nothing done, so the Linux loader may try */
        FUZZ_CHECK(m->on_reset == NULL, "not a Multiboot kernel, but a reset hook was set");
        snprintf(err, errlen, "-kernel " NAME ": not a Multiboot kernel");
        return -1;
    }
    return rc;
}

/* A NUL-terminated string at guest address a, inside RAM; NULL if not. */
FZ_HARNESS static const char *guest_str(Machine *m, uint32_t a)
{
    if (a >= m->ram_size)
        return NULL;
    const char *s = (const char *)m->ram + a;
    return memchr(s, 0, m->ram_size - a) ? s : NULL;
}

FZ_HARNESS static void check(Machine *m, const FzLoad *l)
{
    const uint8_t *ram = m->ram;
    uint32_t ram_size = m->ram_size;
    const CPU *c = m->cpu;
    FUZZ_CHECK(c->regs[R_EAX] == MB_BOOT_MAGIC && c->regs[R_EBX] == MB_INFO_ADDR,
               "EAX %#x EBX %#x at the entry", c->regs[R_EAX], c->regs[R_EBX]);
    FUZZ_CHECK((c->cr0 & CR0_PE) && !(c->cr0 & CR0_PG), "not in protected mode without paging");
    FUZZ_CHECK(c->eip < ram_size, "entry %#x outside RAM", c->eip);

    const uint8_t *info = ram + MB_INFO_ADDR;
    uint32_t flags = ld32(info + MB_I_FLAGS);
    if (flags & MB_INFO_MEMORY) {
        FUZZ_CHECK(ld32(info + MB_I_MEM_LOWER) <= 640, "mem_lower %u KiB",
                   ld32(info + MB_I_MEM_LOWER));
        FUZZ_CHECK(1024 + (uint64_t)ld32(info + MB_I_MEM_UPPER) <= ram_size / 1024,
                   "mem_upper %u KiB beyond RAM", ld32(info + MB_I_MEM_UPPER));
    }
    if (flags & MB_INFO_MMAP) {
        uint32_t a = ld32(info + MB_I_MMAP_ADDR), len = ld32(info + MB_I_MMAP_LENGTH);
        FUZZ_CHECK(a >= MB_INFO_ADDR && (uint64_t)a + len <= MB_INFO_END && len % MB_MMAP_ENTRY == 0,
                   "memory map at %#x, %u bytes", a, len);
        for (uint32_t off = 0; off < len; off += MB_MMAP_ENTRY) {
            const uint8_t *e = ram + a + off;
            uint64_t base = ld32(e + 4) | (uint64_t)ld32(e + 8) << 32;
            uint64_t size = ld32(e + 12) | (uint64_t)ld32(e + 16) << 32;
            FUZZ_CHECK(ld32(e) == 20, "map entry size field %u", ld32(e));
            if (ld32(e + 20) == MB_MMAP_RAM)
                FUZZ_CHECK(base + size <= ram_size, "map: RAM [%#llx, +%#llx) beyond RAM",
                           (unsigned long long)base, (unsigned long long)size);
        }
    }

    FUZZ_CHECK(flags & MB_INFO_CMDLINE, "no command line");
    const char *cmd = guest_str(m, ld32(info + MB_I_CMDLINE));
    FUZZ_CHECK(cmd, "command line pointer %#x", ld32(info + MB_I_CMDLINE));
    if (l->cmdline && *l->cmdline)
        FUZZ_CHECK(!strncmp(cmd, NAME " ", strlen(NAME) + 1) &&
                       !strcmp(cmd + strlen(NAME) + 1, l->cmdline),
                   "command line differs from NAME -append");
    else
        FUZZ_CHECK(!strcmp(cmd, NAME), "command line '%s' without -append", cmd);

    MultibootModule mods[2];
    int n = modules(l, mods);
    FUZZ_CHECK(flags & MB_INFO_MODS, "no module fields");
    FUZZ_CHECK(ld32(info + MB_I_MODS_COUNT) == (uint32_t)n, "%u modules for %d",
               ld32(info + MB_I_MODS_COUNT), n);
    uint32_t list = ld32(info + MB_I_MODS_ADDR);
    FUZZ_CHECK(n == 0 || (list >= MB_INFO_ADDR && list + MB_MOD_SIZE * (uint64_t)n <= MB_INFO_END),
               "module list at %#x", list);
    uint32_t start[2] = {0}, end[2] = {0};
    for (int i = 0; i < n; i++) {
        const uint8_t *e = ram + list + MB_MOD_SIZE * i;
        start[i] = ld32(e);
        end[i] = ld32(e + 4);
        FUZZ_CHECK(!(start[i] & 0xFFF), "module %d at %#x, not page-aligned", i, start[i]);
        FUZZ_CHECK(start[i] <= end[i] && end[i] <= ram_size, "module %d [%#x, %#x) beyond RAM", i,
                   start[i], end[i]);
        FUZZ_CHECK(end[i] - start[i] == mods[i].size, "module %d: %u bytes for %zu", i,
                   end[i] - start[i], mods[i].size);
        FUZZ_CHECK(start[i] >= MB_INFO_END || end[i] <= MB_INFO_ADDR,
                   "module %d over the information area", i);
        FUZZ_CHECK(!memcmp(ram + start[i], mods[i].data, mods[i].size), "module %d differs", i);
        const char *s = guest_str(m, ld32(e + 8));
        FUZZ_CHECK(s && !strcmp(s, mods[i].string), "module %d's string", i);
    }
    if (n == 2 && mods[0].size && mods[1].size)
        FUZZ_CHECK(end[0] <= start[1] || end[1] <= start[0], "the modules overlap");
    if (flags & MB_INFO_LOADER_NAME)
        FUZZ_CHECK(guest_str(m, ld32(info + MB_I_LOADER_NAME)), "boot loader name pointer");
}

static const char *const prefixes[] = {"-kernel ", "-initrd", NULL};

static const FzLoader multiboot_loader = {
    .name = "multiboot_setup_mem",
    .load = load,
    .check = check,
    .prefixes = prefixes,
};

FZ_QUIET_INITIALIZE

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_loader_run(&multiboot_loader, data, size);
    return 0;
}
