#!/usr/bin/env python3
"""Host side of tools/bench-net (stdlib only). Times are wall-clock
microseconds; each command prints one result line and exits 0 (ok) or 1.

  bench-net-helper.py free-port
      print a free TCP port on 127.0.0.1
  bench-net-helper.py recv BYTES SECONDS
      listen on a free port of 127.0.0.1 and print "port N" at once; accept one
      connection and read until the peer closes. Prints
      "recv ok BYTES MICROSECONDS" (from the first byte to the BYTES-th) or
      "recv FAIL REASON"; the bytes must all be zero (the guest sends
      /dev/zero) and exactly BYTES of them.
  bench-net-helper.py send PORT BYTES SECONDS
      connect to 127.0.0.1:PORT, send BYTES zero bytes, shut down the sending
      side and wait for the peer to close. Prints "send ok BYTES MICROSECONDS"
      (from the first byte sent to the peer's close) or "send FAIL REASON".
SECONDS bounds the whole command.
"""
import socket
import sys
import time

CHUNK = 1 << 20


def now_us():
    return time.monotonic_ns() // 1000


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    print(s.getsockname()[1])
    s.close()
    return 0


def fail(what, reason):
    print("%s FAIL %s" % (what, reason), flush=True)
    return 1


def recv(nbytes, seconds):
    deadline = time.monotonic() + seconds
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(1)
    print("port %d" % ls.getsockname()[1], flush=True)
    ls.settimeout(seconds)
    try:
        s, _ = ls.accept()
    except socket.timeout:
        return fail("recv", "no-connection-within-%ds" % seconds)
    ls.close()
    buf = bytearray(CHUNK)
    total = 0
    nonzero = False
    t_first = t_done = None
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return fail("recv", "timeout-after-%d-bytes" % total)
            s.settimeout(left)
            n = s.recv_into(buf)
            if n == 0:
                break
            if t_first is None:
                t_first = now_us()
            total += n
            if t_done is None and total >= nbytes:
                t_done = now_us()
            if not nonzero and buf.count(0, 0, n) != n:
                nonzero = True
    except OSError as e:
        return fail("recv", "%s-after-%d-bytes" % (type(e).__name__, total))
    finally:
        s.close()
    if total != nbytes:
        return fail("recv", "got-%d-of-%d-bytes" % (total, nbytes))
    if nonzero:
        return fail("recv", "data-not-zero")
    print("recv ok %d %d" % (total, max(t_done - t_first, 1)), flush=True)
    return 0


def send(port, nbytes, seconds):
    deadline = time.monotonic() + seconds
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=seconds)
    except OSError as e:
        return fail("send", "connect-%s" % type(e).__name__)
    data = memoryview(bytes(CHUNK))
    sent = 0
    t0 = now_us()
    try:
        while sent < nbytes:
            left = deadline - time.monotonic()
            if left <= 0:
                return fail("send", "timeout-after-sending-%d-bytes" % sent)
            s.settimeout(left)
            sent += s.send(data[:min(CHUNK, nbytes - sent)])
        s.shutdown(socket.SHUT_WR)
        extra = 0
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return fail("send", "timeout-waiting-for-close")
            s.settimeout(left)
            n = len(s.recv(65536))
            if n == 0:
                break
            extra += n
        t1 = now_us()
    except OSError as e:
        return fail("send", "%s-after-sending-%d-bytes" % (type(e).__name__, sent))
    finally:
        s.close()
    if extra:
        return fail("send", "peer-sent-%d-bytes" % extra)
    print("send ok %d %d" % (sent, max(t1 - t0, 1)), flush=True)
    return 0


def main(argv):
    try:
        if len(argv) == 2 and argv[1] == "free-port":
            return free_port()
        if len(argv) == 4 and argv[1] == "recv":
            return recv(int(argv[2]), int(argv[3]))
        if len(argv) == 5 and argv[1] == "send":
            return send(int(argv[2]), int(argv[3]), int(argv[4]))
    except ValueError:
        pass
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
