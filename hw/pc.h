/* The PC machine: what it is made of and how it runs. */
#pragma once
#include <stdio.h>

#include "cpu/cpu.h"
#include "hw/devices.h"
#include "hw/machine.h"

#define MAX_SERIAL 4
#define MAX_FDS 64
#define MAX_REGIONS 128
#define MAX_RESETS 32

/* What the command line asks for (ui/options.c fills it). */
typedef struct MachineConfig {
    uint32_t ram_size;         /* bytes; -m, default 128 MiB */
    const char *kernel;        /* -kernel */
    const char *initrd;        /* -initrd */
    const char *append;        /* -append */
    const char *bios;          /* -bios FILE (raw ROM image, <= 256 KiB) */
    int icount_shift;          /* -icount shift=N; -1 = follow host time */
    bool icount_sleep;         /* -icount sleep=on|off (default on) */
    bool no_reboot;            /* -no-reboot */
    bool nographic;            /* -nographic */
    bool display_none;         /* -display none */
    const char *serial[MAX_SERIAL]; /* -serial specs: "stdio", "file:PATH", "null", "mon:stdio" */
    int nserial;
    bool nic_none;             /* -nic none */
    bool start_stopped;        /* -S */
    const char *gdb;           /* -gdb / -s */
    int accel;                 /* -accel: CPU_ACCEL_TCG (translator, default) or _INTERP */
} MachineConfig;

typedef struct FdWatch {
    int fd;
    FdCanRead can_read;
    FdOnRead on_read;
    void *opaque;
} FdWatch;

#define MAX_POLL_HOOKS 16
#define MAX_HOOK_POLLFDS 512 /* pollfds all hooks together may add per poll */
typedef struct PollHook {
    LoopPollFill fill;
    LoopPollDispatch dispatch;
    void *opaque;
} PollHook;

struct Machine {
    MachineConfig cfg;
    uint8_t *ram; /* one host allocation; 0xC0000-0xFFFFF of it is the low ROM area */
    uint32_t ram_size;
    uint8_t *rom; /* -bios image, mapped at 4 GiB - rom_size (and its last 128 KiB below 1 MiB) */
    uint32_t rom_size;

    CPU *cpu;
    Pic *pic;
    Pit *pit;
    Rtc *rtc;
    Uart *uart[MAX_SERIAL];
    I8042 *kbd;
    PciBus *pci;

    /* I/O dispatch */
    IoRegion regions[MAX_REGIONS];
    int nregions;
    uint8_t port_map[65536]; /* region index + 1, 0 = none */

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
    Timer *timers;       /* sorted by deadline */

    /* Event loop */
    FdWatch fds[MAX_FDS];
    int nfds;
    int wake_pipe[2];
    PollHook poll_hooks[MAX_POLL_HOOKS];
    int npoll_hooks;

    /* Network clients (net/net.c), in creation order */
    struct NetClient *net_clients;

    /* State */
    bool a20;
    bool reset_requested;
    bool shutdown_requested;
    int exit_code;
    bool paused; /* stopped by the debugger */

    /* Everything machine_zalloc handed out, freed by machine_free */
    void **allocs;
    int nallocs, allocs_cap;

    /* Device resets registered with machine_add_reset */
    struct {
        void (*fn)(void *opaque);
        void *opaque;
    } resets[MAX_RESETS];
    int nresets;

    /* Reset hook (reloads the kernel for direct boot) */
    void (*on_reset)(Machine *m, void *opaque);
    void *on_reset_opaque;
    /* Hook run between CPU slices (gdb stub) */
    void (*on_debug)(Machine *m, void *opaque);
    void *on_debug_opaque;
};

/* A machine with RAM and a CPU only (unit tests). */
Machine *machine_new_bare(uint32_t ram_size);
/* The full PC: RAM, CPU, PIC, PIT, RTC, UARTs, i8042, sysctl, PCI. Serial
 * ports get chardevs from serial_out[i] (NULL = none). */
Machine *machine_new_pc(const MachineConfig *cfg, CharDev *serial_out[MAX_SERIAL]);
void machine_free(Machine *m);
/* Reset every device and the CPU, then call on_reset. */
void machine_reset(Machine *m);
/* The main loop: runs until shutdown; returns the exit status. */
int machine_run(Machine *m);
/* One iteration of the loop: run the CPU to the next deadline, fire timers,
 * poll fds (blocking if the CPU is halted). For tests. */
void machine_step(Machine *m);
uint64_t host_now_ns(void);
