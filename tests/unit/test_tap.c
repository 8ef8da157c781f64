/* -netdev tap (net/tap.c): the interface it creates, QEMU's up/down scripts,
 * frames both ways with the host kernel on the other side (an ARP request
 * answered by the tap's host address), and the one-line errors: without
 * privileges, without /dev/net/tun, bad options. The tests that create
 * interfaces run in a child process inside a network namespace of its own
 * (they need root, as CI has; without it they say so and fail). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

static Machine *m;
static char dir[64];

static void setup(void)
{
    m = wb_test_machine(1 << 20);
    wb_tmpdir(dir, "tap");
}

static void teardown(void)
{
    net_cleanup(m);
    machine_free(m);
    wb_rmtree(dir);
}

static void fails(const char *opts, const char *msg)
{
    wb_netdev_fails(m, opts, msg);
}

/* Runs fn in a child (in a new network namespace if netns); the child's
 * check failures make it exit non-zero, which fails the test. */
static void in_child(bool netns, void (*fn)(void))
{
    ck_assert_msg(geteuid() == 0, "this test creates network namespaces: run it as root");
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        if (netns && unshare(CLONE_NEWNET) != 0) {
            fprintf(stderr, "unshare(CLONE_NEWNET): %s\n", strerror(errno));
            _exit(2);
        }
        fn();
        _exit(0);
    }
    int st;
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the child failed (status %d)", st);
}

#define CHILD_CHECK(cond, ...)                                                                     \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: ", __FILE__, __LINE__);                                        \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
            _exit(1);                                                                              \
        }                                                                                          \
    } while (0)

static void write_script(const char *path, const char *body)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "#!/bin/sh\n%s\n", body);
    fclose(f);
    chmod(path, 0755);
}

/* ------------------------------------------------------------------ frames */

static void child_frames(void)
{
    char up[128], down[128], log[128], opt[512];
    snprintf(up, sizeof up, "%s/ifup", dir);
    snprintf(down, sizeof down, "%s/ifdown", dir);
    snprintf(log, sizeof log, "%s/log", dir);
    char body[512];
    snprintf(body, sizeof body,
             "echo \"up $1\" >>%s\nip addr add 10.9.9.1/24 dev \"$1\" && ip link set \"$1\" up", log);
    write_script(up, body);
    snprintf(body, sizeof body, "echo \"down $1\" >>%s", log);
    write_script(down, body);
    Machine *cm = wb_test_machine(1 << 20);
    snprintf(opt, sizeof opt, "tap,id=t0,ifname=wbtap7,script=%s,downscript=%s", up, down);
    char err[512];
    NetClient *t = wb_netdev_try(cm, opt, err, sizeof err);
    CHILD_CHECK(t != NULL, "%s", err);
    CHILD_CHECK(strstr(t->info_str, "ifname=wbtap7") != NULL, "info %s", t->info_str);
    WbCapture *cap = calloc(1, sizeof *cap);
    NetClient *nic = wb_capture_new(cm, "nic", cap);
    net_client_set_peer(nic, t);

    /* The guest asks who has 10.9.9.1: the host's kernel answers through the tap. */
    uint8_t arp[42] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x52, 0x54, 0x00, 0x12, 0x34, 0x56,
                       0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01,
                       0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 10, 9, 9, 2,
                       0, 0, 0, 0, 0, 0, 10, 9, 9, 1};
    bool answered = false;
    for (int tries = 0; tries < 20 && !answered; tries++) {
        net_send(nic, arp, sizeof arp);
        WB_PUMP_UNTIL(cm, cap->n > 0, 0.25);
        for (int i = 0; i < cap->n && i < WB_CAP_MAX; i++) {
            const uint8_t *f = cap->data[i];
            if (cap->len[i] >= 42 && f[12] == 0x08 && f[13] == 0x06 && f[21] == 2 &&
                !memcmp(f + 28, (uint8_t[]){10, 9, 9, 1}, 4) && !memcmp(f, arp + 6, 6))
                answered = true;
        }
    }
    CHILD_CHECK(answered, "no ARP reply from the tap's host address (%d frames)", cap->n);
    net_cleanup(cm);
    machine_free(cm);
    /* Both scripts ran, with the interface's name. */
    FILE *f = fopen(log, "r");
    CHILD_CHECK(f != NULL, "no script log");
    char l1[64] = "", l2[64] = "";
    CHILD_CHECK(fgets(l1, sizeof l1, f) && fgets(l2, sizeof l2, f), "log too short");
    fclose(f);
    CHILD_CHECK(!strcmp(l1, "up wbtap7\n"), "first line %s", l1);
    CHILD_CHECK(!strcmp(l2, "down wbtap7\n"), "second line %s", l2);
    /* The interface went with wirebox. */
    CHILD_CHECK(if_nametoindex("wbtap7") == 0, "wbtap7 still exists");
}

START_TEST(test_frames_and_scripts)
{
    in_child(true, child_frames);
}
END_TEST

static void child_failing_script(void)
{
    char up[128], opt[256], err[512];
    snprintf(up, sizeof up, "%s/ifup-fails", dir);
    write_script(up, "exit 3");
    Machine *cm = wb_test_machine(1 << 20);
    snprintf(opt, sizeof opt, "tap,id=t0,ifname=wbtap8,script=%s,downscript=no", up);
    NetClient *t = wb_netdev_try(cm, opt, err, sizeof err);
    CHILD_CHECK(t == NULL, "a failing script was accepted");
    CHILD_CHECK(strstr(err, "network script") && strstr(err, "wbtap8 failed with status 3"),
                "%s", err);
    CHILD_CHECK(if_nametoindex("wbtap8") == 0, "wbtap8 left behind");
    /* script=no: no script at all (the default /etc/qemu-ifup is not run). */
    t = wb_netdev_try(cm, "tap,id=t1,ifname=wbtap9,script=no,downscript=no", err, sizeof err);
    CHILD_CHECK(t != NULL, "%s", err);
    CHILD_CHECK(if_nametoindex("wbtap9") != 0, "no wbtap9");
    /* fd=: a tap opened by someone else. */
    int fd = open("/dev/net/tun", O_RDWR);
    struct ifreq ifr = {.ifr_flags = IFF_TAP | IFF_NO_PI};
    strcpy(ifr.ifr_name, "wbtap10");
    CHILD_CHECK(fd >= 0 && ioctl(fd, TUNSETIFF, &ifr) == 0, "cannot make wbtap10");
    snprintf(opt, sizeof opt, "tap,id=t2,fd=%d", fd);
    t = wb_netdev_try(cm, opt, err, sizeof err);
    CHILD_CHECK(t != NULL, "%s", err);
    /* A second tap on wbtap10 is refused by the kernel: one line says so. */
    t = wb_netdev_try(cm, "tap,id=t3,ifname=wbtap10,script=no,downscript=no", err, sizeof err);
    CHILD_CHECK(t == NULL && strstr(err, "wbtap10"), "%s", err);
    net_cleanup(cm);
    machine_free(cm);
}

START_TEST(test_script_fd_busy)
{
    in_child(true, child_failing_script);
}
END_TEST

/* The interface is deleted under a running wirebox: the backend stops
 * polling it (the kernel reports the error at once on every poll) and drops
 * what the guest sends, instead of spinning. */
static void child_deleted(void)
{
    Machine *cm = wb_test_machine(1 << 20);
    char err[512];
    NetClient *t = wb_netdev_try(cm, "tap,id=t0,ifname=wbtap12,script=no,downscript=no", err,
                                 sizeof err);
    CHILD_CHECK(t != NULL, "%s", err);
    WbCapture *cap = calloc(1, sizeof *cap);
    NetClient *nic = wb_capture_new(cm, "nic", cap);
    net_client_set_peer(nic, t);
    CHILD_CHECK(system("ip link del wbtap12") == 0, "ip link del wbtap12 failed");
    int steps = wb_pump_count(cm, 0.3);
    CHILD_CHECK(steps < 50, "%d loop iterations in 0.3 s: spinning on the deleted tap", steps);
    uint8_t frame[60] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    CHILD_CHECK(net_send(nic, frame, sizeof frame) == sizeof frame, "a frame was not dropped");
    net_cleanup(cm);
    machine_free(cm);
}

START_TEST(test_interface_deleted)
{
    in_child(true, child_deleted);
}
END_TEST

/* ------------------------------------------------------------------ privileges */

static void child_unprivileged(void)
{
    Machine *cm = wb_test_machine(1 << 20);
    char err[512];
    CHILD_CHECK(setgid(65534) == 0 && setuid(65534) == 0, "cannot become nobody");
    NetClient *t = wb_netdev_try(cm, "tap,id=t0,ifname=wbtap1,script=no,downscript=no", err,
                                 sizeof err);
    CHILD_CHECK(t == NULL, "an unprivileged user made a tap");
    CHILD_CHECK(strstr(err, "needs root or CAP_NET_ADMIN") != NULL, "%s", err);
    CHILD_CHECK(!strchr(err, '\n'), "%s", err);
    machine_free(cm);
}

START_TEST(test_unprivileged)
{
    in_child(true, child_unprivileged);
}
END_TEST

static void child_no_tun(void)
{
    /* A mount namespace where /dev/net is empty: no tun device node. */
    CHILD_CHECK(unshare(CLONE_NEWNS) == 0, "unshare(CLONE_NEWNS): %s", strerror(errno));
    CHILD_CHECK(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0, "private mounts");
    CHILD_CHECK(mount("tmpfs", "/dev/net", "tmpfs", 0, NULL) == 0, "tmpfs on /dev/net: %s",
                strerror(errno));
    Machine *cm = wb_test_machine(1 << 20);
    char err[512];
    NetClient *t = wb_netdev_try(cm, "tap,id=t0,script=no,downscript=no", err, sizeof err);
    CHILD_CHECK(t == NULL, "a tap without /dev/net/tun");
    CHILD_CHECK(strstr(err, "/dev/net/tun is missing") != NULL, "%s", err);
    machine_free(cm);
}

START_TEST(test_no_tun)
{
    in_child(true, child_no_tun);
}
END_TEST

/* ------------------------------------------------------------------ options */

START_TEST(test_errors)
{
    fails("tap,id=t0,vnet_hdr=on", "vnet_hdr=on: on is not supported by wirebox yet");
    fails("tap,id=t0,vnet_hdr=perhaps", "vnet_hdr=perhaps: expected on or off");
    fails("tap,id=t0,vhost=on", "vhost-net is not supported by wirebox yet");
    fails("tap,id=t0,queues=4", "only one queue");
    fails("tap,id=t0,fds=3:4", "fds= is not supported by wirebox yet");
    fails("tap,id=t0,fd=3,ifname=tap0", "fd= excludes ifname=");
    fails("tap,id=t0,fd=x", "fd=x: not an open file descriptor");
    fails("tap,id=t0,fd=999", "fd=999: not an open file descriptor");
    fails("tap,id=t0,ifname=a-very-long-interface-name", "not a valid interface name");
    fails("tap,id=t0,br=br0", "br= goes with helper=");
    fails("tap,id=t0,helper=/bin/true,script=/x", "helper= excludes");
    fails("tap,id=t0,sndbuf=lots", "sndbuf=lots: expected a size");
    char opt[256];
    snprintf(opt, sizeof opt, "tap,id=t0,ifname=wbtapx,script=%s/none,downscript=no", dir);
    if (geteuid() == 0) { /* the interface can be made; the script cannot run */
        pid_t pid = fork();
        if (pid == 0) {
            if (unshare(CLONE_NEWNET) != 0)
                _exit(2);
            const char *e = wb_netdev_error(m, opt);
            _exit(e && strstr(e, "network script") && strstr(e, "No such file") ? 0 : 1);
        }
        int st;
        waitpid(pid, &st, 0);
        ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "missing script not reported");
    }
}
END_TEST

static Suite *tap_suite(void)
{
    Suite *s = suite_create("tap");
    TCase *tc = tcase_create("tap");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_errors);
    tcase_add_test(tc, test_frames_and_scripts);
    tcase_add_test(tc, test_script_fd_busy);
    tcase_add_test(tc, test_interface_deleted);
    tcase_add_test(tc, test_unprivileged);
    tcase_add_test(tc, test_no_tun);
    suite_add_tcase(s, tc);
    return s;
}

WB_TEST_MAIN(tap_suite)
