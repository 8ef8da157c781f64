/* The netdev layer (net/net.c, net/hub.c) and the event loop's poll hooks. */
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "net/net.h"
#include "testutil.h"

/* A test endpoint: records what it receives; can refuse, or act on receive. */
typedef struct Fake {
    bool ready;        /* can_receive */
    int accept_budget; /* receive takes this many more frames, then returns 0; -1 = unlimited */
    int nrx;
    uint8_t rx[600][8]; /* first bytes of each frame */
    size_t rxlen[600];
    int depth, max_depth; /* nesting of receive calls */
    NetClient *echo_to;   /* on receive, send a frame from this client (re-entry) */
    int echo_left;
    bool flush_self;      /* on receive, call net_flush_queue on itself */
    int link_changes;
} Fake;

static Machine *m;
static Fake fa, fb, fc;

static bool fake_can_receive(NetClient *nc)
{
    return ((Fake *)nc->opaque)->ready;
}

static ssize_t fake_receive(NetClient *nc, const uint8_t *buf, size_t len)
{
    Fake *f = nc->opaque;
    if (f->accept_budget == 0)
        return 0;
    if (f->accept_budget > 0)
        f->accept_budget--;
    f->depth++;
    if (f->depth > f->max_depth)
        f->max_depth = f->depth;
    if (f->nrx < 600) {
        memcpy(f->rx[f->nrx], buf, len < 8 ? len : 8);
        f->rxlen[f->nrx] = len;
    }
    f->nrx++;
    if (f->echo_to && f->echo_left > 0) {
        f->echo_left--;
        uint8_t reply[4] = {0xEE, (uint8_t)f->echo_left, 0, 0};
        net_send(f->echo_to, reply, sizeof reply);
    }
    if (f->flush_self)
        net_flush_queue(nc);
    f->depth--;
    return (ssize_t)len;
}

static void fake_link(NetClient *nc)
{
    ((Fake *)nc->opaque)->link_changes++;
}

static const NetClientInfo fake_nic_info = {
    .kind = NET_CLIENT_NIC,
    .type = "fakenic",
    .can_receive = fake_can_receive,
    .receive = fake_receive,
    .link_status_changed = fake_link,
};
static const NetClientInfo fake_backend_info = {
    .kind = NET_CLIENT_OTHER,
    .type = "fakebe",
    .can_receive = fake_can_receive,
    .receive = fake_receive,
    .link_status_changed = fake_link,
};

static void setup(void)
{
    m = wb_test_machine(1 << 20);
    memset(&fa, 0, sizeof fa);
    memset(&fb, 0, sizeof fb);
    memset(&fc, 0, sizeof fc);
    fa.ready = fb.ready = fc.ready = true;
    fa.accept_budget = fb.accept_budget = fc.accept_budget = -1;
}

static void teardown(void)
{
    net_cleanup(m);
    ck_assert_ptr_null(net_clients(m));
    machine_free(m);
}

static void send_byte(NetClient *from, uint8_t b, ssize_t expect)
{
    uint8_t frame[60] = {b};
    ck_assert_int_eq(net_send(from, frame, sizeof frame), expect);
}

static bool kicked(void)
{
    char buf[64];
    bool any = false;
    while (read(m->wake_pipe[0], buf, sizeof buf) > 0)
        any = true;
    return any;
}

START_TEST(test_peers)
{
    NetClient *a = net_client_new(m, &fake_nic_info, "a", &fa);
    NetClient *b = net_client_new(m, &fake_backend_info, "b", &fb);
    NetClient *c = net_client_new(m, &fake_backend_info, NULL, &fc);
    ck_assert_str_eq(c->name, "fakebe.1");
    ck_assert_ptr_eq(net_client_find(m, "b"), b);
    ck_assert_ptr_null(net_client_find(m, "zz"));
    ck_assert_ptr_eq(net_clients(m), a);
    ck_assert_ptr_eq(a->next_client, b);
    net_client_set_peer(a, b);
    ck_assert_ptr_eq(a->peer, b);
    ck_assert_ptr_eq(b->peer, a);
    /* Re-wiring a to c unplugs b. */
    net_client_set_peer(a, c);
    ck_assert_ptr_eq(a->peer, c);
    ck_assert_ptr_null(b->peer);
    /* No peer: the frame goes nowhere but counts as sent. */
    send_byte(b, 1, 60);
    ck_assert(net_peer_can_receive(b));
    send_byte(a, 2, 60);
    ck_assert_int_eq(fc.nrx, 1);
    ck_assert_int_eq(fc.rx[0][0], 2);
    /* Freeing a client unplugs its peer. */
    net_client_free(c);
    ck_assert_ptr_null(a->peer);
}
END_TEST

START_TEST(test_queue_when_not_ready)
{
    NetClient *a = net_client_new(m, &fake_backend_info, "a", &fa);
    NetClient *b = net_client_new(m, &fake_nic_info, "b", &fb);
    net_client_set_peer(a, b);
    send_byte(a, 1, 60);
    ck_assert_int_eq(fb.nrx, 1);
    fb.ready = false;
    ck_assert(!net_peer_can_receive(a));
    for (int i = 2; i <= 5; i++)
        send_byte(a, (uint8_t)i, 0); /* queued */
    ck_assert_int_eq(fb.nrx, 1);
    ck_assert_int_eq(b->queue_len, 4);
    /* Ready again, but the queue waits for the receiver's flush... */
    fb.ready = true;
    ck_assert(!net_peer_can_receive(a)); /* frames are waiting */
    send_byte(a, 6, 0);                   /* and new ones go behind them */
    ck_assert_int_eq(fb.nrx, 1);
    kicked();
    net_flush_queue(b);
    ck_assert(kicked()); /* the loop is woken so backends re-poll */
    ck_assert_int_eq(fb.nrx, 6);
    for (int i = 0; i < 6; i++)
        ck_assert_int_eq(fb.rx[i][0], i + 1);
    ck_assert_int_eq(b->queue_len, 0);
    ck_assert(net_peer_can_receive(a));
    send_byte(a, 7, 60);
    ck_assert_int_eq(fb.nrx, 7);
}
END_TEST

START_TEST(test_receive_returns_zero)
{
    NetClient *a = net_client_new(m, &fake_backend_info, "a", &fa);
    NetClient *b = net_client_new(m, &fake_nic_info, "b", &fb);
    net_client_set_peer(a, b);
    fb.accept_budget = 0; /* says it can receive, but takes nothing (ring full) */
    send_byte(a, 1, 0);
    send_byte(a, 2, 0);
    send_byte(a, 3, 0);
    ck_assert_int_eq(b->queue_len, 3);
    /* It takes two, then is full again: the third stays queued, in order. */
    fb.accept_budget = 2;
    net_flush_queue(b);
    ck_assert_int_eq(fb.nrx, 2);
    ck_assert_int_eq(fb.rx[0][0], 1);
    ck_assert_int_eq(fb.rx[1][0], 2);
    ck_assert_int_eq(b->queue_len, 1);
    fb.accept_budget = -1;
    net_flush_queue(b);
    ck_assert_int_eq(fb.nrx, 3);
    ck_assert_int_eq(fb.rx[2][0], 3);
}
END_TEST

START_TEST(test_queue_limit)
{
    NetClient *a = net_client_new(m, &fake_backend_info, "a", &fa);
    NetClient *b = net_client_new(m, &fake_nic_info, "b", &fb);
    net_client_set_peer(a, b);
    fb.ready = false;
    for (int i = 0; i < NET_QUEUE_MAX + 10; i++)
        send_byte(a, (uint8_t)i, 0);
    ck_assert_int_eq(b->queue_len, NET_QUEUE_MAX);
    fb.ready = true;
    net_flush_queue(b);
    ck_assert_int_eq(fb.nrx, NET_QUEUE_MAX);
    ck_assert_int_eq(fb.rx[NET_QUEUE_MAX - 1][0], (NET_QUEUE_MAX - 1) & 0xFF);
}
END_TEST

/* A receiver that answers synchronously (as libslirp does) must not be
 * re-entered: the answers to it are queued and delivered after it returns.
 * Nor is a NIC re-entered from its own send: the answer to a frame it sends
 * waits until the NIC is back with the machine (a timer due at once). */
START_TEST(test_no_reentry)
{
    NetClient *a = net_client_new(m, &fake_nic_info, "a", &fa);
    NetClient *b = net_client_new(m, &fake_backend_info, "b", &fb);
    net_client_set_peer(a, b);
    /* b answers every frame to a; a answers every frame back to b: a
     * ping-pong of 10 frames that must not nest. */
    fb.echo_to = b;
    fb.echo_left = 5;
    fa.echo_to = a;
    fa.echo_left = 5;
    send_byte(a, 1, 60);
    ck_assert_int_eq(fb.nrx, 1);
    ck_assert_int_eq(fa.nrx, 0); /* not inside a's send */
    ck_assert_int_eq(a->queue_len, 1);
    ck_assert(!net_peer_can_receive(b));
    wb_run_until(m, clock_ns(m));
    ck_assert_int_eq(fb.nrx, 6);
    ck_assert_int_eq(fa.nrx, 5);
    ck_assert_int_eq(fb.max_depth, 1);
    ck_assert_int_le(fa.max_depth, 1);
    ck_assert_int_eq(a->queue_len + b->queue_len, 0);

    /* A flush from inside the receiver's own receive is a no-op, not a recursion. */
    fb.echo_to = NULL;
    fb.flush_self = true;
    fb.ready = false;
    send_byte(a, 2, 0);
    send_byte(a, 3, 0);
    fb.ready = true;
    fb.max_depth = 0;
    net_flush_queue(b);
    ck_assert_int_eq(fb.max_depth, 1);
    ck_assert_int_eq(b->queue_len, 0);
    ck_assert_int_eq(fb.rx[fb.nrx - 1][0], 3);
}
END_TEST

START_TEST(test_hub)
{
    NetClient *a = net_client_new(m, &fake_nic_info, "a", &fa);
    NetClient *b = net_client_new(m, &fake_nic_info, "b", &fb);
    NetClient *c = net_client_new(m, &fake_backend_info, "c", &fc);
    NetClient *pa = net_hub_add_port(m, 0, NULL);
    NetClient *pb = net_hub_add_port(m, 0, NULL);
    NetClient *pc = net_hub_add_port(m, 0, "custom");
    NetClient *other = net_hub_add_port(m, 1, NULL);
    ck_assert_str_eq(pa->name, "hub0port0");
    ck_assert_str_eq(pb->name, "hub0port1");
    ck_assert_str_eq(other->name, "hub1port0");
    ck_assert_int_eq(net_hub_id(pc), 0);
    ck_assert_int_eq(net_hub_id(other), 1);
    ck_assert_int_eq(net_hub_id(a), -1);
    net_client_set_peer(a, pa);
    net_client_set_peer(b, pb);
    net_client_set_peer(c, pc);
    /* To every port but the sender's. */
    send_byte(c, 7, 60);
    ck_assert_int_eq(fa.nrx, 1);
    ck_assert_int_eq(fb.nrx, 1);
    ck_assert_int_eq(fc.nrx, 0);
    send_byte(a, 8, 60);
    ck_assert_int_eq(fa.nrx, 1);
    ck_assert_int_eq(fb.nrx, 2);
    ck_assert_int_eq(fc.nrx, 1);
    ck_assert_int_eq(fc.rx[0][0], 8);
    /* One busy NIC: the hub still takes frames; the busy one's wait in its queue. */
    fb.ready = false;
    ck_assert(net_peer_can_receive(c));
    send_byte(c, 9, 60);
    ck_assert_int_eq(fa.nrx, 2);
    ck_assert_int_eq(fb.nrx, 2);
    ck_assert_int_eq(b->queue_len, 1);
    /* Both busy: the backend must stop reading. */
    fa.ready = false;
    ck_assert(!net_peer_can_receive(c));
    fb.ready = true;
    net_flush_queue(b);
    ck_assert_int_eq(fb.nrx, 3);
    ck_assert_int_eq(fb.rx[2][0], 9);
    /* A hub with a synchronous echo (a backend answering) does not loop. */
    fa.ready = true;
    fc.echo_to = c;
    fc.echo_left = 1;
    send_byte(a, 10, 60);
    ck_assert_int_eq(fc.nrx, 2);
    ck_assert_int_eq(fb.nrx, 5); /* the frame and c's answer */
    ck_assert_int_eq(fa.nrx, 2); /* c's answer: not inside a's send */
    wb_run_until(m, clock_ns(m));
    ck_assert_int_eq(fa.nrx, 3);
    ck_assert_int_eq(fa.rx[2][0], 0xEE);
}
END_TEST

START_TEST(test_link)
{
    NetClient *nic = net_client_new(m, &fake_nic_info, "nic", &fa);
    NetClient *be = net_client_new(m, &fake_backend_info, "be", &fb);
    net_client_set_peer(nic, be);
    /* The NIC's link down: what it sends goes nowhere, and nothing reaches it. */
    net_set_link(nic, false);
    ck_assert(nic->link_down);
    ck_assert_int_eq(fa.link_changes, 1);
    send_byte(nic, 1, 60);
    ck_assert_int_eq(fb.nrx, 0);
    send_byte(be, 2, 60);
    ck_assert_int_eq(fa.nrx, 0);
    ck_assert(net_peer_can_receive(be)); /* keep the source drained */
    net_set_link(nic, true);
    ck_assert(!nic->link_down);
    send_byte(be, 3, 60);
    ck_assert_int_eq(fa.nrx, 1);
    /* A backend's link is its NIC's cable: the NIC hears of it. */
    fa.link_changes = 0;
    net_set_link(be, false);
    ck_assert(be->link_down && nic->link_down);
    ck_assert_int_eq(fa.link_changes, 1);
    ck_assert_int_eq(fb.link_changes, 1);
    send_byte(nic, 4, 60);
    ck_assert_int_eq(fb.nrx, 0);
    net_set_link(be, true);
    ck_assert(!be->link_down && !nic->link_down);
    send_byte(nic, 5, 60);
    ck_assert_int_eq(fb.nrx, 1);
    /* Frames waiting for a receiver whose link goes down are dropped. */
    fa.ready = false;
    send_byte(be, 6, 0);
    ck_assert_int_eq(nic->queue_len, 1);
    net_set_link(nic, false);
    ck_assert_int_eq(nic->queue_len, 0);
}
END_TEST

START_TEST(test_free_purges)
{
    NetClient *a = net_client_new(m, &fake_backend_info, "a", &fa);
    NetClient *b = net_client_new(m, &fake_nic_info, "b", &fb);
    NetClient *c = net_client_new(m, &fake_nic_info, "c", &fc);
    NetClient *p0 = net_hub_add_port(m, 0, NULL);
    NetClient *p1 = net_hub_add_port(m, 0, NULL);
    NetClient *p2 = net_hub_add_port(m, 0, NULL);
    net_client_set_peer(a, p0);
    net_client_set_peer(b, p1);
    net_client_set_peer(c, p2);
    fb.ready = false;
    send_byte(a, 1, 60); /* c takes it; it waits at b, sent by p1 */
    ck_assert_int_eq(fc.nrx, 1);
    ck_assert_int_eq(b->queue_len, 1);
    net_client_free(p1);
    ck_assert_int_eq(b->queue_len, 0);
    ck_assert_ptr_null(b->peer);
    /* Every NIC busy: the hub port itself holds the frame (sent by a). */
    fc.ready = false;
    ck_assert(!net_peer_can_receive(a));
    send_byte(a, 2, 0);
    ck_assert_int_eq(p0->queue_len, 1);
    /* c's flush moves what waits at the hub. */
    fc.ready = true;
    net_flush_queue(c);
    ck_assert_int_eq(p0->queue_len, 0);
    ck_assert_int_eq(fc.nrx, 2);
    ck_assert_int_eq(fc.rx[1][0], 2);
    fc.ready = false;
    send_byte(a, 3, 0);
    ck_assert_int_eq(p0->queue_len, 1);
    net_client_free(a);
    ck_assert_int_eq(p0->queue_len, 0);
}
END_TEST

/* ---- poll hooks */

static int hook_fills, hook_dispatches, hook_fd, hook_seen_in;
static uint64_t hook_timeout;

static int hook_fill(void *opaque, struct pollfd *pfd, int max, uint64_t *timeout_ns)
{
    hook_fills++;
    if (*timeout_ns > hook_timeout)
        *timeout_ns = hook_timeout;
    if (hook_fd < 0 || max < 1)
        return 0;
    pfd[0] = (struct pollfd){.fd = hook_fd, .events = POLLIN};
    return 1;
}

static void hook_dispatch(void *opaque, struct pollfd *pfd, int n, bool error)
{
    hook_dispatches++;
    if (n == 1 && (pfd[0].revents & POLLIN)) {
        char c;
        ck_assert_int_eq(read(pfd[0].fd, &c, 1), 1);
        hook_seen_in++;
    }
}

/* A hook with very many fds (as user networking has, one host socket per
 * guest flow): it gets them all polled, and a hook after it still gets its
 * own. */
enum { GREEDY_FDS = 3000 };
static int greedy_fd, greedy_seen;

static int greedy_fill(void *opaque, struct pollfd *pfd, int max, uint64_t *timeout_ns)
{
    int n = 0;
    for (; n < GREEDY_FDS && n < max; n++) /* the same idle fd, many times */
        pfd[n] = (struct pollfd){.fd = greedy_fd, .events = POLLIN};
    return n;
}

static void greedy_dispatch(void *opaque, struct pollfd *pfd, int n, bool error)
{
    greedy_seen = n;
}

START_TEST(test_poll_hook_with_many_fds)
{
    int idle[2], fds[2];
    ck_assert_int_eq(pipe(idle), 0);
    ck_assert_int_eq(pipe(fds), 0);
    greedy_fd = idle[0];
    hook_fills = hook_dispatches = hook_seen_in = 0;
    hook_fd = fds[0];
    hook_timeout = 2000000000ull;
    loop_add_poll_hook(m, greedy_fill, greedy_dispatch, &greedy_fd);
    loop_add_poll_hook(m, hook_fill, hook_dispatch, &hook_fd);
    m->cpu->halted = true;
    ck_assert_int_eq(write(fds[1], "x", 1), 1);
    machine_step(m);
    ck_assert_int_eq(greedy_seen, GREEDY_FDS);
    ck_assert_int_eq(hook_seen_in, 1);
    loop_remove_poll_hook(m, &hook_fd);
    loop_remove_poll_hook(m, &greedy_fd);
    for (int i = 0; i < 2; i++) {
        close(idle[i]);
        close(fds[i]);
    }
}
END_TEST

START_TEST(test_poll_hooks)
{
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    hook_fills = hook_dispatches = hook_seen_in = 0;
    hook_fd = fds[0];
    hook_timeout = 5000000; /* 5 ms */
    loop_add_poll_hook(m, hook_fill, hook_dispatch, &hook_fd);
    m->cpu->halted = true; /* idle: the loop blocks in poll */

    /* Nothing ready: the hook's timeout bounds the wait, dispatch runs anyway. */
    uint64_t t0 = host_now_ns();
    machine_step(m);
    uint64_t took = host_now_ns() - t0;
    ck_assert_int_eq(hook_fills, 1);
    ck_assert_int_eq(hook_dispatches, 1);
    ck_assert_int_eq(hook_seen_in, 0);
    ck_assert_uint_lt(took, 80000000ull); /* well under the idle loop's 100 ms */

    /* A readable fd wakes the poll at once and is dispatched. */
    hook_timeout = 2000000000ull;
    ck_assert_int_eq(write(fds[1], "x", 1), 1);
    t0 = host_now_ns();
    machine_step(m);
    ck_assert_uint_lt(host_now_ns() - t0, 1000000000ull);
    ck_assert_int_eq(hook_seen_in, 1);
    ck_assert_int_eq(hook_dispatches, 2);

    loop_remove_poll_hook(m, &hook_fd);
    machine_step(m);
    ck_assert_int_eq(hook_fills, 2);
    close(fds[0]);
    close(fds[1]);
}
END_TEST

static Suite *net_suite(void)
{
    Suite *s = suite_create("net");
    TCase *tc = tcase_create("layer");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_peers);
    tcase_add_test(tc, test_queue_when_not_ready);
    tcase_add_test(tc, test_receive_returns_zero);
    tcase_add_test(tc, test_queue_limit);
    tcase_add_test(tc, test_no_reentry);
    tcase_add_test(tc, test_hub);
    tcase_add_test(tc, test_link);
    tcase_add_test(tc, test_free_purges);
    tcase_add_test(tc, test_poll_hooks);
    tcase_add_test(tc, test_poll_hook_with_many_fds);
    suite_add_tcase(s, tc);
    return s;
}

WB_TEST_MAIN(net_suite)
