/* The machine core: physical memory, port and MMIO dispatch, IRQ lines, the
 * one virtual clock and its timers, the event loop, reset, and the hold a
 * debugger has on the CPU. Every device is written against this header; what
 * a PC is made of (which chips, where, wired how) is the board's business
 * (hw/pc.h). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hw/util.h"

typedef struct Machine Machine;
typedef struct CPU CPU;

/* ---- The device API: a range of ports or MMIO bytes served by two calls.
 * offset is relative to the range base; size_log2 is 0, 1 or 2 (1, 2, 4 bytes). */
typedef uint32_t (*DevRead)(void *opaque, uint32_t offset, int size_log2);
typedef void (*DevWrite)(void *opaque, uint32_t offset, uint32_t val, int size_log2);

typedef struct IoRegion {
    const char *name;
    uint32_t base, len;
    void *opaque;
    DevRead read;
    DevWrite write;
    bool mmio;
    bool enabled;
    /* RAM-like MMIO (mmio_register_ram): the bytes live at ram, the CPU
     * reads and writes them through its TLB, and a write marks its 4 KiB
     * page in dirty (one byte per page). NULL for ordinary regions. */
    uint8_t *ram;
    uint8_t *dirty;
} IoRegion;

/* Register a port range (base..base+len-1) or an MMIO range. A region made
 * with enabled=false (base 0, len given) can be placed later by region_map. */
IoRegion *io_register(Machine *m, const char *name, uint16_t base, uint16_t len,
                      void *opaque, DevRead rd, DevWrite wr);
IoRegion *mmio_register(Machine *m, const char *name, uint32_t base, uint32_t len,
                        void *opaque, DevRead rd, DevWrite wr);
/* Move/enable/disable a region (PCI BARs). */
void region_map(Machine *m, IoRegion *r, uint32_t base, bool enabled);
/* A device's memory the guest maps like RAM (a framebuffer): len bytes
 * (a multiple of 4 KiB) at host, placed like any MMIO region. Guest writes
 * go at full speed through the CPU's TLB; each page written since the device
 * last looked is marked in dirty[offset >> 12] (len / 4096 bytes, the
 * device's). The device clears the marks it has handled and then calls
 * region_ram_rearm, so the next write to those pages marks them again. */
IoRegion *mmio_register_ram(Machine *m, const char *name, uint32_t base, uint32_t len,
                            uint8_t *host, uint8_t *dirty);
void region_ram_rearm(Machine *m, IoRegion *r);

/* Port I/O as the CPU sees it. Unclaimed reads return all ones. */
uint32_t port_read(Machine *m, uint16_t port, int size_log2);
void port_write(Machine *m, uint16_t port, uint32_t val, int size_log2);

/* ---- Physical memory. RAM is one host allocation of ram_size bytes at
 * guest physical 0, with 0xA0000-0xBFFFF an MMIO hole; the ROM (m->rom, the
 * BIOS image) ends at 4 GiB. 0xC0000-0xFFFFF is shadow RAM: per 16 KiB
 * segment, reads and writes each go to RAM or to the bus behind it (the last
 * 128 KiB of the ROM at 0xE0000-0xFFFFF, open bus below), as the chipset's
 * PAM registers select (machine_set_shadow). */
/* Host pointer to the byte at paddr if it is RAM or ROM (reads), or RAM
 * (write=true); NULL if MMIO or unmapped. Valid up to the end of the page. */
uint8_t *phys_host_ptr(Machine *m, uint32_t paddr, bool write);
/* Slow path for anything not in RAM: MMIO dispatch, ROM, open bus (~0);
 * a write to a shadow segment whose writes go to RAM but whose reads do not
 * lands here too. */
uint32_t phys_read(Machine *m, uint32_t paddr, int size_log2);
void phys_write(Machine *m, uint32_t paddr, uint32_t val, int size_log2);
/* Shadow RAM modes: bit 0 reads come from RAM, bit 1 writes go to RAM (the
 * i440FX PAM encoding). SHADOW_BUS: both go to the ROM/bus behind. */
enum { SHADOW_BUS = 0, SHADOW_READ = 1, SHADOW_WRITE = 2, SHADOW_RAM = 3 };
/* Set the mode of the 16 KiB segments of [base, base+len) inside
 * 0xC0000-0xFFFFF. A change flushes the CPU's TLB and drops code decoded
 * from those pages. A bare machine starts with SHADOW_READ everywhere. */
void machine_set_shadow(Machine *m, uint32_t base, uint32_t len, int mode);
/* The mode at paddr, or -1 outside 0xC0000-0xFFFFF. */
int machine_get_shadow(const Machine *m, uint32_t paddr);
/* Bus-master DMA for devices: copies between guest RAM and buf. Returns false
 * (and copies nothing) if any byte of [paddr, paddr+len) is not RAM. Writes
 * invalidate decoded code in the pages they touch. */
bool dma_read(Machine *m, uint64_t paddr, void *buf, size_t len);
bool dma_write(Machine *m, uint64_t paddr, const void *buf, size_t len);

/* ---- Interrupt lines. A device holds an IrqLine and raises/lowers it. */
typedef void (*IrqHandler)(void *opaque, int n, int level);
typedef struct IrqLine {
    IrqHandler handler;
    void *opaque;
    int n;
} IrqLine;
static inline void irq_set(const IrqLine *l, int level)
{
    if (l->handler)
        l->handler(l->opaque, l->n, level);
}

/* ---- The virtual clock, in nanoseconds since machine start. With
 * -icount shift=N it is (instructions << N) plus time skipped while halted;
 * otherwise it follows host monotonic time. */
typedef void (*TimerCb)(void *opaque);
typedef struct Timer {
    struct Timer *next;
    uint64_t deadline; /* virtual ns */
    TimerCb cb;
    void *opaque;
    bool pending;
} Timer;

uint64_t clock_ns(Machine *m);
void timer_init(Timer *t, TimerCb cb, void *opaque);
/* Arm (or re-arm) t to fire when clock_ns >= deadline_ns. */
void timer_mod(Machine *m, Timer *t, uint64_t deadline_ns);
void timer_del(Machine *m, Timer *t);
/* Earliest pending deadline, or UINT64_MAX. */
uint64_t timer_next_deadline(Machine *m);
/* Fire every expired timer. */
void timers_run(Machine *m);

/* ---- Host file descriptors watched by the one event loop (serial input,
 * network backends). can_read==NULL means always; it is asked before every
 * poll, so a device that cannot take data stops its source from being read. */
typedef bool (*FdCanRead)(void *opaque);
typedef void (*FdOnRead)(void *opaque);
void loop_watch_fd(Machine *m, int fd, FdCanRead can_read, FdOnRead on_read, void *opaque);
void loop_unwatch_fd(Machine *m, int fd);
/* Wake the loop so can_read is asked again (a receiver became ready). */
void loop_kick(Machine *m);
/* Poll hooks, for sources whose fds change from one poll to the next
 * (libslirp's sockets): before every poll, fill puts up to max pollfds in pfd
 * and may lower *timeout_ns (host ns); after it, dispatch gets those pollfds
 * back with revents set (error: the poll itself failed). Both run on every
 * iteration, also when the poll timed out. */
struct pollfd;
typedef int (*LoopPollFill)(void *opaque, struct pollfd *pfd, int max, uint64_t *timeout_ns);
typedef void (*LoopPollDispatch)(void *opaque, struct pollfd *pfd, int n, bool error);
void loop_add_poll_hook(Machine *m, LoopPollFill fill, LoopPollDispatch dispatch, void *opaque);
void loop_remove_poll_hook(Machine *m, void *opaque);
/* Virtual time while the guest waits for the host. With -icount
 * shift=N,sleep=off an idle CPU jumps the virtual clock to its next
 * deadline at once: a halted guest costs no wall time, and a run with no
 * outside events is deterministic. A guest waiting for the host would see
 * its timeouts expire long before the host could act, so sources say what
 * they expect from their poll fill (loop_host_pending_wanted(m) is true
 * while the idle loop asks; checking is needed only then):
 *   loop_host_pending(m): a reply from the host may come (an open TCP
 *     connection to a host peer, a DNS query in flight): the idle period
 *     waits for host events in real time and the virtual clock follows host
 *     time, as with sleep=on;
 *   loop_host_may_call(m): a host peer may start talking at any moment (a
 *     hostfwd listener): the virtual clock runs at most LOOP_PACE times host
 *     time while idle, so a host client has 1/LOOP_PACE of any guest timeout
 *     to arrive.
 * When no source says either the jumps resume. A CPU with no deadline at all
 * waits for the host with the clock standing still (nothing in the guest can
 * tell, and the run stays deterministic). */
#define LOOP_PACE 20
bool loop_host_pending_wanted(const Machine *m);
void loop_host_pending(Machine *m);
void loop_host_may_call(Machine *m);

/* ---- Device state is allocated from the machine, zeroed, and freed with it
 * (machine_free). Exits with a message if memory runs out. */
void *machine_zalloc(Machine *m, size_t size);

/* ---- Devices that must return to power-on state when the machine resets
 * (guest reboot) register here, each chip in its constructor;
 * machine_reset resets the CPU and then calls them in order. */
void machine_add_reset(Machine *m, void (*reset)(void *opaque), void *opaque);

/* ---- Machine-level requests from devices. */
void machine_request_reset(Machine *m);    /* i8042 0xFE, port 0x92 bit 0, 0xCF9, triple fault */
void machine_request_shutdown(Machine *m, int exit_code);
/* The power button: the board's power management chip registers what a
 * press does (an ACPI event for the OS to act on); pressing returns false
 * when the machine has no power button. */
void machine_set_power_button(Machine *m, void (*press)(void *opaque), void *opaque);
bool machine_press_power_button(Machine *m);
void machine_set_a20(Machine *m, bool enabled);
/* The current I/O access lasts ns of virtual time, as a slow ISA port's
 * does: with -icount, the CPU's clock moves on by that many instructions'
 * time (cpu_stall); in host-time mode the host's own time is the delay. */
void machine_io_delay(Machine *m, uint32_t ns);
bool machine_get_a20(Machine *m);
/* The CPU asks the interrupt controller for the vector of the pending INTR. */
int machine_intack(Machine *m);
/* The interrupt controller drives the CPU's INTR pin. */
void machine_set_intr(Machine *m, bool level);
/* x87 FERR# with CR0.NE=0: raises/lowers the board's FERR line (IRQ13). */
void machine_ferr(Machine *m, int level);
/* The board wires these: who answers INTA cycles, where FERR# goes. */
void machine_set_interrupt_controller(Machine *m, int (*intack)(void *opaque), void *opaque);
void machine_set_ferr_line(Machine *m, IrqLine line);

/* ---- The debugger's hold on the machine (ui/gdbstub.c). A paused machine
 * runs no instructions and its virtual time stands still; the loop keeps
 * polling host fds (the debugger's socket) and calls the debug hook between
 * CPU slices and while paused. A CPU debug event (breakpoint, watchpoint,
 * single step done) pauses the machine. */
void machine_set_paused(Machine *m, bool paused);
bool machine_paused(const Machine *m);
void machine_set_debug_hook(Machine *m, void (*hook)(Machine *m, void *opaque), void *opaque);
/* Removes the hook if it is the one registered with opaque. */
void machine_clear_debug_hook(Machine *m, void *opaque);

/* ---- Character devices: what a UART writes goes to a CharDev. */
typedef struct CharDev {
    void (*write)(void *opaque, const uint8_t *buf, size_t len);
    void *opaque;
} CharDev;

/* The front end's chardevs (ui/chardev.h) as devices get them: a device
 * with chardev=ID is handed machine_chardev(m, ID) in its DeviceContext
 * (NULL: no lookup registered, or no such chardev). */
typedef CharDev *(*ChardevLookup)(void *opaque, const char *id);
void machine_set_chardev_lookup(Machine *m, ChardevLookup lookup, void *opaque);
CharDev *machine_chardev(Machine *m, const char *id);

/* ---- The machine itself. */

#define MAX_FDS 64
#define MAX_REGIONS 255 /* port_map holds region index + 1 in a byte */
#define MAX_POLL_HOOKS 16
/* pollfds all hooks together may add per poll: to start with, and at most
 * (the array grows when a hook fills all it was given: a guest on user
 * networking makes one host socket per flow) */
#define MAX_HOOK_POLLFDS 512
#define MAX_HOOK_POLLFDS_LIMIT 65536

typedef struct FdWatch {
    int fd;
    FdCanRead can_read;
    FdOnRead on_read;
    void *opaque;
} FdWatch;

typedef struct PollHook {
    LoopPollFill fill;
    LoopPollDispatch dispatch;
    void *opaque;
} PollHook;

typedef struct ResetEntry {
    void (*fn)(void *opaque);
    void *opaque;
} ResetEntry;

struct Machine {
    uint8_t *ram; /* one host allocation; 0xC0000-0xFFFFF of it is shadow RAM */
    uint32_t ram_size;
    uint8_t *rom; /* BIOS image, mapped at 4 GiB - rom_size (and its last 128 KiB below 1 MiB) */
    uint32_t rom_size;
    uint8_t shadow[16]; /* 0xC0000-0xFFFFF per 16 KiB: SHADOW_* */
    CPU *cpu;
    void *board; /* what the board keeps (hw/pc.h: pc_board) */

    /* I/O dispatch: ports through a direct map, MMIO through the enabled
     * regions sorted by base (binary search) */
    IoRegion regions[MAX_REGIONS];
    int nregions;
    uint8_t port_map[65536]; /* region index + 1, 0 = none */
    IoRegion *mmio[MAX_REGIONS];
    int nmmio;
    uint32_t mmio_lowest; /* lowest enabled MMIO base (UINT32_MAX: none) */

    /* Virtual clock */
    int icount_shift; /* -1: host time */
    bool icount_sleep;
    uint64_t host_start_ns;
    uint64_t skipped_ns; /* icount mode: time jumped over while halted */
    /* Host-time mode: virtual time is v_base + (icount - ic_base) * rate,
     * re-anchored between slices so that it tracks host time smoothly. */
    uint64_t v_base, ic_base;
    uint64_t rate_q16;     /* virtual ns per instruction, 16.16 fixed point */
    uint64_t est_q16;      /* measured host ns per instruction */
    uint64_t sync_host_ns; /* host time at the last re-anchor */
    uint64_t idle_host_ns; /* host time spent waiting with the CPU halted */
    Timer *timers;         /* sorted by deadline */

    /* Event loop */
    FdWatch fds[MAX_FDS];
    int nfds;
    int wake_pipe[2];
    PollHook poll_hooks[MAX_POLL_HOOKS];
    int npoll_hooks;
    struct pollfd *hook_pfd; /* the hooks' part of a poll, hook_pfd_cap entries */
    int hook_pfd_cap;
    bool probe_pending; /* the idle loop asks: is a host reply pending? */
    bool host_pending;  /* a source said yes (loop_host_pending) */
    bool host_may_call; /* a host peer may call (loop_host_may_call) */

    /* Network clients (net/net.c), in creation order */
    struct NetClient *net_clients;
    /* The display, keyboard and mouse the front ends reach (hw/display.h) */
    struct DisplayHub *display_hub;

    /* Interrupt wiring (set by the board) */
    int (*intack)(void *opaque);
    void *intack_opaque;
    IrqLine ferr_line;

    /* State */
    bool a20;
    bool no_reboot; /* -no-reboot: a reset request ends the run */
    /* -kernel: the bzImage decompresses itself, as under QEMU, rather than
     * the loader unpacking it (bios/linuxboot.c): set when a debugger is
     * to see the boot (-s, -S, -gdb) */
    bool kernel_self_decompress;
    bool reset_requested;
    bool shutdown_requested;
    int exit_code;
    bool paused; /* held by the debugger */

    /* Everything machine_zalloc handed out, freed by machine_free */
    struct MachineAlloc {
        void *p;
        size_t mapped; /* 0: calloc'd; else mmap'd of this length */
    } *allocs;
    int nallocs, allocs_cap;

    /* Resets registered with machine_add_reset, in order */
    ResetEntry *resets;
    int nresets, resets_cap;

    /* The power button (machine_set_power_button) */
    void (*power_button)(void *opaque);
    void *power_button_opaque;

    /* Reset hook (reloads the kernel for direct boot) */
    void (*on_reset)(Machine *m, void *opaque);
    void *on_reset_opaque;
    /* Chardevs for devices (machine_chardev) */
    ChardevLookup chardev_lookup;
    void *chardev_lookup_opaque;
    /* Hook run between CPU slices (the debugger) */
    void (*on_debug)(Machine *m, void *opaque);
    void *on_debug_opaque;
};

/* A machine with RAM and a CPU only; boards add their chips (unit tests
 * use it bare). NULL if the RAM cannot be allocated. */
Machine *machine_new_bare(uint32_t ram_size);
void machine_free(Machine *m);
/* Set the virtual clock's mode: shift < 0 follows host time. */
void machine_set_icount(Machine *m, int shift, bool sleep);
/* Reset the CPU and every registered device, then call on_reset. */
void machine_reset(Machine *m);
/* The main loop: runs until shutdown; returns the exit status. */
int machine_run(Machine *m);
/* One iteration of the loop: run the CPU to the next deadline, fire timers,
 * poll fds (blocking if the CPU is halted). For tests. */
void machine_step(Machine *m);
uint64_t host_now_ns(void);
