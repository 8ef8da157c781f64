/* -object filter-dump,id=ID,netdev=NETDEV,file=FILE[,maxlen=N][,queue=all|rx|tx]
 * [,status=on|off][,position=head|tail][,insert=behind|before]: every frame
 * passing through the netdev, both ways by default, into FILE in the
 * classic pcap format (tcpdump's, which tshark and wireshark read):
 * Ethernet link type, at most maxlen bytes of each frame (65536 by
 * default, as in QEMU). The timestamps come from the machine's virtual
 * clock, not the host's, so two runs with -icount shift=N,sleep=off give
 * byte-identical files. Each frame is written when it passes (one write
 * call), so the file is complete up to the last frame even if wirebox is
 * killed. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "hw/bytes.h"
#include "net/net.h"
#include "ui/object.h"

#define PCAP_MAGIC 0xa1b2c3d4u /* microsecond timestamps */
#define PCAP_LINKTYPE_ETHERNET 1
#define DUMP_DEFAULT_MAXLEN 65536

typedef struct DumpConf {
    const char *netdev, *file;
    uint32_t maxlen;
    int dirs;
    bool enabled, head;
} DumpConf;

typedef struct Dump {
    NetFilter f;
    int fd;
    uint32_t maxlen;
    char *file;
    char *id;
    bool failed;
} Dump;

static void dump_describe(NetFilter *f, char *buf, size_t len)
{
    Dump *d = f->opaque;
    snprintf(buf, len, ",queue=%s,status=%s,maxlen=%u,file=%s",
             f->dirs == NET_FILTER_ALL ? "all" : f->dirs == NET_FILTER_RX ? "rx" : "tx",
             f->enabled ? "on" : "off", d->maxlen, d->file);
}

static void dump_frame(NetFilter *f, NetClient *nc, int dir, const uint8_t *buf, size_t len)
{
    Dump *d = f->opaque;
    if (d->fd < 0 || d->failed)
        return;
    uint64_t ns = clock_ns(nc->m);
    uint32_t caplen = len < d->maxlen ? (uint32_t)len : d->maxlen;
    uint8_t h[16];
    st32le(h, (uint32_t)(ns / 1000000000ull));
    st32le(h + 4, (uint32_t)(ns % 1000000000ull / 1000));
    st32le(h + 8, caplen);
    st32le(h + 12, (uint32_t)len);
    struct iovec iov[2] = {{h, sizeof h}, {(void *)buf, caplen}};
    ssize_t w = writev(d->fd, iov, 2);
    if (w != (ssize_t)(sizeof h + caplen)) {
        /* A disk that fills up stops the capture, not the guest. */
        wb_log("filter-dump: writing %s failed (%s); capture stopped", d->file,
               w < 0 ? strerror(errno) : "short write");
        d->failed = true;
    }
}

static void dump_cleanup(NetFilter *f)
{
    Dump *d = f->opaque;
    if (d->fd >= 0)
        close(d->fd);
    free(d->file);
    free(d->id);
    free(d);
}

static const ObjectOption dump_options[] = {
    {"netdev", "the id of the netdev whose frames are captured (required)"},
    {"file", "the pcap file to write (required)"},
    {"maxlen", "N: at most N bytes of each frame (65536)"},
    {"queue", "all|rx|tx: both directions, what the netdev receives (the guest sends), or "
              "what it sends (all)"},
    {"status", "on|off: capture or not (on)"},
    {"position", "head|tail: where among the netdev's filters (tail)"},
    {"insert", "behind|before: next to position (behind)"},
    {NULL},
};

static int dump_parse(Opts *o, const char *origin, void **conf, char *err, size_t errlen)
{
    DumpConf *c = wb_calloc(1, sizeof *c);
    const char *v;
    c->netdev = opts_get(o, "netdev");
    c->file = opts_get(o, "file");
    c->maxlen = DUMP_DEFAULT_MAXLEN;
    c->dirs = NET_FILTER_ALL;
    c->enabled = true;
    if (!c->netdev) {
        free(c);
        return wb_errf(err, errlen, "%s: parameter 'netdev' is missing", origin);
    }
    if (!c->file || !*c->file) {
        free(c);
        return wb_errf(err, errlen, "%s: parameter 'file' is missing", origin);
    }
    uint64_t n;
    if ((v = opts_get(o, "maxlen")) && (opt_parse_uint(v, 0x7fffffff, &n) || n == 0)) {
        free(c);
        return wb_errf(err, errlen, "%s: maxlen=%s: expected a number of bytes from 1 to "
                       "2147483647", origin, v);
    }
    if (v)
        c->maxlen = (uint32_t)n;
    if ((v = opts_get(o, "queue"))) {
        if (!strcmp(v, "all"))
            c->dirs = NET_FILTER_ALL;
        else if (!strcmp(v, "rx"))
            c->dirs = NET_FILTER_RX;
        else if (!strcmp(v, "tx"))
            c->dirs = NET_FILTER_TX;
        else {
            free(c);
            return wb_errf(err, errlen, "%s: queue=%s: expected all, rx or tx", origin, v);
        }
    }
    if ((v = opts_get(o, "status")) && opt_parse_bool(v, &c->enabled)) {
        free(c);
        return wb_errf(err, errlen, "%s: status=%s: expected on or off", origin, v);
    }
    if ((v = opts_get(o, "position"))) {
        if (!strcmp(v, "head"))
            c->head = true;
        else if (strcmp(v, "tail")) {
            free(c);
            return wb_errf(err, errlen, "%s: position=%s: head or tail (a position next to "
                           "another filter is not supported by wirebox yet)", origin, v);
        }
    }
    if ((v = opts_get(o, "insert")) && strcmp(v, "behind") && strcmp(v, "before")) {
        free(c);
        return wb_errf(err, errlen, "%s: insert=%s: expected behind or before", origin, v);
    }
    *conf = c;
    return 0;
}

static const char *dump_netdev_ref(const void *conf)
{
    return ((const DumpConf *)conf)->netdev;
}

static int dump_create(Machine *m, const char *id, const void *conf, char *err, size_t errlen)
{
    const DumpConf *c = conf;
    NetClient *nc = net_client_find(m, c->netdev);
    if (!nc || nc->info->kind == NET_CLIENT_NIC)
        return wb_errf(err, errlen, "netdev '%s' not found", c->netdev);
    int fd = open(c->file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return wb_errf(err, errlen, "cannot write %s: %s", c->file, strerror(errno));
    uint8_t h[24];
    st32le(h, PCAP_MAGIC);
    st16le(h + 4, 2); /* version 2.4 */
    st16le(h + 6, 4);
    st32le(h + 8, 0);  /* timestamps in UTC */
    st32le(h + 12, 0); /* accuracy */
    st32le(h + 16, c->maxlen);
    st32le(h + 20, PCAP_LINKTYPE_ETHERNET);
    if (write(fd, h, sizeof h) != (ssize_t)sizeof h) {
        int e = errno;
        close(fd);
        return wb_errf(err, errlen, "cannot write %s: %s", c->file, strerror(e));
    }
    Dump *d = wb_calloc(1, sizeof *d);
    d->fd = fd;
    d->maxlen = c->maxlen;
    d->file = wb_strdup(c->file);
    d->id = wb_strdup(id);
    d->f.id = d->id;
    d->f.type = "filter-dump";
    d->f.describe = dump_describe;
    d->f.dirs = c->dirs;
    d->f.enabled = c->enabled;
    d->f.frame = dump_frame;
    d->f.cleanup = dump_cleanup;
    d->f.opaque = d;
    if (c->head) {
        d->f.next = nc->filters;
        nc->filters = &d->f;
    } else {
        net_filter_add(nc, &d->f);
    }
    return 0;
}

const ObjectType net_filter_dump_object = {
    .type = "filter-dump",
    .desc = "capture a netdev's frames into a pcap file (virtual-clock timestamps)",
    .options = dump_options,
    .parse = dump_parse,
    .free_conf = free,
    .netdev_ref = dump_netdev_ref,
    .create = dump_create,
};
