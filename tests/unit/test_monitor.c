/* The monitor (ui/monitor.c): the dispatcher over command tables, help and
 * info, argument checks, errors in one line, line editing; and the
 * machine's and the chardevs' commands on a real machine. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "testutil.h"
#include "net/net.h"
#include "ui/chardev.h"
#include "ui/monitor.h"
#include "ui/options.h"

/* What the monitor wrote, as one string. */
static char out[65536];
static size_t outlen;

static void capture(void *opaque, const char *buf, size_t len)
{
    if (outlen + len < sizeof out) {
        memcpy(out + outlen, buf, len);
        outlen += len;
        out[outlen] = '\0';
    }
}

static void clear(void)
{
    outlen = 0;
    out[0] = '\0';
}

/* ---- a subsystem's own table, as another engineer would add it */

static char seen[256];

static int cmd_record(Monitor *mon, int argc, char **argv)
{
    seen[0] = '\0';
    for (int i = 0; i < argc; i++)
        snprintf(seen + strlen(seen), sizeof seen - strlen(seen), "%s[%s]", i ? " " : "",
                 argv[i]);
    ck_assert_ptr_null(argv[argc]);
    monitor_printf(mon, "did %s\nsecond line\n", argv[0]);
    return 0;
}

static int cmd_fails(Monitor *mon, int argc, char **argv)
{
    return monitor_errf(mon, "set_link: expected on or off, not '%s'\nand more", argv[2]);
}

static const MonitorCommand test_commands[] = {
    {.name = "set_link", .args = "name on|off", .help = "change the link", .handler = cmd_fails,
     .min_args = 2, .max_args = 2},
    {.name = "hostfwd_add|hfa", .args = "[netdev_id] rule", .help = "add a forward",
     .handler = cmd_record, .min_args = 1, .max_args = 2},
    {.name = "anything", .help = "takes any arguments", .handler = cmd_record, .max_args = -1},
    {NULL},
};

static const MonitorCommand test_info[] = {
    {.name = "network", .help = "show the network state", .handler = cmd_record},
    {.name = "usernet", .args = "[id]", .help = "show slirp", .handler = cmd_record,
     .max_args = 1},
    {NULL},
};

static const MonitorTable test_table = {.owner = "test", .commands = test_commands,
                                        .info = test_info};
static const MonitorTable *const test_tables[] = {&test_table, NULL};

static Monitor *mon;

static void setup(void)
{
    clear();
    seen[0] = '\0';
    mon = monitor_new(NULL, test_tables, capture, NULL);
}

static void teardown(void)
{
    monitor_free(mon);
}

/* Runs line; returns the output. */
static const char *run(const char *line)
{
    clear();
    seen[0] = '\0';
    monitor_execute(mon, line);
    return out;
}

START_TEST(test_dispatch)
{
    ck_assert_str_eq(run("hostfwd_add tcp::2222-:22"), "did hostfwd_add\r\nsecond line\r\n");
    ck_assert_str_eq(seen, "[hostfwd_add] [tcp::2222-:22]");
    run("  hfa   n0\t tcp::1-:2  "); /* an alias; spaces and tabs */
    ck_assert_str_eq(seen, "[hfa] [n0] [tcp::1-:2]");
    run("anything \"two words\" \"a \\\"quote\\\"\" last");
    ck_assert_str_eq(seen, "[anything] [two words] [a \"quote\"] [last]");
    run("anything");
    ck_assert_str_eq(seen, "[anything]");
    ck_assert_str_eq(run(""), "");
    ck_assert_str_eq(run("   "), "");
}
END_TEST

/* Every mistake: one line, and the monitor goes on. */
START_TEST(test_errors_one_line)
{
    ck_assert_str_eq(run("frobnicate 1 2"), "unknown command: 'frobnicate' (try 'help')\r\n");
    ck_assert_str_eq(run("hostfwd_add"),
                     "hostfwd_add: missing argument (usage: hostfwd_add [netdev_id] rule)\r\n");
    ck_assert_str_eq(run("hostfwd_add a b c"),
                     "hostfwd_add: too many arguments (usage: hostfwd_add [netdev_id] rule)\r\n");
    ck_assert_str_eq(seen, ""); /* the handler did not run */
    ck_assert_str_eq(run("info network extra"),
                     "info network: takes no arguments (usage: info network)\r\n");
    ck_assert_str_eq(run("info nosuch"), "unknown command: 'info nosuch' (try 'info')\r\n");
    ck_assert_str_eq(run("anything \"open"), "unterminated quote in: anything \"open\r\n");
    /* a handler's error: its one line (a newline in it does not make two) */
    ck_assert_str_eq(run("set_link eth0 maybe"),
                     "set_link: expected on or off, not 'maybe' and more\r\n");
    ck_assert_str_eq(run("help nosuch"), "help: unknown command: 'nosuch'\r\n");
    /* still answering */
    ck_assert_str_eq(run("hostfwd_add x"), "did hostfwd_add\r\nsecond line\r\n");
}
END_TEST

START_TEST(test_help_and_info)
{
    /* help: every row of every table, the core's included, sorted by name */
    ck_assert_str_eq(run("help"), "anything  -- takes any arguments\r\n"
                                  "help|? [cmd] -- show the help\r\n"
                                  "hostfwd_add|hfa [netdev_id] rule -- add a forward\r\n"
                                  "info [subcommand] -- show various information about the "
                                  "system state\r\n"
                                  "set_link name on|off -- change the link\r\n");
    ck_assert_str_eq(run("? set_link"), "set_link name on|off -- change the link\r\n");
    ck_assert_str_eq(run("help hfa"), "hostfwd_add|hfa [netdev_id] rule -- add a forward\r\n");
    const char *want_info = "info network  -- show the network state\r\n"
                            "info usernet [id] -- show slirp\r\n";
    ck_assert_str_eq(run("info"), want_info);
    ck_assert_str_eq(run("help info"), want_info);
    run("info usernet n0");
    ck_assert_str_eq(seen, "[usernet] [n0]");
    ck_assert_str_eq(out, "did usernet\r\nsecond line\r\n");
}
END_TEST

/* Typing: echo, Backspace, Ctrl-U, CR LF as one Enter, arrow keys ignored. */
START_TEST(test_line_editing)
{
    monitor_show(mon);
    ck_assert_str_eq(out, "wirebox " WIREBOX_VERSION " monitor - type 'help' for more "
                          "information\r\n(qemu) ");
    clear();
    monitor_show(mon); /* the banner once */
    ck_assert_str_eq(out, "(qemu) ");
    clear();
    const char typed[] = "hfa tcpX\x7f:\x1b[A\x1b[D:1\r\n";
    monitor_input(mon, typed, sizeof typed - 1);
    ck_assert_str_eq(seen, "[hfa] [tcp::1]");
    ck_assert_str_eq(out, "hfa tcpX\b \b::1\r\ndid hfa\r\nsecond line\r\n(qemu) ");
    clear();
    monitor_input(mon, "garbage\x15" "anything ok\n", 20);
    ck_assert_str_eq(seen, "[anything] [ok]");
    clear();
    monitor_input(mon, "\r\n\r", 3); /* empty lines: just prompts */
    ck_assert_str_eq(out, "\r\n(qemu) \r\n(qemu) ");
    /* a line longer than the buffer is cut, not overrun */
    char *big = malloc(5000);
    memset(big, 'a', 4999);
    big[4999] = '\n';
    clear();
    monitor_input(mon, big, 5000);
    ck_assert_ptr_nonnull(strstr(out, "unknown command: 'aaaa"));
    free(big);
}
END_TEST

/* The real tables: no name twice, every row complete. */
START_TEST(test_real_tables)
{
    for (int info = 0; info < 2; info++) {
        const char *names[256];
        int n = 0;
        for (int t = 0; monitor_tables[t]; t++) {
            const MonitorCommand *rows = info ? monitor_tables[t]->info
                                              : monitor_tables[t]->commands;
            for (const MonitorCommand *r = rows; r && r->name; r++) {
                ck_assert_ptr_nonnull(r->help);
                ck_assert_ptr_nonnull(r->handler);
                ck_assert(r->max_args < 0 || r->max_args >= r->min_args);
                char copy[64];
                snprintf(copy, sizeof copy, "%s", r->name);
                for (char *w = strtok(copy, "|"); w; w = strtok(NULL, "|")) {
                    for (int i = 0; i < n; i++)
                        ck_assert_msg(strcmp(names[i], w), "'%s' twice", w);
                    names[n++] = strdup(w);
                }
            }
        }
        ck_assert_int_gt(n, 3);
        for (int i = 0; i < n; i++)
            free((char *)names[i]);
    }
}
END_TEST

/* ---- the machine's commands */

static Machine *pc(void)
{
    Machine *m = wb_test_machine_with_buses(16u << 20);
    static const uint8_t mac[6] = {0x52, 0x54, 0, 0x12, 0x34, 0x56};
    wb_create_device(m, "e1000,addr=03", NULL, mac);
    /* as the firmware would: BAR0 at 0xfebc0000, memory decoding on */
    pci_config_write(pc_board(m)->pci, 3 << 3, 0x10, 0xfebc0000, 2);
    pci_config_write(pc_board(m)->pci, 3 << 3, 0x04, 0x0003, 1);
    pci_config_write(pc_board(m)->pci, 3 << 3, 0x3C, 11, 0);
    return m;
}

START_TEST(test_machine_commands)
{
    Machine *m = pc();
    Monitor *mm = monitor_new(m, NULL, capture, NULL);
    clear();
    monitor_execute(mm, "info pci");
    ck_assert_ptr_nonnull(strstr(out, "  Bus  0, device   0, function 0:\r\n"
                                      "    Host bridge: PCI device 8086:1237\r\n"));
    ck_assert_ptr_nonnull(strstr(out, "    ISA bridge: PCI device 8086:7000\r\n"));
    ck_assert_ptr_nonnull(strstr(out, "  Bus  0, device   3, function 0:\r\n"
                                      "    Ethernet controller: PCI device 8086:100e\r\n"));
    ck_assert_ptr_nonnull(strstr(out, "      IRQ 11, pin A\r\n"
                                      "      BAR0: 32 bit memory at 0xfebc0000 [0xfebdffff].\r\n"
                                      "      BAR1: I/O at 0xffffffffffffffff [0x003f].\r\n"));
    clear();
    m->cpu->regs[R_EAX] = 0x12345678;
    monitor_execute(mm, "info registers");
    ck_assert(!strncmp(out, "EAX=12345678 EBX=00000000 ECX=00000000 EDX=", 43));
    ck_assert_ptr_nonnull(strstr(out, "\r\nCS =f000 ffff0000 0000ffff "));
    ck_assert_ptr_nonnull(strstr(out, "\r\nCR0=60000010 "));
    clear();
    monitor_execute(mm, "info status");
    ck_assert_str_eq(out, "VM status: running\r\n");
    monitor_execute(mm, "stop");
    ck_assert(machine_paused(m));
    clear();
    monitor_execute(mm, "info status");
    ck_assert_str_eq(out, "VM status: paused\r\n");
    monitor_execute(mm, "c");
    ck_assert(!machine_paused(m));
    clear();
    monitor_execute(mm, "info clock");
    ck_assert(!strncmp(out, "virtual time 0.000000000 s, host time ", 38));
    ck_assert(!m->reset_requested);
    monitor_execute(mm, "system_reset");
    ck_assert(m->reset_requested && !m->shutdown_requested);
    monitor_execute(mm, "q");
    ck_assert(m->shutdown_requested);
    ck_assert_int_eq(m->exit_code, 0);
    monitor_free(mm);
    net_cleanup(m);
    machine_free(m);
}
END_TEST

/* A monitor on a ringbuf chardev, and the chardev commands. */
START_TEST(test_chardev_commands)
{
    Options o;
    char err[256];
    char *argv[] = {"wirebox", "-nodefaults", "-chardev", "ringbuf,id=rb,size=64", "-chardev",
                    "null,id=n", NULL};
    ck_assert_int_eq(options_parse(6, argv, &o, err, sizeof err), 0);
    ck_assert_int_eq(chardevs_open(&o.con, err, sizeof err), 0);
    Machine *m = wb_test_machine_with_buses(16u << 20);
    Monitor *mm = monitor_new(m, NULL, capture, NULL);
    clear();
    monitor_execute(mm, "info chardev");
    ck_assert_str_eq(out, "rb: filename=ringbuf\r\nn: filename=null\r\n");
    clear();
    monitor_execute(mm, "ringbuf_write rb \"hello\tthere\"");
    monitor_execute(mm, "ringbuf_read rb 7");
    ck_assert_str_eq(out, "hello\tt\r\n");
    clear();
    monitor_execute(mm, "ringbuf_read rb 100");
    ck_assert_str_eq(out, "here\r\n");
    clear();
    monitor_execute(mm, "ringbuf_read n 10");
    ck_assert_str_eq(out, "ringbuf_read: chardev 'n' is not a ringbuf\r\n");
    clear();
    monitor_execute(mm, "ringbuf_read zz 10");
    ck_assert_str_eq(out, "ringbuf_read: chardev 'zz' not found\r\n");
    clear();
    monitor_execute(mm, "ringbuf_read rb lots");
    ck_assert_str_eq(out, "ringbuf_read: 'lots' is not a size\r\n");
    monitor_free(mm);
    chardevs_close_all();
    machine_free(m);
    options_free(&o);
}
END_TEST

/* ---- the network's commands, on a machine built from a command line */

static Options net_opts;

static Machine *net_machine(const char *first, ...)
{
    char *argv[32];
    va_list ap;
    va_start(ap, first);
    int argc = wb_argv(argv, 32, first, ap);
    va_end(ap);
    char err[512];
    ck_assert_msg(options_parse(argc, argv, &net_opts, err, sizeof err) == 0, "%s", err);
    MachineConfig cfg = net_opts.cfg;
    cfg.ram_size = 16 << 20;
    Machine *m = machine_new_pc(&cfg, NULL);
    ck_assert_ptr_nonnull(m);
    ck_assert_msg(net_build_all(m, &net_opts.net, &net_opts.devices, net_opts.nodefaults, err,
                                sizeof err) == 0, "%s", err);
    return m;
}

static void net_machine_free(Machine *m)
{
    net_cleanup(m);
    machine_free(m);
    options_free(&net_opts);
}

/* A TCP port on 127.0.0.1 that nothing listens on right now. */
static int free_port(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    ck_assert_int_eq(bind(s, (struct sockaddr *)&a, sizeof a), 0);
    ck_assert_int_eq(getsockname(s, (struct sockaddr *)&a, &len), 0);
    close(s);
    return ntohs(a.sin_port);
}

static bool can_connect(int port)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bool ok = connect(s, (struct sockaddr *)&a, sizeof a) == 0;
    close(s);
    return ok;
}

START_TEST(test_net_info_and_set_link)
{
    Machine *m = net_machine("-kernel", "x", "-netdev", "user,id=u0", "-device",
                             "e1000,netdev=u0,id=nic0", NULL);
    Monitor *mm = monitor_new(m, NULL, capture, NULL);
    clear();
    monitor_execute(mm, "info network");
    ck_assert_str_eq(out, "nic0: index=0,type=nic,model=e1000,macaddr=52:54:00:12:34:56\r\n"
                          " \\ u0: index=0,type=user,net=10.0.2.0,restrict=off\r\n");
    NetClient *nic = net_client_find(m, "nic0"), *u0 = net_client_find(m, "u0");
    clear();
    monitor_execute(mm, "set_link nic0 off");
    ck_assert_str_eq(out, "");
    ck_assert(nic->link_down && !u0->link_down);
    monitor_execute(mm, "set_link nic0 on");
    ck_assert(!nic->link_down && !u0->link_down);
    /* a backend's link is its NIC's cable too */
    monitor_execute(mm, "set_link u0 off");
    ck_assert(nic->link_down && u0->link_down);
    monitor_execute(mm, "set_link u0 on");
    ck_assert(!nic->link_down && !u0->link_down);
    clear();
    monitor_execute(mm, "set_link nic0 down");
    ck_assert_str_eq(out, "Expected 'on' or 'off'\r\n");
    ck_assert(!nic->link_down);
    clear();
    monitor_execute(mm, "set_link zz off");
    ck_assert_str_eq(out, "Error: Device 'zz' not found\r\n");
    monitor_free(mm);
    net_machine_free(m);
}
END_TEST

START_TEST(test_net_hostfwd)
{
    Machine *m = net_machine("-kernel", "x", "-nic", "user,id=u0,model=e1000", "-netdev",
                             "hubport,id=hp,hubid=1", NULL);
    Monitor *mm = monitor_new(m, NULL, capture, NULL);
    int port = free_port();
    char cmd[160], want[160];
    ck_assert(!can_connect(port));
    clear();
    snprintf(cmd, sizeof cmd, "hostfwd_add tcp:127.0.0.1:%d-:22", port);
    monitor_execute(mm, cmd);
    ck_assert_str_eq(out, "");
    ck_assert(can_connect(port));
    clear();
    monitor_execute(mm, "info usernet");
    ck_assert_msg(!strncmp(out, "Hub -1 (u0):\r\n  Protocol[State]", 31), "%s", out);
    snprintf(want, sizeof want, "TCP[HOST_FORWARD]");
    ck_assert_msg(strstr(out, want), "%s", out);
    snprintf(want, sizeof want, "127.0.0.1 %5d", port);
    ck_assert_msg(strstr(out, want), "%s", out);
    ck_assert_msg(strstr(out, "10.0.2.15    22"), "%s", out);
    /* the same rule twice: the port is taken */
    clear();
    snprintf(cmd, sizeof cmd, "hostfwd_add u0 tcp:127.0.0.1:%d-:22", port);
    monitor_execute(mm, cmd);
    snprintf(want, sizeof want, "Could not set up host forwarding rule 'tcp:127.0.0.1:%d-:22'\r\n",
             port);
    ck_assert_str_eq(out, want);
    clear();
    snprintf(cmd, sizeof cmd, "hostfwd_remove u0 tcp:127.0.0.1:%d", port);
    monitor_execute(mm, cmd);
    snprintf(want, sizeof want, "host forwarding rule for tcp:127.0.0.1:%d removed\r\n", port);
    ck_assert_str_eq(out, want);
    ck_assert(!can_connect(port));
    clear();
    snprintf(cmd, sizeof cmd, "hostfwd_remove tcp:127.0.0.1:%d", port);
    monitor_execute(mm, cmd);
    snprintf(want, sizeof want, "host forwarding rule for tcp:127.0.0.1:%d not found\r\n", port);
    ck_assert_str_eq(out, want);
    clear();
    monitor_execute(mm, "hostfwd_remove sctp:1.2.3.4:5");
    ck_assert_str_eq(out, "invalid format\r\n");
    clear();
    monitor_execute(mm, "hostfwd_add tcp:127.0.0.1:99999-:22");
    ck_assert_str_eq(out, "Invalid host forwarding rule 'tcp:127.0.0.1:99999-:22' (expected "
                          "[tcp|udp]:[hostaddr]:hostport-[guestaddr]:guestport)\r\n");
    clear();
    monitor_execute(mm, "hostfwd_add hp tcp::5555-:22");
    ck_assert_str_eq(out, "invalid netdev id 'hp'\r\n");
    clear();
    monitor_execute(mm, "hostfwd_add e1000.0 tcp::5555-:22"); /* a NIC, not a netdev */
    ck_assert_str_eq(out, "unrecognized netdev id 'e1000.0'\r\n");
    clear();
    monitor_execute(mm, "hostfwd_add zz tcp::5555-:22");
    ck_assert_str_eq(out, "unrecognized netdev id 'zz'\r\n");
    monitor_free(mm);
    net_machine_free(m);

    m = net_machine("-kernel", "x", "-nic", "none", NULL);
    mm = monitor_new(m, NULL, capture, NULL);
    clear();
    monitor_execute(mm, "hostfwd_add tcp::5555-:22");
    ck_assert_str_eq(out, "user mode network stack not in use\r\n");
    clear();
    monitor_execute(mm, "info usernet");
    ck_assert_str_eq(out, "");
    monitor_free(mm);
    net_machine_free(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("monitor");
    TCase *tc = tcase_create("dispatch");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_dispatch);
    tcase_add_test(tc, test_errors_one_line);
    tcase_add_test(tc, test_help_and_info);
    tcase_add_test(tc, test_line_editing);
    tcase_add_test(tc, test_real_tables);
    suite_add_tcase(s, tc);
    TCase *tc2 = tcase_create("commands");
    tcase_add_test(tc2, test_machine_commands);
    tcase_add_test(tc2, test_chardev_commands);
    tcase_add_test(tc2, test_net_info_and_set_link);
    tcase_add_test(tc2, test_net_hostfwd);
    suite_add_tcase(s, tc2);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
