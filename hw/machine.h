/* The machine: physical memory, port and MMIO dispatch, IRQ lines, the one
 * virtual clock and its timers. Every device is written against this header. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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
} IoRegion;

/* Register a port range (base..base+len-1) or an MMIO range. A region made
 * with enabled=false (base 0, len given) can be placed later by region_map. */
IoRegion *io_register(Machine *m, const char *name, uint16_t base, uint16_t len,
                      void *opaque, DevRead rd, DevWrite wr);
IoRegion *mmio_register(Machine *m, const char *name, uint32_t base, uint32_t len,
                        void *opaque, DevRead rd, DevWrite wr);
/* Move/enable/disable a region (PCI BARs). */
void region_map(Machine *m, IoRegion *r, uint32_t base, bool enabled);

/* Port I/O as the CPU sees it. Unclaimed reads return all ones. */
uint32_t port_read(Machine *m, uint16_t port, int size_log2);
void port_write(Machine *m, uint16_t port, uint32_t val, int size_log2);

/* ---- Physical memory. RAM is one host allocation of ram_size bytes at
 * guest physical 0, with 0xA0000-0xBFFFF an MMIO hole and 0xC0000-0xFFFFF
 * (and the top 256 KiB below 4 GiB) ROM. */
/* Host pointer to the byte at paddr if it is RAM or ROM (reads), or RAM
 * (write=true); NULL if MMIO or unmapped. Valid up to the end of the page. */
uint8_t *phys_host_ptr(Machine *m, uint32_t paddr, bool write);
/* Slow path for anything not in RAM: MMIO dispatch, ROM, open bus (~0). */
uint32_t phys_read(Machine *m, uint32_t paddr, int size_log2);
void phys_write(Machine *m, uint32_t paddr, uint32_t val, int size_log2);
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

/* ---- Device state is allocated from the machine, zeroed, and freed with it
 * (machine_free). Exits with a message if memory runs out. */
void *machine_zalloc(Machine *m, size_t size);

/* ---- Devices that must return to power-on state when the machine resets
 * (guest reboot) register here; machine_reset calls them in order. */
void machine_add_reset(Machine *m, void (*reset)(void *opaque), void *opaque);

/* ---- Machine-level requests from devices. */
void machine_request_reset(Machine *m);    /* i8042 0xFE, port 0x92 bit 0, 0xCF9, triple fault */
void machine_request_shutdown(Machine *m, int exit_code);
void machine_set_a20(Machine *m, bool enabled);
bool machine_get_a20(Machine *m);
/* The CPU asks the interrupt controller for the vector of the pending INTR. */
int machine_intack(Machine *m);
/* The interrupt controller drives the CPU's INTR pin. */
void machine_set_intr(Machine *m, bool level);
/* x87 FERR# with CR0.NE=0: raises/lowers IRQ13. */
void machine_ferr(Machine *m, int level);

/* ---- Character devices: what a UART writes goes to a CharDev. */
typedef struct CharDev {
    void (*write)(void *opaque, const uint8_t *buf, size_t len);
    void *opaque;
} CharDev;

/* A one-line error message for the user, written into err; returns 1 so a
 * parser can `return wb_errf(err, errlen, ...)`. */
int wb_errf(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The same with a va_list. Both keep the message on one line (control
 * characters escaped) and, when it is too long, drop its middle. */
#include <stdarg.h>
int wb_verrf(char *err, size_t errlen, const char *fmt, va_list ap);

/* Logging: one line, prefixed "wirebox: ". log_once-style dedup is the caller's. */
void wb_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
