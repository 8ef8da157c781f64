/* libFuzzer target: the stream framing of -netdev stream and -netdev socket
 * (net/netsock.c): QEMU's format, each Ethernet frame preceded by its
 * length as a 4-byte big-endian number, arriving from a hostile peer in
 * arbitrary pieces.
 *
 * The backend gets one end of a unix socketpair as a connected stream
 * (addr.type=fd); the target is the peer on the other end and a NIC on the
 * netdev side. The input is a program:
 *   raw bytes into the socket (any piece, any content), well-formed frames
 *   of a given length cut into up to 64 pieces of a given size, a length header
 *   alone, loop iterations (the backend's poll hook, fill + poll without
 *   waiting + dispatch), the NIC stopping and resuming taking frames (flow
 *   control), and frames from the guest towards the peer.
 * The target keeps every byte the socket accepted and parses it as the
 * format says. Invariants: each frame the NIC gets is exactly the next
 * frame of that stream (its length and bytes; empty frames carry nothing
 * and are skipped); no frame is delivered past a length above the
 * documented limit (NETSOCK_MAX_FRAME), and such a length ends the
 * connection; after a final drain every complete frame before it has been
 * delivered; the NIC is never handed a frame while it says it cannot take
 * one; what the backend writes towards the peer is well framed and each
 * frame is one the guest sent, whole, in order (frames may be dropped
 * while the connection is down or the queue is full, never reordered). */
/* fuzz-models: net/netsock.c */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <sys/socket.h>

#include "fuzz.h"

#include "hw/bytes.h"
#include "net/netsock.h"

#define MAX_OPS 512
#define RECORD_MAX (1u << 20) /* bytes the peer may send in one input */
#define DRAIN_ROUNDS 64

static Machine *m;
static NetClient *nic, *backend;
static PollHook *hook;
static int peer_fd = -1;
static bool nic_ready;

/* What the peer sent (the socket accepted), and how far the NIC got. */
static uint8_t *record;
static size_t rec_len, rec_pos;
static unsigned long delivered;

/* Guest frames: number n has length out_len(n), its first 4 bytes n, the
 * rest from pattern (as are the frames the peer sends, from an offset). */
static uint8_t pattern[4 + NETSOCK_MAX_FRAME + 256];
static uint32_t guest_sent, guest_next_seen;
static uint8_t out_rx[2 * (4 + NETSOCK_MAX_FRAME)];
static size_t out_rx_len;

FZ_HARNESS static size_t out_len(uint32_t n)
{
    static const size_t lens[8] = {60, 1514, 4, 9000, 64, 65536, 42, NETSOCK_MAX_FRAME};
    return lens[n % 8];
}


/* ---- The NIC */

static bool nic_can_receive(NetClient *nc)
{
    (void)nc;
    return nic_ready;
}

/* The next frame of the recorded stream: its length at *len and where its
 * bytes start; false if not all there. Skips empty frames. Reports a
 * length above the limit through *over. */
FZ_HARNESS static bool next_frame(size_t *pos, uint32_t *len, bool *over)
{
    *over = false;
    for (;;) {
        if (rec_len - *pos < 4)
            return false;
        uint32_t l = ld32be(record + *pos);
        if (l > NETSOCK_MAX_FRAME) {
            *over = true;
            return false;
        }
        if (rec_len - *pos - 4 < l)
            return false;
        if (l) {
            *len = l;
            return true;
        }
        *pos += 4;
    }
}

FZ_HARNESS static ssize_t nic_receive(NetClient *nc, const uint8_t *buf, size_t len)
{
    (void)nc;
    FUZZ_CHECK(nic_ready, "a frame of %zu bytes handed to a NIC that cannot take it", len);
    uint32_t want;
    bool over;
    size_t pos = rec_pos;
    FUZZ_CHECK(next_frame(&pos, &want, &over),
               "frame %lu (%zu bytes) delivered, but the stream from byte %zu holds %s",
               delivered, len, rec_pos,
               over ? "a length beyond the limit" : "no complete frame");
    FUZZ_CHECK(len == want, "frame %lu: %zu bytes delivered, the stream says %u", delivered, len,
               want);
    FUZZ_CHECK(!memcmp(buf, record + pos + 4, len), "frame %lu: bytes differ from the stream",
               delivered);
    rec_pos = pos + 4 + len;
    delivered++;
    return (ssize_t)len;
}

static const NetClientInfo nic_info = {
    .kind = NET_CLIENT_NIC,
    .type = "fuzz-nic",
    .can_receive = nic_can_receive,
    .receive = nic_receive,
};

/* ---- The peer's side of the socket */

/* One iteration of the loop for the backend: fill, poll without waiting,
 * dispatch. */
static void pump(void)
{
    struct pollfd pfd[8];
    uint64_t timeout = UINT64_MAX;
    int n = hook->fill(hook->opaque, pfd, 8, &timeout);
    int r = n > 0 ? poll(pfd, (nfds_t)n, 0) : 0;
    hook->dispatch(hook->opaque, pfd, n, r < 0);
}

/* What the backend wrote towards the peer: whole frames, each one the
 * guest sent, in order. */
FZ_HARNESS static void peer_read(void)
{
    if (peer_fd < 0)
        return;
    for (;;) {
        ssize_t n = recv(peer_fd, out_rx + out_rx_len, sizeof out_rx - out_rx_len, MSG_DONTWAIT);
        if (n <= 0)
            break;
        out_rx_len += (size_t)n;
        size_t at = 0;
        while (out_rx_len - at >= 4) {
            uint32_t l = ld32be(out_rx + at);
            FUZZ_CHECK(l >= 4 && l <= NETSOCK_MAX_FRAME, "the backend framed %u bytes", l);
            if (out_rx_len - at - 4 < l)
                break;
            const uint8_t *f = out_rx + at + 4;
            uint32_t seq = ld32le(f);
            FUZZ_CHECK(seq >= guest_next_seen && seq < guest_sent,
                       "guest frame %u out of order (next possible %u, %u sent)", seq,
                       guest_next_seen, guest_sent);
            FUZZ_CHECK(l == out_len(seq), "guest frame %u framed as %u bytes, it had %zu", seq, l,
                       out_len(seq));
            FUZZ_CHECK(!memcmp(f + 4, pattern + 4, l - 4), "guest frame %u: bytes differ", seq);
            guest_next_seen = seq + 1;
            at += 4 + l;
        }
        memmove(out_rx, out_rx + at, out_rx_len - at);
        out_rx_len -= at;
        if (out_rx_len == sizeof out_rx)
            break;
    }
}

/* Bytes into the socket, as many as it takes now (pumping the backend in
 * between); each byte it takes is recorded. */
static void peer_send(const uint8_t *p, size_t len)
{
    if (peer_fd < 0)
        return;
    if (len > RECORD_MAX - rec_len)
        len = RECORD_MAX - rec_len;
    for (int tries = 0; len && tries < 8; tries++) {
        ssize_t w = send(peer_fd, p, len, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (w < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                return; /* the backend closed the connection */
            pump();
            peer_read();
            continue;
        }
        memcpy(record + rec_len, p, (size_t)w);
        rec_len += (size_t)w;
        p += w;
        len -= (size_t)w;
    }
}


/* A frame: length header and a pattern, cut into pieces of piece bytes. */
static void op_frame(FuzzIn *in)
{
    static uint8_t f[4 + NETSOCK_MAX_FRAME];
    uint8_t how = fz_u8(in);
    uint32_t len = fz_u16(in);
    if (how & 1)
        len += 65536; /* up to and past the limit */
    size_t piece = (size_t)fz_u16(in) + 1;
    if (len > NETSOCK_MAX_FRAME)
        len = (how & 2) ? NETSOCK_MAX_FRAME + (len & 0xFF) : NETSOCK_MAX_FRAME;
    st32be(f, len);
    size_t total = 4 + len;
    if (total > sizeof f)
        total = sizeof f; /* an oversized header: its bytes never matter */
    memcpy(f + 4, pattern + how, total - 4);
    if (total / piece > 64)
        piece = total / 64 + 1; /* at most 64 pieces (sends) a frame */
    for (size_t at = 0; at < total; at += piece) {
        peer_send(f + at, total - at < piece ? total - at : piece);
        if (how & 4)
            pump();
    }
}

static void setup(void)
{
    m = fz_machine(1 << 16);
    int sv[2];
    FUZZ_CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0, "socketpair: %s",
               strerror(errno));
    NetSockConf c;
    memset(&c, 0, sizeof c);
    c.mode = NETSOCK_CONNECTED;
    c.addr.type = NETADDR_FD;
    c.addr.fd = sv[0];
    c.info_prefix = "stream: ";
    char err[256] = "";
    int before = m->npoll_hooks;
    backend = netsock_create(m, "stream", "s0", &c, err, sizeof err);
    FUZZ_CHECK(backend, "netsock_create: %s", err);
    FUZZ_CHECK(m->npoll_hooks > before || m->npoll_hooks > 0, "no poll hook");
    hook = &m->poll_hooks[m->npoll_hooks - 1];
    peer_fd = sv[1];
    nic = net_client_new(m, &nic_info, "nic0", NULL);
    net_client_set_peer(nic, backend);
    nic_ready = true;
    if (!record)
        record = malloc(RECORD_MAX);
    rec_len = rec_pos = 0;
    delivered = 0;
    guest_sent = guest_next_seen = 0;
    out_rx_len = 0;
}

static void teardown(void)
{
    if (peer_fd >= 0)
        close(peer_fd);
    peer_fd = -1;
    net_cleanup(m);
    machine_free(m);
    m = NULL;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fz_quiet_logs();
    for (size_t i = 0; i < sizeof pattern; i++)
        pattern[i] = (uint8_t)(i * 7 + i / 251);
    return 0;
}

enum { OP_BYTES, OP_FRAME, OP_HEADER, OP_PUMP, OP_NIC, OP_GUEST, NOPS };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FuzzIn in = fz_in(data, size);
    setup();
    int ops = 0;
    for (; ops < MAX_OPS && !fz_done(&in); ops++) {
        switch (fz_u8(&in) % NOPS) {
        case OP_BYTES: {
            uint8_t buf[256];
            size_t n = fz_bytes(&in, buf, (size_t)fz_u8(&in) + 1);
            peer_send(buf, n);
            break;
        }
        case OP_FRAME:
            op_frame(&in);
            break;
        case OP_HEADER: {
            uint8_t h[4];
            st32be(h, fz_u32(&in));
            peer_send(h, 4);
            break;
        }
        case OP_PUMP: {
            int n = fz_u8(&in) % 4 + 1;
            for (int i = 0; i < n; i++)
                pump();
            peer_read();
            break;
        }
        case OP_NIC:
            nic_ready = fz_u8(&in) & 1;
            if (nic_ready)
                net_flush_queue(backend); /* as a NIC does when it has room again */
            break;
        case OP_GUEST: {
            uint8_t k = fz_u8(&in) % 8 + 1;
            static uint8_t f[NETSOCK_MAX_FRAME];
            for (uint8_t j = 0; j < k; j++) {
                uint32_t seq = guest_sent++;
                memcpy(f, pattern, out_len(seq));
                st32le(f, seq);
                net_send(nic, f, out_len(seq));
            }
            peer_read();
            break;
        }
        }
        FUZZ_CHECK(nic->queue_len <= NET_QUEUE_MAX && backend->queue_len <= NET_QUEUE_MAX,
                   "queues of %d and %d frames", nic->queue_len, backend->queue_len);
    }
    /* Drain: the NIC takes everything; every complete frame before an
     * oversized length arrives, and such a length ended the connection. */
    nic_ready = true;
    net_flush_queue(backend);
    for (int i = 0; i < DRAIN_ROUNDS; i++) {
        pump();
        peer_read();
    }
    uint32_t len;
    bool over;
    size_t pos = rec_pos;
    bool more = next_frame(&pos, &len, &over);
    FUZZ_CHECK(!more, "frame at byte %zu (%u bytes) never delivered (%lu were)", pos, len,
               delivered);
    if (over)
        FUZZ_CHECK(!netsock_connected(backend),
                   "a length beyond the limit at byte %zu left the connection up", pos);
    if (fz_verbose())
        fprintf(stderr, "fuzz_stream: %d operations, %zu bytes sent, %lu frames delivered, %u "
                "guest frames (%u seen)%s\n", ops, rec_len, delivered, guest_sent,
                guest_next_seen, netsock_connected(backend) ? "" : ", disconnected");
    teardown();
    return 0;
}
