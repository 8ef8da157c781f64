/* Helpers shared by the unit tests: one copy each, instead of one per test
 * file. Byte order comes from hw/bytes.h (ld16be, st32le, ...). */
#pragma once
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw/bytes.h"
#include "hw/device.h"
#include "hw/pc.h"
#include "net/net.h"

/* main() running one libcheck suite; exit status 1 if any test failed. */
#define WB_TEST_MAIN(suite_fn)                                                                     \
    int main(void)                                                                                 \
    {                                                                                              \
        SRunner *sr = srunner_create(suite_fn());                                                  \
        srunner_run_all(sr, CK_NORMAL);                                                            \
        int failed = srunner_ntests_failed(sr);                                                    \
        srunner_free(sr);                                                                          \
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;                                               \
    }

/* A bare machine whose virtual clock is cpu->icount ns (icount shift 0). */
static inline Machine *wb_test_machine(uint32_t ram_size)
{
    Machine *m = machine_new_bare(ram_size);
    ck_assert_ptr_nonnull(m);
    m->icount_shift = 0;
    return m;
}

/* A bare machine with the board's interrupt and bus core (8259 pair, ISA
 * and PCI buses), for device tests. */
static inline Machine *wb_test_machine_with_buses(uint32_t ram_size)
{
    Machine *m = wb_test_machine(ram_size);
    pc_board_init(m);
    return m;
}

/* Advance virtual time to ns, firing each timer at its own deadline. */
static inline void wb_run_until(Machine *m, uint64_t ns)
{
    uint64_t d;
    while ((d = timer_next_deadline(m)) <= ns) {
        if (d > clock_ns(m))
            m->cpu->icount = d - m->skipped_ns;
        timers_run(m);
    }
    if (ns > clock_ns(m))
        m->cpu->icount = ns - m->skipped_ns;
    timers_run(m);
}

/* ---- Port I/O as the CPU does it. */
static inline void wb_outb(Machine *m, uint16_t port, uint8_t v)
{
    port_write(m, port, v, 0);
}
static inline uint8_t wb_inb(Machine *m, uint16_t port)
{
    return (uint8_t)port_read(m, port, 0);
}
static inline void wb_outw(Machine *m, uint16_t port, uint16_t v)
{
    port_write(m, port, v, 1);
}
static inline uint16_t wb_inw(Machine *m, uint16_t port)
{
    return (uint16_t)port_read(m, port, 1);
}
static inline void wb_outl(Machine *m, uint16_t port, uint32_t v)
{
    port_write(m, port, v, 2);
}
static inline uint32_t wb_inl(Machine *m, uint16_t port)
{
    return port_read(m, port, 2);
}

/* ---- A command line: argv[0] = "wirebox", then first and the arguments
 * after it up to NULL. Returns argc; argv has room for max entries. */
static inline int wb_argv(char **argv, int max, const char *first, va_list ap)
{
    int argc = 0;
    argv[argc++] = (char *)"wirebox";
    for (const char *a = first; a && argc < max - 1; a = va_arg(ap, const char *))
        argv[argc++] = (char *)a;
    argv[argc] = NULL;
    return argc;
}

/* ---- A net client that keeps every frame it receives (a NIC's peer). */
#define WB_CAP_MAX 64
#define WB_CAP_LEN 17000
typedef struct WbCapture {
    int n; /* frames received (also those beyond WB_CAP_MAX, not kept) */
    size_t len[WB_CAP_MAX];
    uint8_t data[WB_CAP_MAX][WB_CAP_LEN];
} WbCapture;

static inline ssize_t wb_capture_receive(NetClient *nc, const uint8_t *buf, size_t len)
{
    WbCapture *cap = nc->opaque;
    if (cap->n < WB_CAP_MAX) {
        size_t l = len < WB_CAP_LEN ? len : WB_CAP_LEN;
        memcpy(cap->data[cap->n], buf, l);
        cap->len[cap->n] = len;
    }
    cap->n++;
    return (ssize_t)len;
}

static const NetClientInfo wb_capture_info = {
    .kind = NET_CLIENT_OTHER,
    .type = "capture",
    .receive = wb_capture_receive,
};

static inline NetClient *wb_capture_new(Machine *m, const char *name, WbCapture *cap)
{
    memset(cap, 0, sizeof *cap);
    return net_client_new(m, &wb_capture_info, name, cap);
}

/* ---- A device from the registry, as -device TEXT makes it, on m's board;
 * a NIC wired to peer with mac. Returns the device's net client for NICs
 * (found by its name: id= or the model's name), else NULL; fails the test
 * if it cannot be created. */
static inline NetClient *wb_create_device(Machine *m, const char *text, NetClient *peer,
                                          const uint8_t mac[6])
{
    DeviceSpec *spec;
    DeviceParse help;
    const DeviceModel *hm;
    char err[256] = "";
    ck_assert_msg(device_spec_parse(text, NULL, &spec, &help, &hm, err, sizeof err) == 0, "%s",
                  err);
    ck_assert_ptr_nonnull(spec);
    DeviceContext ctx = device_context(m, spec, NULL);
    ctx.peer = peer;
    if (mac)
        memcpy(ctx.mac, mac, 6);
    ck_assert_msg(device_create(spec, &ctx, err, sizeof err) == 0, "%s", err);
    NetClient *nc = device_model_is_nic(spec->model) ? net_client_find(m, ctx.name) : NULL;
    device_spec_free(spec);
    return nc;
}

/* ---- A netdev backend as -netdev TEXT makes it ("socket,id=s0,fd=5"),
 * without a plan: the backend's own parse and create. wb_netdev_new fails
 * the test if it cannot be made; wb_netdev_error returns the one-line error
 * (static storage) of parse or create, or NULL if it was made (and freed). */
#include "net/backend.h"

static inline NetClient *wb_netdev_try(Machine *m, const char *text, char *err, size_t errlen)
{
    Opts *o = opts_parse(text, "type");
    const char *type = opts_get(o, "type"), *id = opts_get(o, "id");
    NetClient *nc = NULL;
    void *conf = NULL;
    const NetBackend *b = type ? net_backend_find(type) : NULL;
    err[0] = '\0';
    if (!b) {
        snprintf(err, errlen, "no backend '%s'", type ? type : "");
    } else if (b->parse(o, text, &conf, err, errlen) == 0) {
        const char *unused = opts_unused(o);
        if (unused)
            wb_errf(err, errlen, "%s: invalid parameter '%s'", text, unused);
        else
            nc = b->create(m, id ? id : "n0", conf, err, errlen);
        b->free_conf(conf);
    }
    opts_free(o);
    return nc;
}

static inline NetClient *wb_netdev_new(Machine *m, const char *text)
{
    char err[512];
    NetClient *nc = wb_netdev_try(m, text, err, sizeof err);
    ck_assert_msg(nc != NULL, "-netdev %s: %s", text, err);
    return nc;
}

static inline const char *wb_netdev_error(Machine *m, const char *text)
{
    static char err[512];
    NetClient *nc = wb_netdev_try(m, text, err, sizeof err);
    if (nc) {
        net_client_free(nc);
        return NULL;
    }
    return err;
}

/* -netdev text is refused with one line that contains msg. */
static inline void wb_netdev_fails(Machine *m, const char *text, const char *msg)
{
    const char *err = wb_netdev_error(m, text);
    ck_assert_msg(err != NULL, "'%s' was accepted", text);
    ck_assert_msg(strstr(err, msg) != NULL, "'%s': got '%s', expected '%s'", text, err, msg);
    ck_assert_msg(!strchr(err, '\n'), "more than one line: %s", err);
}

/* A fresh directory /tmp/wb-TAG.XXXXXX in dir (64 bytes), and its removal. */
static inline void wb_tmpdir(char dir[64], const char *tag)
{
    snprintf(dir, 64, "/tmp/wb-%s.XXXXXX", tag);
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

static inline void wb_rmtree(const char *dir)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}

/* Run the machine's event loop (CPU idle) until cond holds or seconds of
 * host time pass; evaluates to cond. */
#define WB_PUMP_UNTIL(m, cond, seconds)                                                            \
    ({                                                                                             \
        (m)->cpu->halted = true;                                                                   \
        uint64_t wb_end_ = host_now_ns() + (uint64_t)((seconds) * 1e9);                            \
        bool wb_ok_;                                                                               \
        while (!(wb_ok_ = (cond)) && host_now_ns() < wb_end_)                                      \
            machine_step(m);                                                                       \
        wb_ok_;                                                                                    \
    })

/* Run the loop for a while (to show that something does not happen). */
static inline void wb_pump_for(Machine *m, double seconds)
{
    WB_PUMP_UNTIL(m, false, seconds);
}

/* Run the idle loop for seconds of host time; returns how many times it went
 * round (a loop that waits in poll goes round a few times, one that spins on
 * an fd reported ready at once, hundreds of thousands). */
static inline int wb_pump_count(Machine *m, double seconds)
{
    m->cpu->halted = true;
    int steps = 0;
    for (uint64_t end = host_now_ns() + (uint64_t)(seconds * 1e9); host_now_ns() < end; steps++)
        machine_step(m);
    return steps;
}
