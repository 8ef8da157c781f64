/* The machine core: memory map, port/MMIO dispatch, the virtual clock,
 * timers, resets and the one event loop that runs the CPU to the next
 * deadline. Nothing here knows which chips a board has. */
#define _GNU_SOURCE
#include "hw/machine.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "cpu/cpu.h"

#define LOW_ROM_START 0xC0000u
#define VGA_START 0xA0000u
#define ONE_MIB 0x100000u
#define SHADOW_SEG_SHIFT 14
#define SHADOW_SEG_SIZE (1u << SHADOW_SEG_SHIFT)
#define BIOS_ALIAS_SIZE 0x20000u /* the BIOS ROM's last 128 KiB appear at 0xE0000 */

uint64_t host_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ------------------------------------------------------------------ I/O dispatch */

static IoRegion *region_add(Machine *m, const char *name, uint32_t base, uint32_t len,
                            void *opaque, DevRead rd, DevWrite wr, bool mmio)
{
    if (m->nregions >= MAX_REGIONS) {
        wb_log("too many I/O regions (registering %s)", name);
        exit(1);
    }
    IoRegion *r = &m->regions[m->nregions++];
    *r = (IoRegion){.name = name, .len = len, .opaque = opaque, .read = rd, .write = wr,
                    .mmio = mmio};
    region_map(m, r, base, len != 0);
    return r;
}

IoRegion *io_register(Machine *m, const char *name, uint16_t base, uint16_t len, void *opaque,
                      DevRead rd, DevWrite wr)
{
    return region_add(m, name, base, len, opaque, rd, wr, false);
}

IoRegion *mmio_register(Machine *m, const char *name, uint32_t base, uint32_t len, void *opaque,
                        DevRead rd, DevWrite wr)
{
    return region_add(m, name, base, len, opaque, rd, wr, true);
}

/* A region mapped over others takes their ports; unmapped, it gives each of
 * its ports back to the latest registered region still covering it, so a
 * guest moving a window (a BAR, the PM block) over the PIT or the PCI
 * config ports and away again does not lose them. */
static void port_map_set(Machine *m, IoRegion *r, bool mapped)
{
    uint8_t self = (uint8_t)(r - m->regions + 1);
    for (uint32_t p = r->base; p < r->base + r->len && p < 65536; p++) {
        if (mapped) {
            m->port_map[p] = self;
            continue;
        }
        if (m->port_map[p] != self)
            continue;
        m->port_map[p] = 0;
        for (int i = m->nregions - 1; i >= 0; i--) {
            IoRegion *o = &m->regions[i];
            if (o != r && !o->mmio && o->enabled && p >= o->base && p < o->base + o->len) {
                m->port_map[p] = (uint8_t)(i + 1);
                break;
            }
        }
    }
}

/* The enabled MMIO regions sorted by base, for a binary search. Regions
 * move only when the guest programs a BAR, so rebuilding is cheap enough. */
static void mmio_index(Machine *m)
{
    int n = 0;
    for (int i = 0; i < m->nregions; i++) {
        IoRegion *r = &m->regions[i];
        if (!r->mmio || !r->enabled)
            continue;
        int j = n++;
        while (j > 0 && m->mmio[j - 1]->base > r->base) {
            m->mmio[j] = m->mmio[j - 1];
            j--;
        }
        m->mmio[j] = r;
    }
    m->nmmio = n;
    m->mmio_lowest = n ? m->mmio[0]->base : UINT32_MAX;
}

IoRegion *mmio_register_ram(Machine *m, const char *name, uint32_t base, uint32_t len,
                            uint8_t *host, uint8_t *dirty)
{
    if (len & 0xFFF) {
        wb_log("%s: RAM-like region of %u bytes is not a multiple of 4 KiB", name, len);
        exit(1);
    }
    IoRegion *r = region_add(m, name, 0, 0, NULL, NULL, NULL, true);
    r->ram = host;
    r->dirty = dirty;
    r->len = len;
    region_map(m, r, base, base != 0);
    return r;
}

void region_ram_rearm(Machine *m, IoRegion *r)
{
    if (m->cpu && r->enabled)
        cpu_tlb_drop_writes(m->cpu, r->base, r->len);
}

void region_map(Machine *m, IoRegion *r, uint32_t base, bool enabled)
{
    if (!r->mmio && r->enabled)
        port_map_set(m, r, false);
    r->base = base;
    r->enabled = enabled && r->len;
    if (!r->mmio && r->enabled)
        port_map_set(m, r, true);
    if (r->mmio) {
        mmio_index(m);
        if (m->cpu)
            cpu_tlb_flush(m->cpu, true); /* a page may change between RAM-like and MMIO */
    }
}

static IoRegion *port_region(Machine *m, uint16_t port)
{
    uint8_t i = m->port_map[port];
    return i ? &m->regions[i - 1] : NULL;
}

uint32_t port_read(Machine *m, uint16_t port, int size_log2)
{
    int size = 1 << size_log2;
    IoRegion *r = port_region(m, port);
    if (r && r->read && (uint32_t)port + size <= r->base + r->len)
        return r->read(r->opaque, port - r->base, size_log2);
    if (!r && size > 1 && !port_region(m, (uint16_t)(port + size - 1)))
        return size == 4 ? 0xFFFFFFFFu : 0xFFFFu;
    /* Straddles regions or is unclaimed: byte by byte. */
    uint32_t v = 0;
    for (int i = 0; i < size; i++) {
        IoRegion *b = port_region(m, (uint16_t)(port + i));
        uint32_t byte = (b && b->read) ? b->read(b->opaque, (uint16_t)(port + i) - b->base, 0) & 0xFF
                                       : 0xFF;
        v |= byte << (8 * i);
    }
    return v;
}

void port_write(Machine *m, uint16_t port, uint32_t val, int size_log2)
{
    int size = 1 << size_log2;
    IoRegion *r = port_region(m, port);
    if (r && (uint32_t)port + size <= r->base + r->len) {
        if (r->write)
            r->write(r->opaque, port - r->base, val, size_log2);
        return;
    }
    if (!r && size > 1 && !port_region(m, (uint16_t)(port + size - 1)))
        return;
    for (int i = 0; i < size; i++) {
        IoRegion *b = port_region(m, (uint16_t)(port + i));
        if (b && b->write)
            b->write(b->opaque, (uint16_t)(port + i) - b->base, (val >> (8 * i)) & 0xFF, 0);
    }
}

/* The MMIO region holding paddr, or NULL. When regions overlap (a guest
 * can place two BARs on each other) the one with the highest base wins. */
static IoRegion *mmio_region(Machine *m, uint32_t paddr)
{
    if (paddr < m->mmio_lowest)
        return NULL;
    int lo = 0, hi = m->nmmio - 1, at = -1;
    while (lo <= hi) { /* the last region with base <= paddr */
        int mid = (lo + hi) / 2;
        if (m->mmio[mid]->base <= paddr) {
            at = mid;
            lo = mid + 1;
        } else {
            hi = mid - 1;
        }
    }
    for (; at >= 0; at--)
        if (paddr - m->mmio[at]->base < m->mmio[at]->len)
            return m->mmio[at];
    return NULL;
}

/* ------------------------------------------------------------------ physical memory */

/* A RAM-like region's byte at paddr; a write marks its page dirty. */
static uint8_t *region_ram_ptr(IoRegion *r, uint32_t paddr, bool write)
{
    uint32_t off = paddr - r->base;
    if (write && r->dirty)
        r->dirty[off >> 12] = 1;
    return r->ram + off;
}

/* 0xC0000-0xFFFFF: per 16 KiB segment, RAM or the bus behind it for reads
 * and for writes (machine_set_shadow). The bus side of 0xE0000-0xFFFFF is
 * the end of the BIOS ROM (its "isa-bios" alias); elsewhere open bus. */
static uint8_t *shadow_read_ptr(Machine *m, uint32_t paddr)
{
    if (m->shadow[(paddr - LOW_ROM_START) >> SHADOW_SEG_SHIFT] & SHADOW_READ)
        return paddr < m->ram_size ? m->ram + paddr : NULL;
    uint32_t back = ONE_MIB - paddr; /* bytes from paddr to 1 MiB */
    if (m->rom && back <= m->rom_size && back <= BIOS_ALIAS_SIZE)
        return m->rom + (m->rom_size - back);
    return NULL;
}

static uint8_t *shadow_write_ptr(Machine *m, uint32_t paddr)
{
    if (m->shadow[(paddr - LOW_ROM_START) >> SHADOW_SEG_SHIFT] & SHADOW_WRITE)
        return paddr < m->ram_size ? m->ram + paddr : NULL;
    return NULL; /* the ROM (or nothing) behind it: the write is dropped */
}

uint8_t *phys_host_ptr(Machine *m, uint32_t paddr, bool write)
{
    if (paddr < VGA_START)
        return paddr < m->ram_size ? m->ram + paddr : NULL;
    if (paddr < ONE_MIB) {
        if (paddr < LOW_ROM_START)
            return NULL;
        /* One host pointer serves a TLB entry for reads and writes: writes
         * get one only where both go to RAM (the other modes take the slow
         * path, phys_write). */
        if (write)
            return m->shadow[(paddr - LOW_ROM_START) >> SHADOW_SEG_SHIFT] == SHADOW_RAM
                       ? shadow_write_ptr(m, paddr)
                       : NULL;
        return shadow_read_ptr(m, paddr);
    }
    /* RAM-like device memory (a framebuffer) is mapped, its pages marked
     * dirty on writes; other device memory is not. */
    if (paddr < m->ram_size || paddr >= m->mmio_lowest) {
        IoRegion *r = mmio_region(m, paddr);
        if (r)
            return r->ram ? region_ram_ptr(r, paddr, write) : NULL;
        if (paddr < m->ram_size)
            return m->ram + paddr;
    }
    if (m->rom && !write && paddr >= (uint32_t)(0 - m->rom_size))
        return m->rom + (paddr - (uint32_t)(0 - m->rom_size));
    return NULL;
}

void machine_set_shadow(Machine *m, uint32_t base, uint32_t len, int mode)
{
    bool changed = false;
    for (uint32_t a = base; a - base < len && a >= LOW_ROM_START && a < ONE_MIB;
         a += SHADOW_SEG_SIZE) {
        uint8_t *s = &m->shadow[(a - LOW_ROM_START) >> SHADOW_SEG_SHIFT];
        changed |= *s != (uint8_t)(mode & SHADOW_RAM);
        *s = (uint8_t)(mode & SHADOW_RAM);
    }
    if (!changed || !m->cpu)
        return;
    /* Host pointers behind these pages changed, and code decoded from them
     * may have come from the other side. */
    cpu_tlb_flush(m->cpu, true);
    cpu_invalidate_phys(m->cpu, base, len);
}

int machine_get_shadow(const Machine *m, uint32_t paddr)
{
    if (paddr < LOW_ROM_START || paddr >= ONE_MIB)
        return -1;
    return m->shadow[(paddr - LOW_ROM_START) >> SHADOW_SEG_SHIFT];
}

/* A region's handler sees only accesses that lie wholly inside it; one that
 * runs past its end (a dword at a 16-byte BAR's last byte) or starts in RAM
 * and ends in a device goes byte by byte, each byte to its own place. */
static bool mmio_whole(const IoRegion *r, uint32_t paddr, int size_log2)
{
    return r && !r->ram && (uint64_t)(paddr - r->base) + (1u << size_log2) <= r->len;
}

uint32_t phys_read(Machine *m, uint32_t paddr, int size_log2)
{
    IoRegion *r = mmio_region(m, paddr);
    if (mmio_whole(r, paddr, size_log2)) {
        if (!r->read)
            return 0xFFFFFFFFu >> (32 - (8 << size_log2));
        return r->read(r->opaque, paddr - r->base, size_log2);
    }
    uint32_t v = 0;
    for (int i = 0; i < (1 << size_log2); i++) {
        uint32_t a = paddr + i, byte = 0xFF;
        IoRegion *b = i ? mmio_region(m, a) : r;
        if (b && !b->ram) {
            if (b->read)
                byte = b->read(b->opaque, a - b->base, 0) & 0xFF;
        } else {
            uint8_t *p = phys_host_ptr(m, a, false);
            if (p)
                byte = *p;
        }
        v |= byte << (8 * i);
    }
    return v;
}

void phys_write(Machine *m, uint32_t paddr, uint32_t val, int size_log2)
{
    IoRegion *r = mmio_region(m, paddr);
    if (mmio_whole(r, paddr, size_log2)) {
        if (r->write)
            r->write(r->opaque, paddr - r->base, val, size_log2);
        return;
    }
    for (int i = 0; i < (1 << size_log2); i++) {
        uint32_t a = paddr + i;
        uint8_t byte = (uint8_t)(val >> (8 * i));
        IoRegion *b = i ? mmio_region(m, a) : r;
        if (b && !b->ram) {
            if (b->write)
                b->write(b->opaque, a - b->base, byte, 0);
            continue;
        }
        uint8_t *p = a >= LOW_ROM_START && a < ONE_MIB ? shadow_write_ptr(m, a)
                                                      : phys_host_ptr(m, a, true);
        if (p) {
            *p = byte;
            if (m->cpu)
                cpu_invalidate_phys(m->cpu, a, 1);
        }
    }
}

static bool dma_in_ram(Machine *m, uint64_t paddr, size_t len)
{
    return paddr <= m->ram_size && len <= m->ram_size - paddr;
}

bool dma_read(Machine *m, uint64_t paddr, void *buf, size_t len)
{
    if (!dma_in_ram(m, paddr, len))
        return false;
    memcpy(buf, m->ram + paddr, len);
    return true;
}

bool dma_write(Machine *m, uint64_t paddr, const void *buf, size_t len)
{
    if (!dma_in_ram(m, paddr, len))
        return false;
    memcpy(m->ram + paddr, buf, len);
    if (m->cpu && len)
        cpu_invalidate_phys(m->cpu, (uint32_t)paddr, (uint32_t)len);
    return true;
}

/* ------------------------------------------------------------------ clock and timers */

/* Longest CPU slice between looks at host fds, in instructions. */
#define MAX_SLICE 2000000ull
/* Host-time mode starts assuming this many ns per instruction. */
#define INITIAL_NS_PER_INSN 10

uint64_t clock_ns(Machine *m)
{
    uint64_t ic = m->cpu ? m->cpu->icount : 0;
    if (m->icount_shift >= 0)
        return (ic << m->icount_shift) + m->skipped_ns;
    return m->v_base + (((ic - m->ic_base) * m->rate_q16) >> 16);
}

/* How far virtual time may lag or lead host time before it jumps instead
 * of converging by a changed rate; and the horizon it converges over. */
#define RESYNC_JUMP_NS 100000000ll
#define RESYNC_HORIZON_NS 20000000ll

/* Host-time mode: re-anchor the virtual clock after a slice. The rate is
 * the measured host ns per instruction, bent so virtual time converges on
 * host time; within a slice time advances evenly with instructions, so a
 * guest comparing the TSC with the PIT sees a steady clock. */
static void clock_resync(Machine *m, bool ran)
{
    if (m->icount_shift >= 0)
        return;
    uint64_t h = host_now_ns() - m->host_start_ns;
    uint64_t ic = m->cpu->icount;
    uint64_t v = clock_ns(m);
    if (ran && ic - m->ic_base > 1000) {
        uint64_t sample = ((h - m->sync_host_ns) << 16) / (ic - m->ic_base);
        m->est_q16 = (m->est_q16 * 7 + sample) / 8;
        if (m->est_q16 < 1)
            m->est_q16 = 1;
    }
    int64_t err = (int64_t)(h - v);
    if (err > RESYNC_JUMP_NS)
        v = h; /* the host stalled us: catch up at once */
    m->v_base = v;
    m->ic_base = ic;
    m->sync_host_ns = h;
    int64_t num = RESYNC_HORIZON_NS + (err > RESYNC_JUMP_NS ? 0 : err);
    uint64_t est = m->est_q16, rate;
    if (num <= RESYNC_HORIZON_NS / 8)
        rate = est / 8;
    else
        rate = (uint64_t)(((__int128)est * num) / RESYNC_HORIZON_NS);
    if (rate > est * 8)
        rate = est * 8;
    m->rate_q16 = rate ? rate : 1;
}

/* Instructions to run so the CPU stops (in icount mode: exactly) delta ns from now. */
void machine_io_delay(Machine *m, uint32_t ns)
{
    if (m->icount_shift >= 0 && m->cpu)
        cpu_stall(m->cpu, ns >> m->icount_shift);
}

static uint64_t slice_insns(Machine *m, uint64_t delta)
{
    uint64_t insns;
    if (m->icount_shift >= 0)
        insns = (delta + (1ull << m->icount_shift) - 1) >> m->icount_shift;
    else /* rounded up: at < 1 ns per instruction, 1 ns away is 2 instructions, not 1 (which
          * the re-anchored clock would turn into no time at all, slice after slice) */
        insns = ((delta << 16) + m->rate_q16 - 1) / m->rate_q16;
    return insns < 1 ? 1 : insns > MAX_SLICE ? MAX_SLICE : insns;
}

void timer_init(Timer *t, TimerCb cb, void *opaque)
{
    *t = (Timer){.cb = cb, .opaque = opaque};
}

void timer_del(Machine *m, Timer *t)
{
    if (!t->pending)
        return;
    for (Timer **pp = &m->timers; *pp; pp = &(*pp)->next) {
        if (*pp == t) {
            *pp = t->next;
            break;
        }
    }
    t->pending = false;
    t->next = NULL;
}

void timer_mod(Machine *m, Timer *t, uint64_t deadline_ns)
{
    timer_del(m, t);
    t->deadline = deadline_ns;
    Timer **pp = &m->timers;
    while (*pp && (*pp)->deadline <= deadline_ns)
        pp = &(*pp)->next;
    t->next = *pp;
    *pp = t;
    t->pending = true;
    /* A deadline earlier than the one the CPU is running to: stop it sooner. */
    if (m->cpu && m->timers == t) {
        uint64_t now = clock_ns(m);
        uint64_t limit = m->cpu->icount + slice_insns(m, deadline_ns > now ? deadline_ns - now : 0);
        if (limit < m->cpu->icount_limit)
            m->cpu->icount_limit = limit;
    }
}

uint64_t timer_next_deadline(Machine *m)
{
    return m->timers ? m->timers->deadline : UINT64_MAX;
}

void timers_run(Machine *m)
{
    uint64_t now = clock_ns(m);
    while (m->timers && m->timers->deadline <= now) {
        Timer *t = m->timers;
        m->timers = t->next;
        t->next = NULL;
        t->pending = false;
        t->cb(t->opaque);
    }
}

/* ------------------------------------------------------------------ event loop */

void loop_watch_fd(Machine *m, int fd, FdCanRead can_read, FdOnRead on_read, void *opaque)
{
    loop_unwatch_fd(m, fd);
    if (m->nfds >= MAX_FDS) {
        wb_log("too many watched file descriptors");
        exit(1);
    }
    m->fds[m->nfds++] = (FdWatch){fd, can_read, on_read, opaque};
}

void loop_unwatch_fd(Machine *m, int fd)
{
    for (int i = 0; i < m->nfds; i++) {
        if (m->fds[i].fd == fd) {
            m->fds[i] = m->fds[--m->nfds];
            return;
        }
    }
}

void loop_kick(Machine *m)
{
    if (m->wake_pipe[1] >= 0) {
        char c = 0;
        ssize_t r = write(m->wake_pipe[1], &c, 1);
        (void)r;
    }
}

void loop_host_pending(Machine *m)
{
    m->host_pending = true;
}

void loop_host_may_call(Machine *m)
{
    m->host_may_call = true;
}

bool loop_host_pending_wanted(const Machine *m)
{
    return m->probe_pending;
}

void loop_add_poll_hook(Machine *m, LoopPollFill fill, LoopPollDispatch dispatch, void *opaque)
{
    if (m->npoll_hooks >= MAX_POLL_HOOKS) {
        wb_log("too many poll hooks");
        exit(1);
    }
    m->poll_hooks[m->npoll_hooks++] = (PollHook){fill, dispatch, opaque};
}

void loop_remove_poll_hook(Machine *m, void *opaque)
{
    for (int i = 0; i < m->npoll_hooks; i++) {
        if (m->poll_hooks[i].opaque == opaque) {
            memmove(&m->poll_hooks[i], &m->poll_hooks[i + 1],
                    (size_t)(m->npoll_hooks - i - 1) * sizeof m->poll_hooks[0]);
            m->npoll_hooks--;
            return;
        }
    }
}

/* Poll host fds for at most timeout_ns (0: just look). */
static void loop_poll(Machine *m, uint64_t timeout_ns)
{
    struct pollfd watch[MAX_FDS + 1];
    FdWatch *who[MAX_FDS + 1];
    int nwatch = 0;
    watch[nwatch] = (struct pollfd){.fd = m->wake_pipe[0], .events = POLLIN};
    who[nwatch++] = NULL;
    for (int i = 0; i < m->nfds; i++) {
        FdWatch *w = &m->fds[i];
        if (w->can_read && !w->can_read(w->opaque))
            continue;
        who[nwatch] = w;
        watch[nwatch++] = (struct pollfd){.fd = w->fd, .events = POLLIN};
    }
    int nhooks = m->npoll_hooks, hook_at[MAX_POLL_HOOKS + 1];
    PollHook hooks[MAX_POLL_HOOKS];
    memcpy(hooks, m->poll_hooks, (size_t)nhooks * sizeof hooks[0]);
    /* The watches, then each hook's fds. A hook that filled all the room it
     * had may have left some out: fill again with twice the room. */
    uint64_t timeout0 = timeout_ns;
    struct pollfd *pfd;
    int n;
    if (!m->hook_pfd_cap) {
        m->hook_pfd_cap = MAX_HOOK_POLLFDS;
        m->hook_pfd = wb_realloc(NULL, (MAX_FDS + 1 + MAX_HOOK_POLLFDS) * sizeof *pfd);
    }
    for (;;) {
        int cap = m->hook_pfd_cap;
        pfd = m->hook_pfd;
        memcpy(pfd, watch, (size_t)nwatch * sizeof *pfd);
        n = nwatch;
        timeout_ns = timeout0;
        bool full = false;
        for (int h = 0; h < nhooks; h++) {
            int room = nwatch + cap - n;
            hook_at[h] = n;
            int k = hooks[h].fill(hooks[h].opaque, pfd + n, room, &timeout_ns);
            full |= k >= room;
            n += k;
        }
        if (!full || cap >= MAX_HOOK_POLLFDS_LIMIT)
            break;
        m->hook_pfd_cap = cap * 2;
        m->hook_pfd = wb_realloc(m->hook_pfd, (size_t)(MAX_FDS + 1 + cap * 2) * sizeof *pfd);
    }
    hook_at[nhooks] = n;
    struct timespec ts = {.tv_sec = (time_t)(timeout_ns / 1000000000ull),
                          .tv_nsec = (long)(timeout_ns % 1000000000ull)};
    int r = ppoll(pfd, (nfds_t)n, &ts, NULL);
    if (r > 0) {
        if (pfd[0].revents) {
            char buf[64];
            while (read(m->wake_pipe[0], buf, sizeof buf) > 0)
                ;
        }
        for (int i = 1; i < nwatch; i++)
            if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR))
                who[i]->on_read(who[i]->opaque);
    }
    for (int h = 0; h < nhooks; h++)
        hooks[h].dispatch(hooks[h].opaque, pfd + hook_at[h], hook_at[h + 1] - hook_at[h], r < 0);
}

/* ------------------------------------------------------------------ machine */

void machine_request_reset(Machine *m)
{
    m->reset_requested = true;
    if (m->cpu) {
        m->cpu->exit_request = true;
        m->cpu->need_check = true; /* stop after this instruction, not this block */
    }
}

void machine_request_shutdown(Machine *m, int exit_code)
{
    m->shutdown_requested = true;
    m->exit_code = exit_code;
    if (m->cpu) {
        m->cpu->exit_request = true;
        m->cpu->need_check = true; /* stop after this instruction, not this block */
    }
}

void machine_set_power_button(Machine *m, void (*press)(void *opaque), void *opaque)
{
    m->power_button = press;
    m->power_button_opaque = opaque;
}

bool machine_press_power_button(Machine *m)
{
    if (!m->power_button)
        return false;
    m->power_button(m->power_button_opaque);
    return true;
}

void machine_set_a20(Machine *m, bool enabled)
{
    m->a20 = enabled;
    if (m->cpu)
        cpu_set_a20(m->cpu, enabled);
}

bool machine_get_a20(Machine *m)
{
    return m->a20;
}

void machine_set_interrupt_controller(Machine *m, int (*intack)(void *opaque), void *opaque)
{
    m->intack = intack;
    m->intack_opaque = opaque;
}

int machine_intack(Machine *m)
{
    return m->intack ? m->intack(m->intack_opaque) : 0x08;
}

void machine_set_intr(Machine *m, bool level)
{
    if (m->cpu)
        cpu_set_intr(m->cpu, level);
}

void machine_set_ferr_line(Machine *m, IrqLine line)
{
    m->ferr_line = line;
}

void machine_ferr(Machine *m, int level)
{
    irq_set(&m->ferr_line, level);
}

void machine_set_chardev_lookup(Machine *m, ChardevLookup lookup, void *opaque)
{
    m->chardev_lookup = lookup;
    m->chardev_lookup_opaque = opaque;
}

CharDev *machine_chardev(Machine *m, const char *id)
{
    return m->chardev_lookup ? m->chardev_lookup(m->chardev_lookup_opaque, id) : NULL;
}

/* ------------------------------------------------------------------ the debugger's hold */

void machine_set_paused(Machine *m, bool paused)
{
    m->paused = paused;
}

bool machine_paused(const Machine *m)
{
    return m->paused;
}

void machine_set_debug_hook(Machine *m, void (*hook)(Machine *m, void *opaque), void *opaque)
{
    m->on_debug = hook;
    m->on_debug_opaque = opaque;
}

void machine_clear_debug_hook(Machine *m, void *opaque)
{
    if (m->on_debug_opaque == opaque) {
        m->on_debug = NULL;
        m->on_debug_opaque = NULL;
    }
}

/* ------------------------------------------------------------------ machine */

#define MACHINE_MAP_MIN (1u << 20)

void *machine_zalloc(Machine *m, size_t size)
{
    if (m->nallocs == m->allocs_cap) {
        int cap = m->allocs_cap ? m->allocs_cap * 2 : 16;
        struct MachineAlloc *a = realloc(m->allocs, (size_t)cap * sizeof *a);
        if (!a)
            goto oom;
        m->allocs = a;
        m->allocs_cap = cap;
    }
    /* Large buffers (video memory, a frame surface) are mapped: pages are
     * touched only as they are used, also under a sanitizer's malloc. */
    size_t mapped = size >= MACHINE_MAP_MIN ? size : 0;
    void *p = mapped ? mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
                     : calloc(1, size);
    if (!p || p == MAP_FAILED)
        goto oom;
    m->allocs[m->nallocs++] = (struct MachineAlloc){p, mapped};
    return p;
oom:
    wb_log("out of memory");
    exit(1);
}

Machine *machine_new_bare(uint32_t ram_size)
{
    Machine *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->ram_size = ram_size;
    m->ram = mmap(NULL, ram_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m->ram == MAP_FAILED) {
        free(m);
        return NULL;
    }
    m->icount_shift = -1;
    m->icount_sleep = true;
    m->host_start_ns = host_now_ns();
    m->rate_q16 = m->est_q16 = INITIAL_NS_PER_INSN << 16;
    m->a20 = true;
    m->mmio_lowest = UINT32_MAX;
    /* Without a chipset to program it, the ROM area is RAM that the guest
     * reads but does not write; a board's reset sets what its chipset does. */
    memset(m->shadow, SHADOW_READ, sizeof m->shadow);
    m->wake_pipe[0] = m->wake_pipe[1] = -1;
    if (pipe(m->wake_pipe) == 0) {
        fcntl(m->wake_pipe[0], F_SETFL, O_NONBLOCK);
        fcntl(m->wake_pipe[1], F_SETFL, O_NONBLOCK);
    }
    m->cpu = cpu_new(m, ram_size);
    return m;
}

void machine_set_icount(Machine *m, int shift, bool sleep)
{
    m->icount_shift = shift;
    m->icount_sleep = sleep;
}

void machine_free(Machine *m)
{
    if (!m)
        return;
    cpu_free(m->cpu);
    for (int i = 0; i < m->nallocs; i++) {
        if (m->allocs[i].mapped)
            munmap(m->allocs[i].p, m->allocs[i].mapped);
        else
            free(m->allocs[i].p);
    }
    free(m->allocs);
    munmap(m->ram, m->ram_size);
    free(m->rom);
    free(m->resets);
    free(m->hook_pfd);
    if (m->wake_pipe[0] >= 0) {
        close(m->wake_pipe[0]);
        close(m->wake_pipe[1]);
    }
    free(m);
}

void machine_add_reset(Machine *m, void (*reset)(void *opaque), void *opaque)
{
    if (m->nresets == m->resets_cap) {
        m->resets_cap = m->resets_cap ? m->resets_cap * 2 : 16;
        m->resets = wb_realloc(m->resets, (size_t)m->resets_cap * sizeof *m->resets);
    }
    m->resets[m->nresets++] = (ResetEntry){reset, opaque};
}

void machine_reset(Machine *m)
{
    m->reset_requested = false;
    m->a20 = true;
    cpu_reset(m->cpu);
    for (int i = 0; i < m->nresets; i++)
        m->resets[i].fn(m->resets[i].opaque);
    if (m->on_reset)
        m->on_reset(m, m->on_reset_opaque);
}

/* -icount sleep=off, the CPU idle: how fast virtual time may pass while
 * waiting for the host, in virtual ns per host ns; 0 if it jumped to the
 * next deadline (or the poll woke the CPU) and there is nothing to wait for.
 * A source that expects a reply from the host (loop_host_pending) gets
 * real time (1); one the host may call at any moment (loop_host_may_call)
 * gets at most LOOP_PACE times host time; otherwise the clock jumps. A CPU
 * with no deadline at all and nothing pending waits for the host with the
 * clock standing still (IDLE_FROZEN), which keeps such runs deterministic. */
#define IDLE_FROZEN UINT64_MAX

static uint64_t idle_rate(Machine *m)
{
    m->host_pending = m->host_may_call = false;
    m->probe_pending = true;
    loop_poll(m, 0);
    m->probe_pending = false;
    if (!cpu_is_idle(m->cpu))
        return 0; /* the poll brought work: run it now */
    uint64_t now = clock_ns(m), deadline = timer_next_deadline(m);
    if (m->host_pending)
        return 1;
    if (deadline == UINT64_MAX)
        return IDLE_FROZEN;
    if (m->host_may_call)
        return LOOP_PACE;
    if (deadline > now)
        m->skipped_ns += deadline - now;
    return 0;
}

void machine_step(Machine *m)
{
    CPU *c = m->cpu;
    timers_run(m);
    if (m->reset_requested) {
        if (m->no_reboot) {
            machine_request_shutdown(m, 0);
            return;
        }
        machine_reset(m);
    }
    if (m->on_debug)
        m->on_debug(m, m->on_debug_opaque);
    if (m->shutdown_requested)
        return;
    if (m->paused) {
        /* Stopped by the debugger: virtual time stands still. Host-time mode
         * moves its host origin on by the time spent here, so the clock does
         * not jump when the CPU runs again. */
        uint64_t t0 = host_now_ns();
        loop_poll(m, 10000000ull);
        if (m->icount_shift < 0)
            m->host_start_ns += host_now_ns() - t0;
        return;
    }

    uint64_t now = clock_ns(m);
    uint64_t deadline = timer_next_deadline(m);
    uint64_t delta = deadline > now ? deadline - now : 0;

    if (cpu_is_idle(c)) {
        uint64_t rate = 1; /* virtual ns per host ns while waiting */
        if (m->icount_shift >= 0 && !m->icount_sleep) {
            if (!(rate = idle_rate(m)))
                return;
            now = clock_ns(m);
            deadline = timer_next_deadline(m);
            delta = deadline > now ? deadline - now : 0;
        }
        uint64_t wait = deadline == UINT64_MAX || rate == IDLE_FROZEN ? 100000000ull
                                                                       : (delta + rate - 1) / rate;
        uint64_t t0 = host_now_ns();
        loop_poll(m, wait);
        uint64_t slept = host_now_ns() - t0;
        m->idle_host_ns += slept;
        if (m->icount_shift >= 0 && rate != IDLE_FROZEN) {
            uint64_t cap = deadline == UINT64_MAX ? wait * rate : delta;
            m->skipped_ns += slept * rate < cap ? slept * rate : cap;
        }
        else
            m->v_base += slept; /* no instructions ran: time is host time */
        clock_resync(m, false);
        return;
    }

    if (cpu_run(c, c->icount + slice_insns(m, delta)) == CPU_RUN_DEBUG)
        m->paused = true;
    clock_resync(m, true);
    loop_poll(m, 0);
}

int machine_run(Machine *m)
{
    uint64_t t0 = host_now_ns(), ic0 = m->cpu->icount;
    while (!m->shutdown_requested)
        machine_step(m);
    if (getenv("WIREBOX_STATS")) {
        double secs = (double)(host_now_ns() - t0) / 1e9;
        uint64_t n = m->cpu->icount - ic0;
        double idle = (double)m->idle_host_ns / 1e9;
        wb_log("stats: %llu instructions in %.2f s (%.2f s idle; %.1f MIPS busy), "
               "virtual time %.2f s",
               (unsigned long long)n, secs, idle, (double)n / (secs - idle) / 1e6,
               (double)clock_ns(m) / 1e9);
        CpuStats cs;
        cpu_get_stats(m->cpu, &cs);
        if (cs.accel == CPU_ACCEL_TCG) {
            wb_log("stats: translator: %llu blocks translated in %.2f s, %llu flushes, "
                   "%llu instructions left to the interpreter",
                   (unsigned long long)cs.blocks_translated, (double)cs.translate_ns / 1e9,
                   (unsigned long long)cs.flushes, (unsigned long long)cs.fallbacks);
            if (atoi(getenv("WIREBOX_STATS")) >= 2)
                cpu_print_fallbacks(m->cpu, 20);
        } else {
            wb_log("stats: interpreter (-accel interp)");
        }
    }
    return m->exit_code;
}
