/* -object filter-dump (net/dump.c) and the object table (ui/object.c): the
 * pcap file it writes (header, records, virtual-clock timestamps, maxlen,
 * queue=, status=), and the errors, as the command line gives them. */
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"
#include "ui/object.h"
#include "ui/options.h"

static Machine *m;
static char dir[64];
static ObjectList objs;

static void setup(void)
{
    m = wb_test_machine(1 << 20);
    strcpy(dir, "/tmp/wb-dump.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    memset(&objs, 0, sizeof objs);
}

static void teardown(void)
{
    net_cleanup(m);
    machine_free(m);
    object_list_free(&objs);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}

static const NetClientInfo fake_backend = {.kind = NET_CLIENT_BACKEND, .type = "fakebe"};

/* A netdev n0 with a NIC as its peer, and -object TEXT on it. */
static void make(const char *text, NetClient **netdev, NetClient **nic, WbCapture *cap)
{
    static WbCapture nd_cap;
    static NetClientInfo nd_info;
    nd_info = wb_capture_info;
    nd_info.kind = NET_CLIENT_BACKEND;
    nd_info.type = "fakebe";
    memset(&nd_cap, 0, sizeof nd_cap);
    *netdev = net_client_new(m, &nd_info, "n0", &nd_cap);
    *nic = wb_capture_new(m, "nic", cap);
    net_client_set_peer(*nic, *netdev);
    char err[512];
    ck_assert_msg(object_list_add(&objs, text, err, sizeof err) == 0, "%s", err);
    ck_assert_msg(objects_create(m, &objs, err, sizeof err) == 0, "%s", err);
}

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    static uint8_t buf[1 << 20];
    *len = fread(buf, 1, sizeof buf, f);
    fclose(f);
    return buf;
}

START_TEST(test_pcap)
{
    char file[128], text[256];
    snprintf(file, sizeof file, "%s/a.pcap", dir);
    snprintf(text, sizeof text, "filter-dump,id=f0,netdev=n0,file=%s,maxlen=100", file);
    NetClient *nd, *nic;
    WbCapture cap;
    make(text, &nd, &nic, &cap);
    uint8_t f1[60], f2[300];
    memset(f1, 0x11, sizeof f1);
    memset(f2, 0x22, sizeof f2);
    /* The guest sends f1 at virtual 1.5 s; the netdev answers f2 at 2.000007 s. */
    m->cpu->icount = 1500000000ull;
    net_send(nic, f1, sizeof f1);
    m->cpu->icount = 2000007000ull;
    net_send(nd, f2, sizeof f2);
    ck_assert_int_eq(cap.n, 1); /* delivered as usual */
    /* A frame that goes nowhere (the netdev unplugged) is not captured. */
    net_client_set_peer(nic, NULL);
    net_send(nd, f2, sizeof f2);

    size_t len;
    const uint8_t *p = slurp(file, &len);
    ck_assert_uint_eq(len, 24 + 16 + 60 + 16 + 100);
    ck_assert_uint_eq(ld32le(p), 0xa1b2c3d4);
    ck_assert_uint_eq(ld16le(p + 4), 2);
    ck_assert_uint_eq(ld16le(p + 6), 4);
    ck_assert_uint_eq(ld32le(p + 16), 100); /* snaplen = maxlen */
    ck_assert_uint_eq(ld32le(p + 20), 1);   /* Ethernet */
    p += 24;
    ck_assert_uint_eq(ld32le(p), 1);
    ck_assert_uint_eq(ld32le(p + 4), 500000);
    ck_assert_uint_eq(ld32le(p + 8), 60);
    ck_assert_uint_eq(ld32le(p + 12), 60);
    ck_assert_mem_eq(p + 16, f1, 60);
    p += 16 + 60;
    ck_assert_uint_eq(ld32le(p), 2);
    ck_assert_uint_eq(ld32le(p + 4), 7);
    ck_assert_uint_eq(ld32le(p + 8), 100); /* cut to maxlen */
    ck_assert_uint_eq(ld32le(p + 12), 300);
    ck_assert_mem_eq(p + 16, f2, 100);
}
END_TEST

START_TEST(test_queue_and_status)
{
    char file[128], text[300];
    snprintf(file, sizeof file, "%s/rx.pcap", dir);
    snprintf(text, sizeof text, "filter-dump,id=f0,netdev=n0,file=%s,queue=rx", file);
    NetClient *nd, *nic;
    WbCapture cap;
    make(text, &nd, &nic, &cap);
    snprintf(text, sizeof text, "filter-dump,id=f1,netdev=n0,file=%s/off.pcap,status=off", dir);
    char err[256];
    ck_assert_int_eq(object_list_add(&objs, text, err, sizeof err), 0);
    /* create only the new one */
    ObjectList one = {.n = 1};
    one.obj[0] = objs.obj[1];
    ck_assert_msg(objects_create(m, &one, err, sizeof err) == 0, "%s", err);
    uint8_t f[64] = {1};
    net_send(nic, f, sizeof f); /* received by the netdev: rx */
    f[0] = 2;
    net_send(nd, f, sizeof f); /* sent by it: tx, not captured */
    size_t len;
    const uint8_t *p = slurp(file, &len);
    ck_assert_uint_eq(len, 24 + 16 + 64);
    ck_assert_int_eq(p[24 + 16], 1);
    snprintf(file, sizeof file, "%s/off.pcap", dir);
    slurp(file, &len);
    ck_assert_uint_eq(len, 24); /* status=off: the header only */
}
END_TEST

static void object_fails(const char *text, const char *msg)
{
    ObjectList l;
    memset(&l, 0, sizeof l);
    char err[512] = "";
    int rc = object_list_add(&l, text, err, sizeof err);
    if (rc == 0)
        rc = objects_create(m, &l, err, sizeof err);
    object_list_free(&l);
    ck_assert_msg(rc != 0, "'%s' was accepted", text);
    ck_assert_msg(strstr(err, msg) != NULL, "'%s': got '%s', expected '%s'", text, err, msg);
}

START_TEST(test_errors)
{
    net_client_new(m, &fake_backend, "n0", NULL);
    object_fails("filter-dump,netdev=n0,file=/tmp/x", "parameter 'id' is missing");
    object_fails("filter-dump,id=f,file=/tmp/x", "parameter 'netdev' is missing");
    object_fails("filter-dump,id=f,netdev=n0", "parameter 'file' is missing");
    object_fails("filter-dump,id=f,netdev=n0,file=/tmp/x,maxlen=0", "maxlen=0: expected a number");
    object_fails("filter-dump,id=f,netdev=n0,file=/tmp/x,queue=both", "queue=both: expected all");
    object_fails("filter-dump,id=f,netdev=n0,file=/tmp/x,status=maybe", "status=maybe");
    object_fails("filter-dump,id=f,netdev=n0,file=/tmp/x,colour=red", "invalid parameter 'colour'");
    object_fails("filter-dump,id=f,netdev=zz,file=/tmp/x", "netdev 'zz' not found");
    object_fails("filter-dump,id=f,netdev=n0,file=/nonexistent/dir/x.pcap",
                 "cannot write /nonexistent/dir/x.pcap: No such file or directory");
    object_fails("filter-mirror,id=m0,netdev=n0,outdev=c0",
                 "the object type 'filter-mirror' is not supported by wirebox yet");
    object_fails("bogus,id=b", "'bogus' is not an object type (supported: filter-dump)");
}
END_TEST

/* The command line: -object is an option, checked with the network options. */
START_TEST(test_command_line)
{
    Options o;
    char err[512];
    char *argv1[] = {"wirebox", "-netdev", "user,id=u0", "-object",
                     "filter-dump,id=f0,netdev=u9,file=x.pcap", NULL};
    ck_assert_int_eq(options_parse(5, argv1, &o, err, sizeof err), 1);
    ck_assert_str_eq(err, "-object filter-dump,id=f0,netdev=u9,file=x.pcap: netdev 'u9' not found");
    object_list_free(&o.objects);
    char *argv2[] = {"wirebox", "-object", "help", NULL};
    ck_assert_int_eq(options_parse(3, argv2, &o, err, sizeof err), 0);
    ck_assert(o.objects.help && !o.objects.help_type);
    char *argv3[] = {"wirebox", "-object", "filter-dump,help", NULL};
    ck_assert_int_eq(options_parse(3, argv3, &o, err, sizeof err), 0);
    ck_assert_ptr_eq(o.objects.help_type, object_type_find("filter-dump"));
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    object_list_print_help(&o.objects, f);
    fclose(f);
    ck_assert_msg(strstr(buf, "maxlen") && strstr(buf, "queue"), "%s", buf);
    free(buf);
    char *argv4[] = {"wirebox", "-object", "filter-dump,id=f0,netdev=u0,file=x.pcap",
                     "-object", "filter-dump,id=f0,netdev=u0,file=y.pcap", NULL};
    ck_assert_int_eq(options_parse(5, argv4, &o, err, sizeof err), 1);
    ck_assert_msg(strstr(err, "duplicate object id 'f0'") != NULL, "%s", err);
    object_list_free(&o.objects);
}
END_TEST

static Suite *dump_suite(void)
{
    Suite *s = suite_create("dump");
    TCase *tc = tcase_create("dump");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_pcap);
    tcase_add_test(tc, test_queue_and_status);
    tcase_add_test(tc, test_errors);
    tcase_add_test(tc, test_command_line);
    suite_add_tcase(s, tc);
    return s;
}

WB_TEST_MAIN(dump_suite)
