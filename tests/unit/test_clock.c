/* Virtual time while the CPU is idle under -icount shift=0,sleep=off
 * (hw/machine.c): it jumps to the next deadline, unless a source expects a
 * reply from the host (then it follows host time) or the host may call at
 * any moment (then it runs at most LOOP_PACE times host time); with no
 * deadline at all it stands still, without spinning. */
#define _GNU_SOURCE
#include <check.h>
#include <poll.h>
#include <stdlib.h>

#include "cpu/cpu.h"
#include "net/net.h"
#include "testutil.h"

enum { SAYS_NOTHING, SAYS_PENDING, SAYS_MAY_CALL };
static int says;
static int asked;

static int fill(void *opaque, struct pollfd *pfd, int max, uint64_t *timeout_ns)
{
    Machine *m = opaque;
    if (!loop_host_pending_wanted(m))
        return 0;
    asked++;
    if (says == SAYS_PENDING)
        loop_host_pending(m);
    else if (says == SAYS_MAY_CALL)
        loop_host_may_call(m);
    return 0;
}

static void dispatch(void *opaque, struct pollfd *pfd, int n, bool error)
{
}

static int fired;
static uint64_t fired_at, host_at;
static Machine *m;

static void on_timer(void *opaque)
{
    fired++;
    fired_at = clock_ns(m);
    host_at = host_now_ns();
}

static Timer t;

/* An idle CPU (halted, interrupts off) with a timer due in delay_ns. */
static void idle_machine(int mode, uint64_t delay_ns)
{
    m = wb_test_machine(4u << 20);
    machine_set_icount(m, 0, false);
    m->cpu->halted = true;
    ck_assert(cpu_is_idle(m->cpu));
    says = mode;
    asked = fired = 0;
    loop_add_poll_hook(m, fill, dispatch, m);
    timer_init(&t, on_timer, NULL);
    if (delay_ns)
        timer_mod(m, &t, delay_ns);
}

static void done(void)
{
    timer_del(m, &t);
    loop_remove_poll_hook(m, m);
    machine_free(m);
}

START_TEST(test_jumps)
{
    idle_machine(SAYS_NOTHING, 3600000000000ull); /* an hour */
    uint64_t h0 = host_now_ns();
    machine_step(m);
    ck_assert_uint_eq(clock_ns(m), 3600000000000ull); /* at once */
    ck_assert_int_eq(asked, 1);
    machine_step(m);
    ck_assert_int_eq(fired, 1);
    ck_assert_uint_lt(host_now_ns() - h0, 3600000000000ull);
    done();
}
END_TEST

START_TEST(test_pending_follows_host_time)
{
    idle_machine(SAYS_PENDING, 100000000ull); /* 100 ms */
    uint64_t h0 = host_now_ns();
    while (!fired)
        machine_step(m);
    uint64_t host = host_at - h0;
    ck_assert_uint_eq(fired_at, 100000000ull);
    ck_assert_uint_ge(host, 95000000ull); /* it waited for the host, in real time */
    done();
}
END_TEST

START_TEST(test_may_call_is_paced)
{
    idle_machine(SAYS_MAY_CALL, 1000000000ull); /* 1 s */
    uint64_t h0 = host_now_ns();
    while (!fired)
        machine_step(m);
    uint64_t host = host_at - h0;
    ck_assert_uint_eq(fired_at, 1000000000ull);
    /* at most LOOP_PACE times host time: a host client gets 1/20 of it */
    ck_assert_uint_ge(host * LOOP_PACE + 1000000ull, 1000000000ull);
    done();
}
END_TEST

START_TEST(test_no_deadline_stands_still)
{
    idle_machine(SAYS_NOTHING, 0);
    uint64_t h0 = host_now_ns();
    for (int i = 0; i < 3; i++)
        machine_step(m);
    ck_assert_uint_eq(clock_ns(m), 0);
    ck_assert_uint_ge(host_now_ns() - h0, 250000000ull); /* it slept, it did not spin */
    done();
}
END_TEST

/* A user backend with nothing going on (no connection, no DNS query; its
 * DNS proxy's TCP listener is always there) is no reason to wait for the
 * host: the clock jumps. */
START_TEST(test_idle_user_backend_jumps)
{
    idle_machine(SAYS_NOTHING, 10000000000ull); /* 10 s */
    wb_netdev_new(m, "user,id=n0");
    uint64_t h0 = host_now_ns();
    while (!fired)
        machine_step(m);
    ck_assert_uint_eq(fired_at, 10000000000ull);
    ck_assert_uint_lt(host_at - h0, 5000000000ull); /* (waiting, it takes 10 s) */
    net_cleanup(m);
    done();
}
END_TEST

/* sleep=on is not touched by any of this: idle time is host time. */
START_TEST(test_sleep_on_unchanged)
{
    idle_machine(SAYS_NOTHING, 50000000ull);
    machine_set_icount(m, 0, true);
    uint64_t h0 = host_now_ns();
    while (!fired)
        machine_step(m);
    ck_assert_int_eq(asked, 0);
    ck_assert_uint_ge(host_now_ns() - h0, 45000000ull);
    done();
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("clock");
    TCase *tc = tcase_create("idle");
    tcase_add_test(tc, test_jumps);
    tcase_add_test(tc, test_pending_follows_host_time);
    tcase_add_test(tc, test_may_call_is_paced);
    tcase_add_test(tc, test_no_deadline_stands_still);
    tcase_add_test(tc, test_sleep_on_unchanged);
    tcase_add_test(tc, test_idle_user_backend_jumps);
    suite_add_tcase(s, tc);
    return s;
}

WB_TEST_MAIN(suite)
