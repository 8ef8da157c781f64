/* Multiboot v1 direct boot (the Multiboot Specification, version 0.6.96):
 * the kernel's header is found and checked, the kernel is loaded from its
 * ELF32 program headers or by the header's a.out kludge addresses, the
 * modules (-initrd "file1 args,file2") above it, and the information
 * structure with the memory map, modules, command line and boot loader
 * name in low memory (bios/multiboot.h). The kernel file is the user's but
 * every offset and length in it is checked as if it were hostile: the fuzz
 * target drives multiboot_setup_mem. */
#include "bios/multiboot.h"
#include "bios/bios.h"
#include "hw/bytes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ONE_MIB 0x100000u
#define PAGE 4096u
#define MAX_SEGMENTS 16
#define MAX_MODULES 32

#define ELF_PT_LOAD 1
#define ELF_ET_EXEC 2
#define ELF_EM_386 3

typedef struct MbSegment {
    uint32_t dest;   /* guest physical */
    size_t src;      /* offset in the kernel file */
    uint32_t filesz; /* bytes copied; the rest up to memsz is zeroed */
    uint32_t memsz;
} MbSegment;

typedef struct MbModule {
    uint8_t *data;
    size_t size;
    char *string;
    uint32_t addr;
} MbModule;

typedef struct Multiboot {
    uint8_t *kernel;
    size_t size;
    MbSegment seg[MAX_SEGMENTS];
    int nseg;
    uint32_t entry;
    MbModule mod[MAX_MODULES];
    int nmod;
    char *cmdline;
} Multiboot;

static void mb_release(Multiboot *mb)
{
    if (!mb)
        return;
    free(mb->kernel);
    for (int i = 0; i < mb->nmod; i++) {
        free(mb->mod[i].data);
        free(mb->mod[i].string);
    }
    free(mb->cmdline);
    free(mb);
}

/* The offset of a valid header in the first 8 KiB, or -1. */
static long find_header(const uint8_t *k, size_t n)
{
    size_t lim = n < MB_SEARCH ? n : MB_SEARCH;
    for (size_t off = 0; off + 12 <= lim; off += 4) {
        uint32_t magic = ld32le(k + off), flags = ld32le(k + off + 4), sum = ld32le(k + off + 8);
        if (magic == MB_HEADER_MAGIC && (uint32_t)(magic + flags + sum) == 0)
            return (long)off;
    }
    return -1;
}

static bool is_bzimage(const uint8_t *k, size_t n)
{
    return n >= 0x206 && !memcmp(k + 0x202, "HdrS", 4);
}

/* A range the kernel or a module occupies must be RAM at or above 1 MiB. */
static bool range_ok(Machine *m, uint64_t addr, uint64_t len)
{
    return addr >= MB_LOAD_MIN && addr + len <= m->ram_size;
}

#define FAIL(...) return wb_errf(err, errlen, __VA_ARGS__)

static int parse_aout(Machine *m, Multiboot *mb, const char *name, size_t off, char *err,
                      size_t errlen)
{
    const uint8_t *k = mb->kernel, *h = k + off;
    if (off + MB_H_SIZE_AOUT > mb->size || off + MB_H_SIZE_AOUT > MB_SEARCH)
        FAIL("-kernel %s: Multiboot header cut short (the a.out kludge needs 32 bytes)", name);
    uint32_t header_addr = ld32le(h + MB_H_HEADER_ADDR), load_addr = ld32le(h + MB_H_LOAD_ADDR),
             load_end = ld32le(h + MB_H_LOAD_END_ADDR), bss_end = ld32le(h + MB_H_BSS_END_ADDR);
    if (load_addr > header_addr || header_addr - load_addr > off)
        FAIL("-kernel %s: Multiboot header: load_addr 0x%x does not fit header_addr 0x%x at "
             "file offset 0x%zx", name, load_addr, header_addr, off);
    size_t start = off - (header_addr - load_addr);
    uint64_t size;
    if (load_end == 0) {
        size = mb->size - start;
    } else {
        if (load_end < load_addr)
            FAIL("-kernel %s: Multiboot header: load_end_addr 0x%x is below load_addr 0x%x",
                 name, load_end, load_addr);
        size = load_end - load_addr;
        if (start + size > mb->size)
            FAIL("-kernel %s: truncated (%zu bytes; the Multiboot header loads %llu from offset "
                 "0x%zx)", name, mb->size, (unsigned long long)size, start);
    }
    uint64_t mem = size;
    if (bss_end) {
        if (bss_end < load_addr + size)
            FAIL("-kernel %s: Multiboot header: bss_end_addr 0x%x is below the loaded end "
                 "0x%llx", name, bss_end, (unsigned long long)(load_addr + size));
        mem = bss_end - load_addr;
    }
    mb->seg[0] = (MbSegment){load_addr, start, (uint32_t)size, (uint32_t)mem};
    mb->nseg = 1;
    mb->entry = ld32le(h + MB_H_ENTRY_ADDR);
    return 0;
}

static int parse_elf(Machine *m, Multiboot *mb, const char *name, char *err, size_t errlen)
{
    const uint8_t *k = mb->kernel;
    size_t n = mb->size;
    if (n < 52 || memcmp(k, "\x7f" "ELF", 4))
        FAIL("-kernel %s: Multiboot kernel is neither ELF nor has the a.out kludge (flag 16)",
             name);
    if (k[4] == 2)
        FAIL("-kernel %s: a 64-bit ELF; Multiboot v1 loads 32-bit (ELF32) kernels", name);
    if (k[4] != 1 || k[5] != 1)
        FAIL("-kernel %s: not a little-endian ELF32 file", name);
    if (ld16le(k + 16) != ELF_ET_EXEC || ld16le(k + 18) != ELF_EM_386)
        FAIL("-kernel %s: not an i386 executable (ELF type %u, machine %u)", name, ld16le(k + 16),
             ld16le(k + 18));
    uint32_t phoff = ld32le(k + 28), entry = ld32le(k + 24);
    uint16_t phentsize = ld16le(k + 42), phnum = ld16le(k + 44);
    if (phentsize < 32 || (uint64_t)phoff + (uint64_t)phnum * phentsize > n)
        FAIL("-kernel %s: ELF program headers beyond the end of the file", name);
    mb->nseg = 0;
    bool translated = false;
    mb->entry = entry;
    for (unsigned i = 0; i < phnum; i++) {
        const uint8_t *ph = k + phoff + (size_t)i * phentsize;
        uint32_t type = ld32le(ph), offset = ld32le(ph + 4), vaddr = ld32le(ph + 8),
                 paddr = ld32le(ph + 12), filesz = ld32le(ph + 16), memsz = ld32le(ph + 20);
        if (type != ELF_PT_LOAD || memsz == 0)
            continue;
        if (filesz > memsz)
            FAIL("-kernel %s: ELF segment %u: file size 0x%x above memory size 0x%x", name, i,
                 filesz, memsz);
        if ((uint64_t)offset + filesz > n)
            FAIL("-kernel %s: ELF segment %u: beyond the end of the file", name, i);
        if (mb->nseg >= MAX_SEGMENTS)
            FAIL("-kernel %s: more than %d loadable ELF segments", name, MAX_SEGMENTS);
        mb->seg[mb->nseg++] = (MbSegment){paddr, offset, filesz, memsz};
        /* An entry given as a virtual address: where that byte is loaded. */
        if (!translated && vaddr != paddr && entry >= vaddr && entry - vaddr < memsz) {
            mb->entry = entry - vaddr + paddr;
            translated = true;
        }
    }
    if (!mb->nseg)
        FAIL("-kernel %s: no loadable ELF segment", name);
    return 0;
}

/* Checks the kernel in mb and lays everything out. */
static int mb_plan(Machine *m, Multiboot *mb, const char *name, size_t off, char *err,
                   size_t errlen)
{
    uint32_t flags = ld32le(mb->kernel + off + MB_H_FLAGS);
    uint32_t unknown = flags & 0xFFFFu & ~(MB_HF_PAGE_ALIGN | MB_HF_MEMINFO | MB_HF_VIDEO);
    if (unknown)
        FAIL("-kernel %s: the kernel requires Multiboot features wirebox does not know "
             "(header flags 0x%x)", name, unknown);
    if (flags & MB_HF_VIDEO)
        wb_log("-kernel %s: the kernel asks for a video mode; wirebox has no display and "
               "gives none", name);
    if (flags & MB_HF_AOUT_KLUDGE ? parse_aout(m, mb, name, (size_t)off, err, errlen)
                                  : parse_elf(m, mb, name, err, errlen))
        return 1;
    uint64_t end = 0;
    for (int i = 0; i < mb->nseg; i++) {
        const MbSegment *s = &mb->seg[i];
        if (!range_ok(m, s->dest, s->memsz))
            FAIL("-kernel %s: loads at 0x%x-0x%llx; wirebox loads Multiboot kernels into RAM "
                 "from 1 MiB up to the end of RAM (-m is %u MiB)", name, s->dest,
                 (unsigned long long)s->dest + s->memsz - 1, m->ram_size >> 20);
        if ((uint64_t)s->dest + s->memsz > end)
            end = (uint64_t)s->dest + s->memsz;
    }
    if (mb->entry >= m->ram_size)
        FAIL("-kernel %s: entry point 0x%x is outside RAM", name, mb->entry);
    for (int i = 0; i < mb->nmod; i++) {
        MbModule *md = &mb->mod[i];
        end = (end + PAGE - 1) & ~(uint64_t)(PAGE - 1);
        if (!range_ok(m, end, md->size))
            FAIL("-initrd: module '%s' (%zu bytes) does not fit in RAM above the kernel; use "
                 "a larger -m", md->string, md->size);
        md->addr = (uint32_t)end;
        end += md->size;
    }
    /* The information structure and what hangs off it, in low memory. */
    size_t info = MB_I_SIZE + 6 * MB_MMAP_ENTRY + (size_t)mb->nmod * MB_MOD_SIZE +
                  strlen(mb->cmdline) + 1 + sizeof "wirebox " WIREBOX_VERSION;
    for (int i = 0; i < mb->nmod; i++)
        info += strlen(mb->mod[i].string) + 1;
    if (info > MB_INFO_END - MB_INFO_ADDR)
        FAIL("-kernel %s: the command line and module names take %zu bytes; at most %u fit",
             name, info, MB_INFO_END - MB_INFO_ADDR);
    return 0;
}

/* Writes everything into guest RAM and enters the kernel. Cannot fail:
 * mb_plan checked it all. */
static void mb_load(Machine *m, Multiboot *mb)
{
    for (int i = 0; i < mb->nseg; i++) {
        const MbSegment *s = &mb->seg[i];
        bios_ram_write(m, s->dest, mb->kernel + s->src, s->filesz);
        bios_ram_write(m, s->dest + s->filesz, NULL, s->memsz - s->filesz);
    }
    for (int i = 0; i < mb->nmod; i++)
        bios_ram_write(m, mb->mod[i].addr, mb->mod[i].data, mb->mod[i].size);

    uint32_t at = MB_INFO_ADDR + MB_I_SIZE;
    uint8_t info[MB_I_SIZE];
    memset(info, 0, sizeof info);

    /* Memory map: as the e820 map of a Linux boot. */
    uint8_t mmap[6 * MB_MMAP_ENTRY];
    int nmap = 0;
    uint64_t ranges[6][3] = {{0, 0x9FC00, MB_MMAP_RAM},
                             {0x9FC00, 0x400, MB_MMAP_RESERVED},
                             {0xF0000, 0x10000, MB_MMAP_RESERVED},
                             {ONE_MIB, m->ram_size - ONE_MIB, MB_MMAP_RAM},
                             {0x100000000ull - m->rom_size, m->rom_size, MB_MMAP_RESERVED}};
    for (int i = 0; i < 5; i++) {
        if (!ranges[i][1])
            continue;
        uint8_t *e = mmap + MB_MMAP_ENTRY * nmap++;
        st32le(e, MB_MMAP_ENTRY - 4);
        st64le(e + 4, ranges[i][0]);
        st64le(e + 12, ranges[i][1]);
        st32le(e + 20, (uint32_t)ranges[i][2]);
    }
    bios_ram_write(m, at, mmap, (size_t)nmap * MB_MMAP_ENTRY);
    st32le(info + MB_I_MMAP_LENGTH, (uint32_t)nmap * MB_MMAP_ENTRY);
    st32le(info + MB_I_MMAP_ADDR, at);
    at += (uint32_t)nmap * MB_MMAP_ENTRY;

    /* Module list, then the strings. */
    uint32_t mods = at;
    at += (uint32_t)mb->nmod * MB_MOD_SIZE;
    for (int i = 0; i < mb->nmod; i++) {
        uint8_t e[MB_MOD_SIZE];
        memset(e, 0, sizeof e);
        size_t len = strlen(mb->mod[i].string) + 1;
        bios_ram_write(m, at, mb->mod[i].string, len);
        st32le(e, mb->mod[i].addr);
        st32le(e + 4, mb->mod[i].addr + (uint32_t)mb->mod[i].size);
        st32le(e + 8, at);
        at += (uint32_t)len;
        bios_ram_write(m, mods + MB_MOD_SIZE * (uint32_t)i, e, sizeof e);
    }
    st32le(info + MB_I_MODS_COUNT, (uint32_t)mb->nmod);
    st32le(info + MB_I_MODS_ADDR, mods);

    size_t len = strlen(mb->cmdline) + 1;
    bios_ram_write(m, at, mb->cmdline, len);
    st32le(info + MB_I_CMDLINE, at);
    at += (uint32_t)len;
    static const char loader[] = "wirebox " WIREBOX_VERSION;
    bios_ram_write(m, at, loader, sizeof loader);
    st32le(info + MB_I_LOADER_NAME, at);

    st32le(info + MB_I_MEM_LOWER, 0x9FC00 / 1024);
    st32le(info + MB_I_MEM_UPPER, (m->ram_size - ONE_MIB) / 1024);
    st32le(info + MB_I_FLAGS, MB_INFO_MEMORY | MB_INFO_CMDLINE | MB_INFO_MODS | MB_INFO_MMAP |
                                  MB_INFO_LOADER_NAME);
    bios_ram_write(m, MB_INFO_ADDR, info, sizeof info);

    bios_enter_flat32(m, mb->entry, MB_BOOT_MAGIC, MB_INFO_ADDR, 0, MB_STACK_TOP);
}

static void mb_on_reset(Machine *m, void *opaque)
{
    firmware_setup(m);
    mb_load(m, opaque);
}

void multiboot_free(Machine *m)
{
    if (m->on_reset == mb_on_reset) {
        mb_release(m->on_reset_opaque);
        m->on_reset = NULL;
        m->on_reset_opaque = NULL;
    }
}

/* Takes mb (loaded with kernel, modules and command line): plans, loads, keeps it for resets. */
static int mb_start(Machine *m, Multiboot *mb, const char *name, char *err, size_t errlen)
{
    long off = find_header(mb->kernel, mb->size);
    if (off < 0 || is_bzimage(mb->kernel, mb->size)) {
        mb_release(mb);
        return MULTIBOOT_NOT;
    }
    if (mb_plan(m, mb, name, (size_t)off, err, errlen)) {
        mb_release(mb);
        return -1;
    }
    bios_free(m);
    mb_load(m, mb);
    m->on_reset = mb_on_reset;
    m->on_reset_opaque = mb;
    return 0;
}

static char *kernel_cmdline(const char *name, const char *cmdline)
{
    return cmdline && *cmdline ? wb_asprintf("%s %s", name, cmdline) : wb_strdup(name);
}

int multiboot_setup_mem(Machine *m, const char *kernel_name, const uint8_t *kernel, size_t size,
                        const MultibootModule *mods, int nmods, const char *cmdline, char *err,
                        size_t errlen)
{
    if (find_header(kernel, size) < 0 || is_bzimage(kernel, size))
        return MULTIBOOT_NOT;
    if (nmods > MAX_MODULES) {
        wb_errf(err, errlen, "-initrd: at most %d Multiboot modules", MAX_MODULES);
        return -1;
    }
    Multiboot *mb = wb_calloc(1, sizeof *mb);
    mb->kernel = wb_calloc(1, size ? size : 1);
    memcpy(mb->kernel, kernel, size);
    mb->size = size;
    for (int i = 0; i < nmods; i++) {
        MbModule *md = &mb->mod[mb->nmod++];
        md->data = wb_calloc(1, mods[i].size ? mods[i].size : 1);
        memcpy(md->data, mods[i].data, mods[i].size);
        md->size = mods[i].size;
        md->string = wb_strdup(mods[i].string ? mods[i].string : "");
    }
    mb->cmdline = kernel_cmdline(kernel_name, cmdline);
    return mb_start(m, mb, kernel_name, err, errlen);
}

/* The next module of QEMU's -initrd list ("file args,file2"; ",," is a
 * comma): its text, malloc'd; *p moves past it. NULL at the end. */
static char *next_module(const char **p)
{
    if (!**p)
        return NULL;
    size_t cap = strlen(*p) + 1, n = 0;
    char *out = wb_calloc(1, cap);
    const char *s = *p;
    for (; *s; s++) {
        if (*s == ',' && s[1] == ',') {
            out[n++] = ',';
            s++;
        } else if (*s == ',') {
            s++;
            break;
        } else {
            out[n++] = *s;
        }
    }
    *p = s;
    return out;
}

int multiboot_setup(Machine *m, const char *kernel, const char *initrd, const char *cmdline,
                    char *err, size_t errlen)
{
    Multiboot *mb = wb_calloc(1, sizeof *mb);
    mb->kernel = bios_read_file("-kernel", kernel, m->ram_size, &mb->size, err, errlen);
    if (!mb->kernel) {
        mb_release(mb);
        return -1;
    }
    if (find_header(mb->kernel, mb->size) < 0 || is_bzimage(mb->kernel, mb->size)) {
        mb_release(mb);
        return MULTIBOOT_NOT; /* linux_boot_setup says what it is not */
    }
    const char *p = initrd ? initrd : "";
    char *text;
    while ((text = next_module(&p))) {
        char file[4096];
        size_t flen = strcspn(text, " ");
        if (!*text || flen >= sizeof file) {
            wb_errf(err, errlen, "-initrd %s: an empty or too long module name", initrd);
            free(text);
            mb_release(mb);
            return -1;
        }
        if (mb->nmod >= MAX_MODULES) {
            wb_errf(err, errlen, "-initrd: at most %d Multiboot modules", MAX_MODULES);
            free(text);
            mb_release(mb);
            return -1;
        }
        memcpy(file, text, flen);
        file[flen] = '\0';
        MbModule *md = &mb->mod[mb->nmod++];
        md->string = text;
        md->data = bios_read_file("-initrd", file, m->ram_size, &md->size, err, errlen);
        if (!md->data) {
            mb_release(mb);
            return -1;
        }
    }
    mb->cmdline = kernel_cmdline(kernel, cmdline);
    int rc = mb_start(m, mb, kernel, err, errlen);
    return rc == MULTIBOOT_NOT ? -1 : rc;
}
