#!/usr/bin/env python3
"""Host-side helpers for the networking integration tests (stdlib only).

  net-helper.py free-port
      print a free TCP port on 127.0.0.1
  net-helper.py wait-port PORT SECONDS
      wait until something accepts connections on 127.0.0.1:PORT
  net-helper.py echo-client LOG PORT SECONDS
      wait until LOG shows "WIREBOX-LISTENING" (LOG "-": do not wait), connect
      to 127.0.0.1:PORT,
      send 1 MiB of random bytes, half-close, read the echo until EOF;
      prints "echo ok BYTES" or "echo FAIL REASON" (exit status 0/1)
  net-helper.py slow-sink PORT BYTES DELAY OUT
      listen on 127.0.0.1:PORT (connections that send nothing, such as
      wait-port's, are skipped); on the first data of a connection, read
      nothing for DELAY seconds (a slow host), then read BYTES zero bytes,
      answer "WB-FWD-BACK BYTES" and write "sink ok BYTES" (or "sink FAIL
      REASON") to OUT
  net-helper.py dns-servers DIR SECONDS
      two DNS servers on 127.0.0.1: a bad one that REFUSES every query and a
      good one that answers wirebox-test.example A 192.0.2.123, each over UDP
      and TCP on one port. Writes DIR/resolv.conf (the bad one first, with
      wirebox's IPV4:PORT syntax), DIR/ready, and after every query
      DIR/counts ("bad N good M", UDP) and DIR/counts-tcp (the same over TCP).
"""
import os
import select
import socket
import struct
import sys
import threading
import time

TEST_NAME = "wirebox-test.example"
TEST_ADDR = bytes([192, 0, 2, 123])


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    print(s.getsockname()[1])
    s.close()


def wait_port(port, seconds):
    deadline = time.time() + float(seconds)
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", int(port)), timeout=1).close()
            return 0
        except OSError:
            time.sleep(0.1)
    print("nothing listens on 127.0.0.1:%s" % port)
    return 1


def echo_client(log, port, seconds):
    deadline = time.time() + float(seconds)
    while log != "-" and time.time() < deadline:
        try:
            with open(log, "rb") as f:
                if b"WIREBOX-LISTENING" in f.read():
                    break
        except FileNotFoundError:
            pass
        time.sleep(0.2)
    else:
        if log != "-":
            print("echo FAIL guest-never-listened")
            return 1
    data = os.urandom(1 << 20)
    s = socket.create_connection(("127.0.0.1", int(port)), timeout=120)

    def send():
        try:
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    t = threading.Thread(target=send)
    t.start()
    got = bytearray()
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            got += chunk
    except OSError as e:
        print("echo FAIL %s after %d bytes" % (e, len(got)))
        return 1
    t.join()
    s.close()
    if bytes(got) != data:
        first = next((i for i in range(min(len(got), len(data))) if got[i] != data[i]), None)
        print("echo FAIL got %d bytes, differ at %s" % (len(got), first))
        return 1
    print("echo ok %d" % len(got))
    return 0


def slow_sink(port, nbytes, delay, out):
    nbytes = int(nbytes)
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)  # the host buffers little
    ls.bind(("127.0.0.1", int(port)))
    ls.listen(4)

    def result(text):
        with open(out + ".tmp", "w") as f:
            f.write(text + "\n")
        os.rename(out + ".tmp", out)

    while True:
        c, _ = ls.accept()
        c.settimeout(600)
        try:
            first = c.recv(65536)
        except OSError:
            first = b""
        if not first:
            c.close()
            continue
        time.sleep(float(delay))
        got, bad = len(first), first.count(0) != len(first)
        try:
            while got < nbytes:
                chunk = c.recv(min(1 << 20, nbytes - got))
                if not chunk:
                    break
                bad = bad or chunk.count(0) != len(chunk)
                got += len(chunk)
        except OSError as e:
            result("sink FAIL %s after %d bytes" % (e, got))
            return 1
        if got != nbytes or bad:
            result("sink FAIL got %d bytes%s" % (got, ", not all zero" if bad else ""))
            return 1
        c.sendall(b"WB-FWD-BACK %d\n" % got)
        result("sink ok %d" % got)
        try:
            c.recv(1)  # until the far end closes
        except OSError:
            pass
        return 0


def parse_question(msg):
    """(name, qtype, end offset) of the first question, or None."""
    if len(msg) < 12 or struct.unpack(">H", msg[4:6])[0] < 1:
        return None
    labels, p = [], 12
    while p < len(msg):
        n = msg[p]
        if n == 0:
            p += 1
            break
        if n & 0xC0 or p + 1 + n > len(msg):
            return None
        labels.append(msg[p + 1:p + 1 + n].decode("ascii", "replace"))
        p += 1 + n
    if p + 4 > len(msg):
        return None
    qtype = struct.unpack(">H", msg[p:p + 2])[0]
    return ".".join(labels).lower(), qtype, p + 4


def answer(msg, good):
    q = parse_question(msg)
    if q is None:
        return None
    name, qtype, end = q
    head = bytearray(msg[:12])
    head[2] = 0x80 | (msg[2] & 0x79)  # QR, opcode, RD
    head[3] = 0x80                     # RA, NOERROR
    head[4:6] = b"\x00\x01"
    head[6:12] = b"\x00" * 6
    body = bytes(msg[12:end])
    if not good:
        head[3] = 0x80 | 5             # REFUSED
    elif name == TEST_NAME and qtype == 1:
        head[6:8] = b"\x00\x01"
        body += b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 60, 4) + TEST_ADDR
    elif name != TEST_NAME:
        head[3] = 0x80 | 3             # NXDOMAIN
    return bytes(head) + body


def bound_pair():
    """A UDP socket and a listening TCP socket on the same 127.0.0.1 port."""
    for _ in range(50):
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.bind(("127.0.0.1", 0))
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            t.bind(("127.0.0.1", u.getsockname()[1]))
        except OSError:
            u.close()
            t.close()
            continue
        t.listen(8)
        return u, t
    raise OSError("no free port for UDP and TCP")


def dns_servers(directory, seconds):
    bad, bad_tcp = bound_pair()
    good, good_tcp = bound_pair()
    with open(os.path.join(directory, "resolv.conf"), "w") as f:
        f.write("# written by net-helper.py: the first nameserver refuses everything\n")
        f.write("nameserver 127.0.0.1:%d\n" % bad.getsockname()[1])
        f.write("nameserver 127.0.0.1:%d\n" % good.getsockname()[1])
    counts = {bad: 0, good: 0, bad_tcp: 0, good_tcp: 0}
    lock = threading.Lock()

    def save():
        for name, line in (("counts", "bad %d good %d\n" % (counts[bad], counts[good])),
                           ("counts-tcp", "bad %d good %d\n" % (counts[bad_tcp], counts[good_tcp]))):
            tmp = os.path.join(directory, name + ".tmp")
            with open(tmp, "w") as f:
                f.write(line)
            os.replace(tmp, os.path.join(directory, name))

    def serve_tcp(listener, conn):
        # [len][query] after [len][query], each answered, until the peer closes.
        conn.settimeout(10)
        try:
            while True:
                head = conn.recv(2, socket.MSG_WAITALL)
                if len(head) < 2:
                    break
                n = struct.unpack(">H", head)[0]
                msg = conn.recv(n, socket.MSG_WAITALL) if n else b""
                if len(msg) < n:
                    break
                with lock:
                    counts[listener] += 1
                    save()
                reply = answer(msg, listener is good_tcp)
                if reply:
                    conn.sendall(struct.pack(">H", len(reply)) + reply)
        except OSError:
            pass
        conn.close()

    save()
    open(os.path.join(directory, "ready"), "w").close()
    deadline = time.time() + float(seconds)
    while time.time() < deadline:
        r, _, _ = select.select([bad, good, bad_tcp, good_tcp], [], [], 1.0)
        for s in r:
            if s in (bad_tcp, good_tcp):
                conn, _ = s.accept()
                threading.Thread(target=serve_tcp, args=(s, conn), daemon=True).start()
                continue
            msg, peer = s.recvfrom(4096)
            with lock:
                counts[s] += 1
                save()
            reply = answer(msg, s is good)
            if reply:
                s.sendto(reply, peer)
    return 0


def main(argv):
    if len(argv) >= 2 and argv[1] == "free-port":
        return free_port()
    if len(argv) == 4 and argv[1] == "wait-port":
        return wait_port(argv[2], argv[3])
    if len(argv) == 5 and argv[1] == "echo-client":
        return echo_client(argv[2], argv[3], argv[4])
    if len(argv) == 6 and argv[1] == "slow-sink":
        return slow_sink(argv[2], argv[3], argv[4], argv[5])
    if len(argv) == 4 and argv[1] == "dns-servers":
        return dns_servers(argv[2], argv[3])
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv) or 0)
