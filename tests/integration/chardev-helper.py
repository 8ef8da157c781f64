#!/usr/bin/env python3
"""Each chardev type carries a real guest's serial port where it says.

  chardev-helper.py WIREBOX KERNEL DIR [CASE...]

KERNEL is the Multiboot test kernel (guests/mbtest.S): with "echo" on its
command line it prints its banner, "MB: echo ready", then echoes COM1 input
upper-cased until a '.' ("MB: echo done"); with "exit=N" it then ends
through isa-debug-exit (wirebox's status 2N+1). Every case starts one
wirebox, talks to it the way a user would (a file, FIFOs, a pty, TCP and
Unix sockets, telnet, the monitor) and checks what came out and the exit
status. Prints "ok CASE" per case; exits 1 with "FAIL CASE: why" at the
first failure. Waits are for events; the limits (HANG seconds) only guard
against a hung run.
"""
import os
import re
import select
import socket
import subprocess
import sys
import time

HANG = 300
DEBUG_EXIT = ["-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]


class Fail(Exception):
    pass


class Wirebox:
    def __init__(self, wirebox, kernel, append, args, stdin=subprocess.DEVNULL):
        self.p = subprocess.Popen([wirebox, "-kernel", kernel, "-append", append,
                                   "-icount", "shift=0,sleep=off"] + DEBUG_EXIT + args,
                                  stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.err = b""

    def stderr_line(self, pattern, count=1):
        """Waits until stderr has count lines matching pattern; returns the last match."""
        deadline = time.monotonic() + HANG
        while time.monotonic() < deadline:
            ms = list(re.finditer(pattern, self.err.decode("latin-1")))
            if len(ms) >= count:
                return ms[count - 1]
            r, _, _ = select.select([self.p.stderr], [], [], 1)
            if r:
                d = os.read(self.p.stderr.fileno(), 4096)
                if not d:
                    break
                self.err += d
        raise Fail(f"no stderr line like {pattern!r}: {self.err.decode('latin-1')}")

    def wait(self, status):
        try:
            self.p.wait(timeout=HANG)
        except subprocess.TimeoutExpired:
            self.p.kill()
            raise Fail("wirebox did not exit")
        self.err += self.p.stderr.read()
        if self.p.returncode != status:
            raise Fail(f"exit status {self.p.returncode}, not {status}: "
                       f"{self.err.decode('latin-1')}")

    def kill(self):
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait()


def read_until(fd, want, got=b""):
    """Reads fd (a file descriptor or socket) until want is in what came."""
    deadline = time.monotonic() + HANG
    while want not in got:
        if time.monotonic() > deadline:
            raise Fail(f"{want!r} did not come; got {got!r}")
        r, _, _ = select.select([fd], [], [], 1)
        if not r:
            continue
        d = fd.recv(4096) if isinstance(fd, socket.socket) else os.read(fd, 4096)
        if not d:
            raise Fail(f"end of input before {want!r}; got {got!r}")
        got += d
    return got


def connect(addr, family=socket.AF_INET):
    deadline = time.monotonic() + HANG
    while True:
        s = socket.socket(family, socket.SOCK_STREAM)
        try:
            s.connect(addr)
            return s
        except OSError:
            s.close()
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


# ---------------------------------------------------------------- the cases

def case_file(wb, k, d):
    path = os.path.join(d, "com1.txt")
    w = Wirebox(wb, k, "exit=3", ["-display", "none", "-serial", f"file:{path}"])
    w.wait(7)
    text = open(path, encoding="latin-1").read()
    for want in ("MB: hello from multiboot (elf)", "MB: exit 0x3"):
        if want not in text:
            raise Fail(f"{path} lacks {want!r}: {text!r}")


def case_pipe(wb, k, d):
    base = os.path.join(d, "pipe")
    for s in (".in", ".out"):
        if os.path.exists(base + s):
            os.unlink(base + s)
        os.mkfifo(base + s)
    w = Wirebox(wb, k, "echo exit=4", ["-display", "none", "-serial", f"pipe:{base}"])
    try:
        out = os.open(base + ".out", os.O_RDONLY)
        inp = os.open(base + ".in", os.O_WRONLY)
        read_until(out, b"MB: echo ready")
        os.write(inp, b"through a pipe.")
        read_until(out, b"THROUGH A PIPE\nMB: echo done")
        w.wait(9)
    finally:
        w.kill()


def case_pty(wb, k, d):
    w = Wirebox(wb, k, "echo exit=5", ["-display", "none", "-serial", "pty"])
    try:
        m = w.stderr_line(r"char device redirected to (/dev/pts/\d+) \(label serial0\)")
        fd = os.open(m.group(1), os.O_RDWR | os.O_NOCTTY)
        import termios
        import tty
        # TCSANOW, not setraw's default TCSAFLUSH: that would throw away what
        # wirebox writes the moment it sees the reader, the kept output.
        tty.setraw(fd, termios.TCSANOW)
        read_until(fd, b"MB: echo ready")  # written before we opened it: kept
        os.write(fd, b"on a pty.")
        read_until(fd, b"ON A PTY")
        w.wait(11)
    finally:
        w.kill()


def case_tty(wb, k, d):
    """A host serial device (-serial /dev/...): here the far end of a pty pair."""
    import pty
    import tty
    master, slave = pty.openpty()
    tty.setraw(master)
    name = os.ttyname(slave)
    w = Wirebox(wb, k, "echo exit=12", ["-display", "none", "-serial", name])
    try:
        read_until(master, b"MB: echo ready")
        os.write(master, b"serial line.")
        read_until(master, b"SERIAL LINE\nMB: echo done")
        w.wait(25)
    finally:
        w.kill()
        os.close(master)
        os.close(slave)


def case_tcp_wait(wb, k, d):
    """server=on (wait=on): wirebox waits for the client; nothing is lost."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    w = Wirebox(wb, k, "echo exit=6", ["-display", "none", "-serial",
                                       f"tcp:127.0.0.1:{port},server=on"])
    try:
        w.stderr_line(r"waiting for connection on: disconnected:tcp:127\.0\.0\.1:%d,server=on"
                      % port)
        c = connect(("127.0.0.1", port))
        got = read_until(c, b"MB: echo ready")
        if b"MB: hello from multiboot" not in got:
            raise Fail(f"the boot output before 'echo ready' is missing: {got!r}")
        c.sendall(b"tcp.")
        read_until(c, b"TCP\nMB: echo done")
        w.wait(13)
        c.close()
    finally:
        w.kill()


def case_tcp_clients(wb, k, d):
    """A server with wait=off survives a client leaving; the next one gets
    the console, twice; a monitor command shows who is connected."""
    w = Wirebox(wb, k, "echo exit=7", ["-display", "none", "-chardev",
                                       "socket,id=con,host=127.0.0.1,port=0,server=on,wait=off",
                                       "-serial", "chardev:con"])
    try:
        port = int(w.stderr_line(r"chardev con: listening on 127\.0\.0\.1:(\d+)").group(1))
        for n, word in enumerate((b"first", b"second", b"third"), 1):
            c = connect(("127.0.0.1", port))
            c.sendall(word)
            read_until(c, word.upper())
            c.close()
            w.stderr_line(r"chardev con: the client left; waiting for the next one", n)
        c = connect(("127.0.0.1", port))
        c.sendall(b"last.")
        read_until(c, b"LAST\nMB: echo done")
        w.wait(15)
    finally:
        w.kill()


def case_tcp_client(wb, k, d):
    """server=off: wirebox connects to our listener."""
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(1)
    port = ls.getsockname()[1]
    w = Wirebox(wb, k, "echo exit=8", ["-display", "none", "-serial", f"tcp:127.0.0.1:{port}"])
    try:
        ls.settimeout(HANG)
        c, _ = ls.accept()
        read_until(c, b"MB: echo ready")
        c.sendall(b"client.")
        read_until(c, b"CLIENT\nMB: echo done")
        w.wait(17)
    finally:
        w.kill()
        ls.close()


def case_unix_telnet(wb, k, d):
    """A Unix socket with telnet=on: negotiation first, 0xFF doubled."""
    path = os.path.join(d, "con.sock")
    w = Wirebox(wb, k, "echo exit=9", ["-display", "none", "-chardev",
                                       f"socket,id=t,path={path},server=on,wait=off,telnet=on",
                                       "-serial", "chardev:t"])
    try:
        c = connect(path, socket.AF_UNIX)
        got = read_until(c, b"\xff\xfb\x01")  # IAC WILL ECHO
        c.sendall(b"\xff\xfd\x01" + b"telnet.")  # IAC DO ECHO, then text
        read_until(c, b"TELNET\nMB: echo done", got)
        w.wait(19)
    finally:
        w.kill()


def case_null_debugcon(wb, k, d):
    """-serial null: COM1 goes nowhere; -debugcon stdio: port 0xE9 on stdout."""
    w = Wirebox(wb, k, "exit=10", ["-display", "none", "-serial", "null", "-debugcon", "stdio"])
    out, _ = w.p.communicate(timeout=HANG)
    if w.p.returncode != 21:
        raise Fail(f"exit status {w.p.returncode}")
    if out != b"E9: hello from multiboot\n":
        raise Fail(f"stdout is {out!r}")


def case_ringbuf(wb, k, d):
    """A ringbuf keeps the serial output for the monitor's ringbuf_read."""
    w = Wirebox(wb, k, "wait", ["-display", "none", "-chardev", "ringbuf,id=rb,size=4096",
                                "-serial", "chardev:rb", "-monitor", "stdio"],
                stdin=subprocess.PIPE)
    try:
        fd = w.p.stdout.fileno()
        got = read_until(fd, b"(qemu) ")
        kept = b""
        deadline = time.monotonic() + HANG
        while b"MB: waiting" not in kept:
            if time.monotonic() > deadline:
                raise Fail(f"the ringbuf never held 'MB: waiting': {kept!r}")
            w.p.stdin.write(b"ringbuf_read rb 4096\n")
            w.p.stdin.flush()
            got = read_until(fd, b"(qemu) ", b"")
            kept += got
        if b"MB: hello from multiboot (elf)" not in kept:
            raise Fail(f"ringbuf_read gave {kept!r}")
        w.p.stdin.write(b"info chardev\nquit\n")
        w.p.stdin.flush()
        out, _ = w.p.communicate(timeout=HANG)
        if b"rb: filename=ringbuf" not in out or w.p.returncode != 0:
            raise Fail(f"info chardev / quit: {out!r}, status {w.p.returncode}")
    finally:
        w.kill()


CASES = {
    "file": case_file,
    "pipe": case_pipe,
    "pty": case_pty,
    "tty": case_tty,
    "tcp-wait": case_tcp_wait,
    "tcp-clients": case_tcp_clients,
    "tcp-client": case_tcp_client,
    "unix-telnet": case_unix_telnet,
    "null-debugcon": case_null_debugcon,
    "ringbuf": case_ringbuf,
}


def main(argv):
    if len(argv) < 4:
        print(__doc__)
        return 2
    wb, kernel, d = argv[1:4]
    for name in argv[4:] or list(CASES):
        try:
            CASES[name](wb, kernel, d)
        except (Fail, OSError, subprocess.TimeoutExpired) as e:
            print(f"FAIL {name}: {e}")
            return 1
        print(f"ok {name}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
