/* Shared by the libFuzzer targets in tests/fuzz/ (one fuzz_*.c per guest- or
 * user-facing parser; tools/fuzz builds and runs them).
 *
 * A target reads its input as a little program through FuzzIn: reads past
 * the end give zeros, so every input is a valid program. It checks the
 * model's invariants after every step with FUZZ_CHECK, which reports on
 * stderr and aborts: libFuzzer then saves the input as a crash reproducer.
 *
 * The models' own log lines (wb_log) are silenced while fuzzing, since an
 * input may provoke one per execution; set WIREBOX_FUZZ_VERBOSE=1 to see
 * them when replaying a reproducer. */
#pragma once
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hw/device.h"
#include "hw/pc.h"
#include "net/net.h"

/* Harness code that checks or sets up rather than drives the model: no
 * coverage callbacks, so libFuzzer's counters (and its time) go to the
 * model, not to the harness's own loops. */
#define FZ_HARNESS __attribute__((no_sanitize("coverage")))

typedef struct FuzzIn {
    const uint8_t *p;
    size_t n;
} FuzzIn;

static inline FuzzIn fz_in(const uint8_t *data, size_t size)
{
    return (FuzzIn){data, size};
}

static inline bool fz_done(const FuzzIn *in)
{
    return in->n == 0;
}

static inline uint8_t fz_u8(FuzzIn *in)
{
    if (!in->n)
        return 0;
    in->n--;
    return *in->p++;
}

static inline uint16_t fz_u16(FuzzIn *in)
{
    uint16_t lo = fz_u8(in);
    return (uint16_t)(lo | fz_u8(in) << 8);
}

static inline uint32_t fz_u32(FuzzIn *in)
{
    uint32_t lo = fz_u16(in);
    return lo | (uint32_t)fz_u16(in) << 16;
}

/* Up to len bytes into out, zeros for what the input lacks. Returns how
 * many came from the input. */
static inline size_t fz_bytes(FuzzIn *in, void *out, size_t len)
{
    size_t k = len < in->n ? len : in->n;
    memcpy(out, in->p, k);
    memset((uint8_t *)out + k, 0, len - k);
    in->p += k;
    in->n -= k;
    return k;
}

/* The report goes straight to fd 2 (stderr the FILE is /dev/null while
 * fuzzing, see fz_quiet_logs). */
static inline void fz_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4), noreturn));
static inline void fz_fail(const char *file, int line, const char *fmt, ...)
{
    char msg[1024];
    int k = snprintf(msg, sizeof msg, "==FUZZ== invariant broken at %s:%d: ", file, line);
    va_list ap;
    va_start(ap, fmt);
    if (k > 0 && (size_t)k < sizeof msg)
        vsnprintf(msg + k, sizeof msg - (size_t)k, fmt, ap);
    va_end(ap);
    size_t len = strnlen(msg, sizeof msg - 2);
    msg[len++] = '\n';
    ssize_t w = write(2, msg, len);
    (void)w;
    abort();
}

#define FUZZ_CHECK(cond, ...)                                                                      \
    do {                                                                                           \
        if (!(cond))                                                                               \
            fz_fail(__FILE__, __LINE__, __VA_ARGS__);                                              \
    } while (0)

/* WIREBOX_FUZZ_VERBOSE: 1 says what an input did, 2 also traces each step. */
static inline int fz_verbosity(void)
{
    const char *v = getenv("WIREBOX_FUZZ_VERBOSE");
    return v ? atoi(v) : 0;
}

static inline bool fz_verbose(void)
{
    return fz_verbosity() > 0;
}

/* Model log lines go nowhere unless WIREBOX_FUZZ_VERBOSE is set. glibc lets
 * stderr (the FILE) be re-pointed; fd 2, where libFuzzer and the
 * sanitizers report, stays as it is. Call from LLVMFuzzerInitialize. */
static inline void fz_quiet_logs(void)
{
    if (fz_verbose())
        return;
    FILE *null = fopen("/dev/null", "w");
    if (null)
        stderr = null;
}

/* A frame from the network, built from the input into f (cap bytes): its
 * length, a destination the NIC's filters know (mac, broadcast, an IPv4
 * multicast or what the input says), how many of its bytes the input gives
 * (a pattern fills the rest), an IPv4 or 802.1Q (IPv4 inside) ethertype.
 * Returns its length. */
static inline size_t fz_frame(FuzzIn *in, const uint8_t mac[6], uint8_t *f, size_t cap)
{
    size_t len = fz_u16(in) % cap;
    uint8_t dst = fz_u8(in);
    size_t take = fz_u16(in);
    size_t got = fz_bytes(in, f, take < len ? take : len);
    for (size_t i = got; i < len; i++)
        f[i] = (uint8_t)(i * 7 + 3);
    if (len >= 6) {
        static const uint8_t bcast[6] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
        static const uint8_t mcast[6] = {0x01, 0x00, 0x5E, 0x00, 0x00, 0x01};
        switch (dst & 3) {
        case 0:
            memcpy(f, mac, 6);
            break;
        case 1:
            memcpy(f, bcast, 6);
            break;
        case 2:
            memcpy(f, mcast, 6);
            break;
        default:
            break;
        }
    }
    if ((dst & 4) && len >= 14) {
        f[12] = 0x08;
        f[13] = 0x00;
    }
    if ((dst & 8) && len >= 18) {
        f[12] = 0x81;
        f[13] = 0x00;
        f[16] = 0x08;
        f[17] = 0x00;
    }
    return len;
}

/* A one-line message for a person: non-empty, NUL-terminated inside its
 * buffer, no control characters (wb_errf's promise). NULL if it is fine. */
FZ_HARNESS static inline const char *fz_bad_message(const char *err, size_t errlen)
{
    size_t len = strnlen(err, errlen);
    if (len == errlen)
        return "not NUL-terminated within its buffer";
    if (!len)
        return "empty";
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)err[i] < 0x20 || err[i] == 0x7F)
            return "holds a control character";
    return NULL;
}

/* The LLVMFuzzerInitialize of a target that needs nothing but quiet logs. */
#define FZ_QUIET_INITIALIZE                                                                        \
    int LLVMFuzzerInitialize(int *argc, char ***argv)                                              \
    {                                                                                              \
        (void)argc;                                                                                \
        (void)argv;                                                                                \
        fz_quiet_logs();                                                                           \
        return 0;                                                                                  \
    }

/* A bare machine (RAM and a CPU) whose virtual clock is the CPU's
 * instruction count, so runs are reproducible. */
static inline Machine *fz_machine(uint32_t ram_size)
{
    Machine *m = machine_new_bare(ram_size);
    FUZZ_CHECK(m != NULL, "machine_new_bare(%u) failed", ram_size);
    m->icount_shift = 0;
    m->icount_sleep = false;
    return m;
}

/* Advance virtual time to ns, firing each timer at its own deadline (as
 * tests/unit/testutil.h's wb_run_until). At most max_fires timer rounds:
 * a model that re-arms a timer in the past must not hang the fuzzer.
 * Returns false if the bound was hit. */
FZ_HARNESS static inline bool fz_run_until(Machine *m, uint64_t ns, int max_fires)
{
    uint64_t d;
    while ((d = timer_next_deadline(m)) <= ns) {
        if (max_fires-- <= 0)
            return false;
        if (d > clock_ns(m))
            m->cpu->icount = d - m->skipped_ns;
        timers_run(m);
    }
    if (ns > clock_ns(m))
        m->cpu->icount = ns - m->skipped_ns;
    timers_run(m);
    return true;
}

/* A device from the registry, as -device TEXT makes it, on m's board (as
 * tests/unit/testutil.h's wb_create_device); a NIC wired to peer with mac.
 * Returns the device's net client for NICs, else NULL. */
static inline NetClient *fz_create_device(Machine *m, const char *text, NetClient *peer,
                                          const uint8_t mac[6])
{
    DeviceSpec *spec;
    DeviceParse help;
    const DeviceModel *hm;
    char err[256] = "";
    FUZZ_CHECK(device_spec_parse(text, NULL, &spec, &help, &hm, err, sizeof err) == 0 && spec,
               "-device %s: %s", text, err);
    DeviceContext ctx = device_context(m, spec, NULL);
    ctx.peer = peer;
    if (mac)
        memcpy(ctx.mac, mac, 6);
    FUZZ_CHECK(device_create(spec, &ctx, err, sizeof err) == 0, "%s", err);
    NetClient *nc = device_model_is_nic(spec->model) ? net_client_find(m, ctx.name) : NULL;
    device_spec_free(spec);
    return nc;
}

/* The NIC targets' operations on the world around the card, each from its
 * operands: the clock advanced by a 16-bit count << shift ns (at most
 * max_fires timer rounds), a link change on the NIC's or the peer's side,
 * and a peer that stops or resumes taking frames (flushing what waited). */
FZ_HARNESS static inline void fz_op_clock(FuzzIn *in, Machine *m, int shift, int max_fires)
{
    uint64_t ns = (uint64_t)fz_u16(in) << shift;
    FUZZ_CHECK(fz_run_until(m, clock_ns(m) + ns, max_fires), "more than %d timer rounds in %llu ns",
               max_fires, (unsigned long long)ns);
}

FZ_HARNESS static inline void fz_op_link(FuzzIn *in, NetClient *nic, NetClient *peer)
{
    uint8_t how = fz_u8(in);
    net_set_link((how & 1) ? peer : nic, (how & 2) != 0);
}

FZ_HARNESS static inline void fz_op_peer(FuzzIn *in, NetClient *peer, bool *ready)
{
    *ready = fz_u8(in) & 1;
    if (*ready)
        net_flush_queue(peer);
}
