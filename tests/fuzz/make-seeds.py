#!/usr/bin/env python3
"""Writes the seed corpora in tests/fuzz/corpus/<target>/: a handful of
meaningful inputs per fuzz target, in each target's input format (see the
comment at the top of each tests/fuzz/fuzz_*.c). Run it again after changing
a format; reproducers of fixed findings live beside these (regress-*) and are
not touched.

    tests/fuzz/make-seeds.py [CORPUS_DIR]
"""
import gzip
import lzma
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "corpus")


def write(target, name, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def u8(v):
    return struct.pack("<B", v & 0xFF)


def u16(v):
    return struct.pack("<H", v & 0xFFFF)


def u32(v):
    return struct.pack("<I", v & 0xFFFFFFFF)


def csum(data):
    """Internet checksum (RFC 1071), not inverted."""
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


# ---------------------------------------------------------------- fuzz_e1000
# Opcodes (fuzz_e1000.c), registers named by raw offset (selector 0xFF).
(OP_WR32, OP_RD32, OP_WR_NARROW, OP_IO, OP_RAM, OP_TXDESC, OP_RXDESC, OP_FRAME,
 OP_CLOCK, OP_LINK, OP_PEER, OP_PCICMD, OP_RESET, OP_RING, OP_EEBITS) = range(15)
CTRL, ICR, IMS, RCTL, TCTL, TDT, RDT, RXCSUM, MDIC, EECD, EERD, ITR, RDTR, TIDV = (
    0x0, 0xC0, 0xD0, 0x100, 0x400, 0x3818, 0x2818, 0x5000, 0x20, 0x10, 0x14, 0xC4,
    0x2820, 0x3820)
RCTL_EN, RCTL_BAM, RCTL_SECRC, RCTL_LBM_MAC, RCTL_UPE = 2, 1 << 15, 1 << 26, 1 << 6, 1 << 3
TCTL_EN, TCTL_PSP = 2, 8
EOP, IFCS, IC, TSE, RS, DEXT, VLE = 1, 2, 4, 4, 8, 0x20, 0x40


def reg(off):
    return u8(0xFF) + u16(off >> 2)


def wr32(off, val):
    return u8(OP_WR32) + reg(off) + u32(val)


def rd32(off):
    return u8(OP_RD32) + reg(off)


def ring(tx, nsel, ctl):
    return u8(OP_RING) + u8(1 if tx else 0) + u8(nsel) + u32(ctl)


def ram_slot(slot, off, data):
    """Bytes into buffer slot `slot` at off, 256 at a time."""
    out = b""
    for i in range(0, len(data), 256):
        chunk = data[i:i + 256]
        out += u8(OP_RAM) + u8(2) + u8(slot) + u16(off + i) + u8(len(chunk) - 1) + chunk
    return out


def txd_legacy(idx, slot, off, length, cmd, cso=0, css=0, special=0):
    return (u8(OP_TXDESC) + u8(idx) + u8(0) + u8(slot) + u16(off) + u16(length) + u8(cso) +
            u8(cmd) + u8(css) + u16(special))


def txd_context(idx, ipcss, ipcso, ipcse, tucss, tucso, tucse, paylen, tucmd, hdrlen, mss):
    return (u8(OP_TXDESC) + u8(idx) + u8(1) + u8(ipcss) + u8(ipcso) + u16(ipcse) + u8(tucss) +
            u8(tucso) + u16(tucse) + u32(paylen) + u8(tucmd) + u8(hdrlen) + u16(mss))


def txd_data(idx, slot, off, length, dcmd, popts, special=0):
    return (u8(OP_TXDESC) + u8(idx) + u8(2) + u8(slot) + u16(off) + u32(length) + u8(dcmd) +
            u8(popts) + u16(special))


def clock(ns):
    return u8(OP_CLOCK) + u16(min(ns >> 6, 0xFFFF))


def frame_op(length, dst, data=b""):
    """A frame of length bytes: data, then the harness's pattern."""
    return u8(OP_FRAME) + u16(length) + u8(dst) + u16(len(data)) + data


MAC = bytes([0x52, 0x54, 0x00, 0x12, 0x34, 0x56])


def ipv4_tcp(payload_len, dst=MAC):
    """Ethernet + IPv4 + TCP with correct checksums."""
    payload = bytes((i * 13 + 5) & 0xFF for i in range(payload_len))
    tcp = struct.pack("!HHIIBBHHH", 40000, 80, 1000, 0, 0x50, 0x18, 65535, 0, 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0x1234, 0, 64, 6, 0,
                     bytes([10, 0, 2, 2]), bytes([10, 0, 2, 15]))
    ip = ip[:10] + struct.pack("!H", 0xFFFF - csum(ip)) + ip[12:]
    pseudo = ip[12:20] + struct.pack("!BBH", 0, 6, len(tcp))
    c = 0xFFFF - csum(pseudo + tcp)
    tcp = tcp[:16] + struct.pack("!H", c) + tcp[18:]
    return dst + bytes([2, 0, 0, 0, 0, 1]) + b"\x08\x00" + ip + tcp


def e1000_seeds():
    bcast = b"\xff" * 6 + bytes([2, 0, 0, 0, 0, 1]) + b"\x88\xb5" + bytes(range(46))
    # one legacy frame out, interrupts on
    write("fuzz_e1000", "tx-legacy",
          wr32(IMS, 0x1F) + ring(True, 0, TCTL_EN | TCTL_PSP) + ram_slot(0, 0, bcast) +
          txd_legacy(0, 0, 0, len(bcast), EOP | IFCS | RS) + wr32(TDT, 1) + clock(100000) +
          rd32(ICR))
    # legacy checksum insertion, VLAN insertion
    pkt = ipv4_tcp(100)
    write("fuzz_e1000", "tx-legacy-csum-vlan",
          wr32(CTRL, 0x40 | 1 << 30) + ring(True, 0, TCTL_EN) + ram_slot(1, 0, pkt) +
          txd_legacy(0, 1, 0, len(pkt), EOP | IFCS | RS | IC | VLE, cso=50, css=34,
                     special=0x0123) +
          wr32(TDT, 1) + clock(100000))
    # TSO: context, header + 2000 bytes of payload in two data descriptors
    # (programs write the headers; the payload is whatever RAM holds)
    pkt = ipv4_tcp(2000)
    write("fuzz_e1000", "tx-tso",
          ring(True, 0, TCTL_EN | TCTL_PSP) + ram_slot(2, 0, pkt[:54]) +
          txd_context(0, 14, 24, 33, 34, 50, 0, 2000, 0x07 | DEXT, 54, 1000) +
          txd_data(1, 2, 0, 600, TSE, 3) + txd_data(2, 2, 600, len(pkt) - 600, TSE | EOP | RS, 3) +
          wr32(TDT, 3) + clock(1000000))
    # checksum offload with a context, no TSO
    pkt = ipv4_tcp(300)
    write("fuzz_e1000", "tx-context-csum",
          ring(True, 0, TCTL_EN) + ram_slot(3, 0, pkt) +
          txd_context(0, 14, 24, 33, 34, 50, 0, 0, 0x03 | DEXT, 0, 0) +
          txd_data(1, 3, 0, len(pkt), EOP | RS, 3) + wr32(TDT, 2) + clock(100000))
    # issue 7's three inputs: contexts changing in the middle of a TSO packet
    pkt = ipv4_tcp(4000)
    write("fuzz_e1000", "tx-tso-context-grows",
          ring(True, 1, TCTL_EN) + ram_slot(4, 0, pkt[:54]) +
          txd_context(0, 14, 24, 33, 34, 50, 0, 2000, 0x07 | DEXT, 54, 1000) +
          txd_data(1, 4, 0, 154, TSE, 3) +
          txd_context(2, 14, 24, 33, 34, 50, 0, 0xFFFFF, 0x07 | DEXT, 255, 65535) +
          txd_data(3, 4, 154, 0xFFFFF, TSE | EOP | RS, 3) + wr32(TDT, 4) + clock(1000000))
    write("fuzz_e1000", "tx-tso-context-shrinks",
          ring(True, 1, TCTL_EN) + ram_slot(4, 0, pkt[:54]) +
          txd_context(0, 14, 24, 33, 34, 50, 0, 2000, 0x07 | DEXT, 54, 1000) +
          txd_data(1, 4, 0, 854, TSE, 3) +
          txd_context(2, 14, 24, 33, 34, 50, 0, 2000, 0x07 | DEXT, 54, 100) +
          txd_data(3, 4, 854, 2000, TSE | EOP | RS, 3) + wr32(TDT, 4) + clock(1000000))
    write("fuzz_e1000", "tx-tso-mss0",
          ring(True, 1, TCTL_EN) + ram_slot(4, 0, pkt[:54]) +
          txd_context(0, 14, 24, 33, 34, 50, 0, 1500, 0x07 | DEXT, 54, 500) +
          txd_data(1, 4, 0, 54, TSE, 3) +
          txd_context(2, 14, 24, 33, 34, 50, 0, 1500, 0x07 | DEXT, 54, 0) +
          txd_data(3, 4, 54, 1500, TSE | EOP | RS, 3) + wr32(TDT, 4) + clock(1000000))
    # MSS 1: a segment per payload byte (a legitimate guest's heavy work)
    write("fuzz_e1000", "tx-tso-mss1",
          ring(True, 0, TCTL_EN) + ram_slot(0, 0, pkt[:54]) +
          txd_context(0, 14, 24, 33, 34, 50, 0, 2000, 0x07 | DEXT, 54, 1) +
          txd_data(1, 0, 0, 2054, TSE | EOP | RS, 3) + wr32(TDT, 2) + clock(1000000))
    # receive: broadcast, unicast IPv4 with checksum offload, a long frame
    write("fuzz_e1000", "rx-basic",
          wr32(IMS, 0xFF) + ring(False, 0, RCTL_EN | RCTL_BAM | RCTL_SECRC) +
          frame_op(100, 1) + frame_op(64, 0) + clock(100000) + rd32(ICR))
    write("fuzz_e1000", "rx-ipv4-csum",
          ring(False, 0, RCTL_EN) + wr32(RXCSUM, 0x300) + frame_op(len(ipv4_tcp(200)), 4 | 3,
                                                                   ipv4_tcp(200)) + clock(10000))
    write("fuzz_e1000", "rx-long-frame",
          ring(False, 0, RCTL_EN | RCTL_BAM | 1 << 5) + frame_op(9000, 1) + frame_op(17000, 1) +
          wr32(RDTR, 100) + clock(1000000))
    # the receiver full: frames wait in the queue, then a refill flushes them
    write("fuzz_e1000", "rx-ring-full",
          ring(False, 0, RCTL_EN | RCTL_BAM) + b"".join(frame_op(200, 1) for _ in range(10)) +
          wr32(RDT, 0) + frame_op(200, 1) + wr32(RDT, 7))
    # MAC loopback: what is sent comes back in
    write("fuzz_e1000", "loopback",
          ring(False, 0, RCTL_EN | RCTL_BAM | RCTL_LBM_MAC) + ring(True, 0, TCTL_EN | TCTL_PSP) +
          ram_slot(5, 0, bcast) + txd_legacy(0, 5, 0, len(bcast), EOP | RS) + wr32(TDT, 1) +
          clock(100000))
    # link down and up, the peer busy, a reset in the middle
    write("fuzz_e1000", "link-peer-reset",
          ring(True, 0, TCTL_EN) + ram_slot(6, 0, bcast) + u8(OP_PEER) + u8(0) +
          txd_legacy(0, 6, 0, 60, EOP | RS) + txd_legacy(1, 6, 0, 60, EOP | RS) + wr32(TDT, 2) +
          clock(100000) + u8(OP_PEER) + u8(1) + u8(OP_LINK) + u8(0) + u8(OP_LINK) + u8(2) +
          u8(OP_RESET) + u8(1) + rd32(0x8) + u8(OP_RESET) + u8(0) + rd32(0x8))
    # EEPROM (EERD), PHY (MDIC), interrupt moderation registers
    write("fuzz_e1000", "eeprom-phy-itr",
          wr32(EERD, 1) + rd32(EERD) + wr32(EERD, 1 | 0x3F << 8) + rd32(EERD) +
          wr32(MDIC, (2 << 26) | (1 << 21) | (1 << 16)) + rd32(MDIC) +
          wr32(MDIC, (1 << 26) | (1 << 21) | (0 << 16) | 0x9140) + wr32(ITR, 1000) +
          wr32(IMS, 4) + wr32(0xC8, 4) + clock(500000) + rd32(ICR) +
          wr32(EECD, 0x40) + wr32(EECD, 0x42) + wr32(EECD, 0x47) + wr32(EECD, 0x46))
    # the EEPROM bit-banged: EWEN, WRITE word 5, READ word 5 and on
    write("fuzz_e1000", "eeprom-microwire",
          u8(OP_EEBITS) + u8(0x80 | 9) + u32(0b100110000) +
          u8(OP_EEBITS) + u8(0x80 | 25) + u32(0b101000101 << 16 | 0xBEEF) +
          u8(OP_EEBITS) + u8(0x80 | 9) + u32(0b110000101) +
          u8(OP_EEBITS) + u8(0x40 | 20) + u32(0) + u8(OP_EEBITS) + u8(0x40 | 20) + u32(0))
    # through the I/O window, and with the BARs switched off for a while
    write("fuzz_e1000", "io-window-pci",
          u8(OP_IO) + u8(1) + reg(IMS) + u32(0x1F) + u8(OP_IO) + u8(4) + reg(0x8) +
          u8(OP_PCICMD) + u16(0) + wr32(IMS, 0) + u8(OP_PCICMD) + u16(7) + rd32(IMS))


# ---------------------------------------------------------------- fuzz_options
def options_seeds():
    lines = [
        "-m 256 -kernel build/guest/vmlinuz -initrd build/guest/initrd.gz "
        "-append console=ttyS0 -nographic -no-reboot -nic user,model=e1000",
        "-m 256 -kernel k -nographic -no-reboot -nic none -s -S",
        "-kernel k -netdev user,id=n0,hostfwd=tcp:127.0.0.1:2222-:22 -device e1000,netdev=n0 "
        "-netdev user,id=n1,net=10.0.3.0/24 -device e1000,netdev=n1",
        "-kernel k -nic user,net=192.168.76.0/24,host=192.168.76.2,dhcpstart=192.168.76.100,"
        "dns=192.168.76.53,hostname=guest1,domainname=example.test,dnssearch=a.test,"
        "dnssearch=b.test,restrict=on",
        "-kernel k -nic user,hostfwd=udp::5353-:53,guestfwd=tcp:10.0.2.100:1234-cmd:cat,"
        "guestfwd=tcp:10.0.2.100:80-tcp:127.0.0.1:8080,ipv6-net=fd00:1::/64,ipv6-host=fd00:1::2,"
        "ipv6-dns=fd00:1::3,tftp=/tmp,bootfile=pxelinux.0,tftp-server-name=boot.example.test",
        "-kernel k -netdev hubport,id=h0,hubid=0 -netdev hubport,id=h1,hubid=0,netdev=u0 "
        "-netdev user,id=u0 -device e1000,netdev=h0,mac=52:54:00:12:34:99,addr=5.0,id=nic0",
        "-kernel k -net nic,model=e1000,macaddr=52:54:00:aa:bb:cc -net user,hostname=x",
        "-kernel k -icount shift=3,sleep=off -serial stdio -serial file:/tmp/s1 -serial null "
        "-display none -gdb tcp:[::1]:1234,server=on,wait=off",
        "-m size=1.5G -bios rom.bin -nodefaults -gdb unix:/tmp/wb.sock,nowait",
        "-netdev help",
        "-nic model=help",
        "-device e1000,help",
        "-version",
        "--help",
        "-m 1G -kernel k -nic user,smb=/tmp,smbserver=10.0.2.4,dns-resolv=/etc/resolv.conf",
        "-kernel k -icount 0 -m 0x40000K -net none",
        "-kernel k -netdev user,id=u1 -device e1000-82540em,netdev=u1,mac=52:54:00:ab:cd:ef,"
        "addr=0x3.0,id=eth1 -device e1000,id=spare",
        "-netdev user,help",
    ]
    for i, line in enumerate(lines):
        write("fuzz_options", "cmdline-%02d" % i, "\0".join(line.split(" ")).encode())


# ---------------------------------------------------------------- fuzz_gdbstub
def gdb_packet(payload):
    if isinstance(payload, str):
        payload = payload.encode("latin-1")
    return b"$" + payload + b"#" + b"%02x" % (sum(payload) & 0xFF)


def gdb_escape(data):
    out = b""
    for b in data:
        out += bytes([0x7D, b ^ 0x20]) if b in b"$#}*" else bytes([b])
    return out


def gdbstub_seeds():
    hello = [
        "qSupported:multiprocess+;swbreak+;hwbreak+;qRelocInsn+;fork-events+;vfork-events+;"
        "exec-events+;vContSupported+;QThreadEvents+;no-resumed+;memory-tagging+;"
        "xmlRegisters=i386",
        "vMustReplyEmpty", "Hgp0.0", "qXfer:features:read:target.xml:0,ffb",
        "qXfer:features:read:target.xml:ffb,ffb", "qTStatus", "?", "qfThreadInfo",
        "qsThreadInfo", "qAttached", "Hc-1", "qC", "qOffsets", "g",
    ]
    session = b"".join(b"+" + gdb_packet(p) for p in hello)
    write("fuzz_gdbstub", "handshake", b"\0" + session)
    write("fuzz_gdbstub", "noack", b"\1" + b"+" + gdb_packet("QStartNoAckMode") + b"+" +
          b"".join(gdb_packet(p) for p in hello[1:]))
    # memory and registers: write code, read it back, set EIP, single-step
    # real mode after reset: CS=0, IP=0x1000: mov ax,1; inc ax; jmp back to the inc
    code = bytes([0xB8, 0x01, 0x00, 0x40, 0xEB, 0xFD])
    mem = [
        "m0,10", "M1000,%x:%s" % (len(code), code.hex()), "m1000,8", "p8", "Pa=00000000",
        "P8=00100000", "p0", "P0=78563412", "g", "s", "s", "vCont?", "vCont;s:p1.1",
        "vCont;c", "m12345678,4", "m0,800", "qRcmd," + b"info registers".hex(),
        "qRcmd," + b"phys on".hex(), "m0,4", "qRcmd," + b"help".hex(),
    ]
    write("fuzz_gdbstub", "memory-registers",
          b"\2" + b"".join(b"+" + gdb_packet(p) for p in mem) + b"\x03")
    write("fuzz_gdbstub", "binary-write",
          b"\3" + b"+" + gdb_packet(b"X2000,8:" + gdb_escape(b"$#}*\x00\x01\x7d\x23")) +
          b"+" + gdb_packet("m2000,8"))
    # code that writes memory: mov [0x2000],ax; jmp back
    store = bytes([0xA3, 0x00, 0x20, 0xEB, 0xFB])
    regs = "".join("%08x" % int.from_bytes(struct.pack(">I", 0x1000 if i == 8 else 0), "little")
                   for i in range(16)) + "00" * (176 - 64)
    bps = [
        "Pa=00000000", "P8=00100000", "M1000,%x:%s" % (len(code), code.hex()), "Z0,1003,1",
        "Z1,1004,1", "c", "c", "z0,1003,1", "z1,1004,1", "M1000,5:%s" % store.hex(),
        "Z2,2000,2", "Z3,2000,2", "Z4,2000,2", "c", "z2,2000,2", "G" + regs, "C05", "S05",
        "D", "k",
    ]
    write("fuzz_gdbstub", "breakpoints-run",
          b"\4" + b"".join(b"+" + gdb_packet(p) for p in bps))
    write("fuzz_gdbstub", "noise-naks",
          b"\5" + b"garbage$g#00-" + gdb_packet("g") + b"---$m0,4#zz+" + b"$" + b"a" * 5000 +
          b"#00" + gdb_packet("m0," + "f" * 12) + b"\x03")
    write("fuzz_gdbstub", "framing",
          b"\6" + gdb_packet("m1000,4") + gdb_packet(b"X0,4:" + gdb_escape(b"}}$#")) +
          b"$bad#zz" + gdb_packet("ffffffff,100000000"))
    write("fuzz_gdbstub", "addr-tcp", b"\7tcp:127.0.0.1:1234,server=on,wait=off")
    write("fuzz_gdbstub", "addr-unix", b"\7unix:/tmp/wirebox-gdb.sock")
    write("fuzz_gdbstub", "addr-v6", b"\7tcp:[::1]:0,ipv6")


# ---------------------------------------------------------------- fuzz_dns
def dns_query(qid, name, qtype=1):
    q = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for label in name.split("."):
        q += bytes([len(label)]) + label.encode()
    return q + b"\0" + struct.pack("!HH", qtype, 1)


def dns_op_query(msg, ctxlen=4):
    return u8(0) + u8(ctxlen) + u16(len(msg)) + msg


def dns_op_serve(server, how, body, copied=0):
    """how: 1 the query's id, 2 its header and question first (copied bytes
    of it), 4 QR and RCODE = how >> 4. body follows what the harness copied."""
    return u8(2) + u8(server) + u8(how) + u16(copied + len(body)) + body


ANSWER_A = bytes([0xC0, 0x0C, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 9, 8, 7])


def dns_seeds():
    q = dns_query(0x1234, "www.example.test")
    qlen = len(q)
    # answered by the first server
    write("fuzz_dns", "answer",
          u8(0) + dns_op_query(q) + dns_op_serve(0, 1 | 2 | 4, ANSWER_A, qlen))
    # refused by the first, the second is a closed port, the third answers
    write("fuzz_dns", "failover",
          u8(0) + dns_op_query(q) + dns_op_serve(0, 1 | 2 | 4 | 5 << 4, b"", qlen) +
          u8(3) + dns_op_serve(1, 1 | 2 | 4, ANSWER_A, qlen))
    # nobody answers in time: SERVFAIL of the proxy's own
    write("fuzz_dns", "timeout",
          u8(1) + u8(4) + u8(1) + dns_op_query(q) + u8(3) + u8(3) + u8(3) + u8(3))
    # a big answer, sent to the guest in fragments of a 576-byte MTU
    big = b"".join(ANSWER_A for _ in range(200))
    write("fuzz_dns", "big-answer",
          u8(1) + dns_op_query(dns_query(7, "big.example.test", 16)) +
          dns_op_serve(0, 1 | 2 | 4, big, len(dns_query(7, "big.example.test", 16))))
    # the guest's query in an Ethernet frame (the harness fixes checksums)
    eth = bytes(6) + bytes(6) + b"\x08\x00"
    ip = bytes(20)
    udp = struct.pack("!HHHH", 33333, 53, 8 + len(q), 0)
    f = eth + ip + udp + q
    write("fuzz_dns", "frame", u8(0) + u8(1) + u8(1 | 2) + u16(len(f)) + f +
          dns_op_serve(0, 1 | 2 | 4, ANSWER_A, qlen))
    # many queries in flight, a spoofed answer, a reply with the wrong question
    qs = b"".join(dns_op_query(dns_query(i, "q%d.example.test" % i)) for i in range(8))
    write("fuzz_dns", "many",
          u8(2) + qs + dns_op_serve(0, 0, b"\xde\xad" + bytes(30)) +
          dns_op_serve(0, 1 | 4, b"\0" * 12 + dns_query(0, "other.test")[12:]) +
          dns_op_serve(0, 1 | 2 | 4 | 2 << 4, b"", len(dns_query(7, "q7.example.test"))))
    # not queries: a response, too short, a context too long
    write("fuzz_dns", "rejects",
          u8(0) + dns_op_query(b"\x12\x34\x81\x80" + bytes(8)) + dns_op_query(b"\x00" * 5) +
          dns_op_query(q, 33))


# ---------------------------------------------------------------- fuzz_linuxboot
SETUP_SECTS = 4
PM_SIZE = 0x1000


def bzimage(version=0x020F, syssize=PM_SIZE // 16, cmdline_size=0x7FF, xloadflags=0,
            init_size=0x100000, pref=0x1000000, pm_size=PM_SIZE, align=0x1000000):
    """A minimal bzImage as tests/unit/test_linuxboot.c builds it."""
    k = bytearray((SETUP_SECTS + 1) * 512 + pm_size)
    k[0x1F1] = SETUP_SECTS
    struct.pack_into("<H", k, 0x1FE, 0xAA55)
    k[0x200] = 0xEB
    k[0x201] = 0x6A
    k[0x202:0x206] = b"HdrS"
    struct.pack_into("<H", k, 0x206, version)
    k[0x211] = 0x01
    struct.pack_into("<I", k, 0x1F4, syssize)
    struct.pack_into("<I", k, 0x214, 0x100000)
    struct.pack_into("<I", k, 0x22C, 0x7FFFFFFF)
    struct.pack_into("<I", k, 0x230, align)
    k[0x234] = 1
    struct.pack_into("<H", k, 0x236, xloadflags)
    struct.pack_into("<I", k, 0x238, cmdline_size)
    struct.pack_into("<Q", k, 0x258, pref)
    struct.pack_into("<I", k, 0x260, init_size)
    pm = (SETUP_SECTS + 1) * 512
    for i in range(pm_size):
        k[pm + i] = (i * 7 + 3) & 0xFF
    k[pm:pm + 7] = bytes([0x8B, 0x86, 0x02, 0x02, 0x00, 0x00, 0xF4])
    return bytes(k)


def loader_input(kernel, ram=3, flags=0, cmdline=b"", initrd=b""):
    """loader.h's header: RAM, flags (1 initrd, 2 cmdline, 4 reset), lengths."""
    return (u8(ram) + u8(flags) + u16(len(cmdline)) + u32(len(initrd)) + u16(0) + cmdline +
            initrd + kernel)


def vmlinux(entry=0x1000040):
    """An ELF32 i386 vmlinux as test_linuxboot.c's make_vmlinux: a PT_LOAD
    with code and bss at 16 MiB, a PT_NOTE, a small PT_LOAD, relocations."""
    v = bytearray(0x220)
    v[0:7] = b"\x7fELF\x01\x01\x01"
    struct.pack_into("<HHIIIIIHHH", v, 16, 2, 3, 1, entry, 52, 0, 0, 52, 32, 3)
    phs = [(1, 0x100, 0xC1000000, 0x1000000, 0x100, 0x2000, 7, 0x1000),
           (4, 0x210, 0, 0, 0x10, 0x10, 4, 4),
           (1, 0x200, 0xC1004000, 0x1004000, 0x10, 0x10, 6, 0x1000)]
    for i, ph in enumerate(phs):
        struct.pack_into("<8I", v, 52 + 32 * i, *ph)
    for i in range(0x100):
        v[0x100 + i] = (i * 13 + 1) & 0xFF
    v[0x140:0x147] = bytes([0x8B, 0x86, 0x02, 0x02, 0x00, 0x00, 0xF4])
    v[0x200:0x210] = bytes(range(0xA0, 0xB0))
    v[0x210:0x220] = b"relocations....."
    return bytes(v)


def packed_bzimage(fmt, extra=b""):
    """bzimage() whose payload (at 0x100 into the protected-mode part) is
    the vmlinux, compressed as the kernel's build does."""
    v = vmlinux()
    if fmt == "gzip":
        z = gzip.compress(v, mtime=0)
    else:
        z = lzma.compress(v, format=lzma.FORMAT_XZ, check=lzma.CHECK_CRC32,
                          filters=[{"id": lzma.FILTER_X86}, {"id": lzma.FILTER_LZMA2}]) + u32(len(v))
    k = bytearray(bzimage())
    pm = (SETUP_SECTS + 1) * 512
    k[pm + 0x100:pm + 0x100 + len(z)] = z
    k[pm + 0x100 + len(z):pm + 0x100 + len(z) + len(extra)] = extra
    struct.pack_into("<II", k, 0x248, 0x100, len(z))
    return bytes(k)


def linuxboot_seeds():
    k = bzimage()
    write("fuzz_linuxboot", "unpack-gzip", loader_input(packed_bzimage("gzip"), flags=4))
    write("fuzz_linuxboot", "unpack-xz",
          loader_input(packed_bzimage("xz"), flags=2 | 4, cmdline=b"console=ttyS0"))
    kaslr = packed_bzimage("gzip", b"KASLR disabled: 'nokaslr' on cmdline.")
    write("fuzz_linuxboot", "unpack-kaslr", loader_input(kaslr, flags=2, cmdline=b"quiet"))
    write("fuzz_linuxboot", "unpack-nokaslr",
          loader_input(kaslr, flags=1 | 2, cmdline=b"quiet nokaslr", initrd=bytes(5000)))
    initrd = bytes((i * 11) & 0xFF for i in range(3000))
    write("fuzz_linuxboot", "kernel", loader_input(k, flags=2, cmdline=b"console=ttyS0 quiet"))
    write("fuzz_linuxboot", "kernel-initrd-reset",
          loader_input(k, flags=1 | 2 | 4, cmdline=b"console=ttyS0", initrd=initrd))
    write("fuzz_linuxboot", "cmdline-cut",
          loader_input(bzimage(cmdline_size=16), flags=2, cmdline=b"x" * 100))
    write("fuzz_linuxboot", "truncated", loader_input(bzimage(syssize=PM_SIZE // 8)))
    write("fuzz_linuxboot", "too-old", loader_input(bzimage(version=0x0205)))
    write("fuzz_linuxboot", "64-bit", loader_input(bzimage(xloadflags=1)))
    write("fuzz_linuxboot", "small-ram", loader_input(k, ram=0))
    write("fuzz_linuxboot", "initrd-too-big",
          loader_input(bzimage(pref=0x100000, align=0x100000, init_size=0x2FF000), ram=0,
                       flags=1, initrd=bytes(8192)))
    write("fuzz_linuxboot", "protocol-206",
          loader_input(bzimage(version=0x0206, pref=0, init_size=0), ram=0, flags=1 | 4,
                       initrd=initrd))


# ---------------------------------------------------------------- fuzz_multiboot

MB_MAGIC = 0x1BADB002


def mb_header(flags, fields=b""):
    return u32(MB_MAGIC) + u32(flags) + u32(-(MB_MAGIC + flags)) + fields


def mb_aout(load=0x100000, code=b"\xf4\xeb\xfd", bss=0x2000, flags=0x10003):
    """A flat kernel loaded by its header's a.out kludge: header at 0, code after."""
    size = 32 + len(code)
    fields = u32(load) + u32(load) + u32(load + size) + u32(load + size + bss) + u32(load + 32)
    return mb_header(flags, fields) + code


def mb_elf(paddr=0x100000, flags=0x3, code=b"\xf4\xeb\xfd", memsz_extra=0x1000):
    """An ELF32 i386 executable with one PT_LOAD and the Multiboot header in it."""
    body = mb_header(flags) + code
    off = 52 + 32
    ehdr = (b"\x7fELF" + bytes([1, 1, 1]) + bytes(9) + u16(2) + u16(3) + u32(1) +
            u32(paddr + 12) + u32(52) + u32(0) + u32(0) + u16(52) + u16(32) + u16(1) +
            u16(0) + u16(0) + u16(0))
    phdr = (u32(1) + u32(off) + u32(paddr) + u32(paddr) + u32(len(body)) +
            u32(len(body) + memsz_extra) + u32(7) + u32(0x1000))
    return ehdr + phdr + body


def multiboot_input(kernel, ram=3, flags=0, cmdline=b"", mods=b"", split=None):
    """loader.h's header; bytes 8-9: bit 15 splits the modules in two at the rest."""
    extra = 0 if split is None else 0x8000 | split
    return (u8(ram) + u8(flags) + u16(len(cmdline)) + u32(len(mods)) + u16(extra) + cmdline +
            mods + kernel)


def multiboot_seeds():
    mods = b"first module line\nmore\n" + b"the second module"
    write("fuzz_multiboot", "aout", multiboot_input(mb_aout(), flags=2, cmdline=b"hello exit=21"))
    write("fuzz_multiboot", "aout-two-modules-reset",
          multiboot_input(mb_aout(), flags=1 | 2 | 4, cmdline=b"x", mods=mods, split=23))
    write("fuzz_multiboot", "elf", multiboot_input(mb_elf(), flags=2, cmdline=b"hello"))
    write("fuzz_multiboot", "elf-module", multiboot_input(mb_elf(), flags=1, mods=mods))
    write("fuzz_multiboot", "elf-below-1m", multiboot_input(mb_elf(paddr=0x1000)))
    write("fuzz_multiboot", "aout-truncated",
          multiboot_input(mb_aout()[:40] + u32(0), ram=0))
    write("fuzz_multiboot", "unknown-flags", multiboot_input(mb_aout(flags=0x10003 | 0x80)))
    write("fuzz_multiboot", "not-multiboot", multiboot_input(bytes(range(256)) * 4))


# ------------------------------------------------------------- fuzz_rtl8139
# Opcodes (fuzz_rtl8139.c); the first byte picks the chip (1: RTL8139C).
(R_WR, R_RD, R_RAM, R_TXSLOT, R_CPTXDESC, R_CPRXDESC, R_SETUP, R_CAPR, R_FRAME, R_CLOCK,
 R_LINK, R_PEER, R_PCICMD, R_RESET, R_EEBITS, R_TPPOLL) = range(16)
R_RCR_ACCEPT = 0x02 | 0x04 | 0x08  # APM AM AB
R_RCR_WRAP = 0x80
R_CP_OWN, R_CP_EOR, R_CP_FS, R_CP_LS = 0x80, 0x40, 0x20, 0x10  # in the op's `how`


def r_wr(off, val, size_log2=2, mmio=False):
    return u8(R_WR) + u8(off) + u8(size_log2 | (4 if mmio else 0)) + u32(val)


def r_setup(cplus, rcr, tcr=0, n=8, cpcr_how=0):
    out = u8(R_SETUP) + u8((1 if cplus else 0) | cpcr_how) + u32(rcr) + u32(tcr)
    return out + (u8(n - 1) if cplus else b"")


def r_slot(slot, data, off=0):
    out = b""
    for i in range(0, len(data), 256):
        chunk = data[i:i + 256]
        out += u8(R_RAM) + u8(3) + u8(slot) + u16(off + i) + u8(len(chunk) - 1) + chunk
    return out


def r_txslot(i, slot, size, own=False):
    return u8(R_TXSLOT) + u8(i | (8 if own else 0)) + u8(slot) + u16(0) + u16(size) + u8(0)


def r_cptx(idx, slot, length, flags, csum=0, mss=None, tag=None, high=False):
    how = flags | (1 if high else 0) | (4 if mss is not None else 0) | (8 if tag is not None else 0)
    out = u8(R_CPTXDESC) + u8(how) + u8(idx) + u16(length) + u8(csum)
    if mss is not None:
        out += u16(mss)
    if tag is not None:
        out += u16(tag)
    return out + u8(slot) + u16(0)


def r_cprx(idx, slot, size, eor=False):
    return u8(R_CPRXDESC) + u8(4 if eor else 0) + u8(idx) + u16(size) + u8(slot) + u16(0)


def r_frame(length, dst, data=b""):
    return u8(R_FRAME) + u16(length) + u8(dst) + u16(len(data)) + data


def r_clock(ns):
    return u8(R_CLOCK) + u16(min(ns >> 8, 0xFFFF))


def r_capr():
    return u8(R_CAPR) + u8(2)


def rtl8139_seeds():
    t = "fuzz_rtl8139"
    udp = bytes([2, 0, 0, 0, 0, 1]) * 2 + b"\x08\x00" + bytes(range(46))
    write(t, "c-rx", u8(1) + r_setup(False, R_RCR_ACCEPT) + r_frame(60, 0) + r_frame(1514, 1) +
          r_frame(20, 0) + r_clock(200000) + r_capr() + r_frame(300, 2) + r_clock(100000))
    write(t, "c-rx-wrap", u8(1) + r_setup(False, R_RCR_ACCEPT | R_RCR_WRAP) +
          b"".join(r_frame(1514, 0) + r_clock(130000) + r_capr() for _ in range(8)))
    write(t, "c-rx-full", u8(1) + r_setup(False, R_RCR_ACCEPT) +
          b"".join(r_frame(1514, 1) for _ in range(10)) + r_clock(20000000) + r_capr() +
          r_clock(3000000) + r_capr() + r_wr(0x44, R_RCR_ACCEPT | 3 << 11) + r_frame(4000, 0))
    write(t, "c-tx", u8(1) + r_setup(False, R_RCR_ACCEPT) + r_slot(0, udp) + r_slot(1, udp) +
          r_txslot(0, 0, 60) + r_txslot(1, 1, 1500) + r_clock(200000) + r_txslot(2, 0, 0) +
          r_txslot(3, 0x85, 100) + r_clock(200000) + u8(R_RD) + u8(0x60) + u8(1))
    write(t, "c-loopback", u8(1) + r_setup(False, R_RCR_ACCEPT | 0x01, tcr=0) +
          r_wr(0x40, 0x00060000) + r_slot(0, MAC + udp[6:]) + r_txslot(0, 0, 64) +
          r_clock(200000) + r_capr())
    write(t, "cplus-c-mode", u8(0) + r_setup(False, R_RCR_ACCEPT) + r_frame(100, 0) +
          r_slot(0, udp) + r_txslot(0, 0, 60) + r_clock(100000))
    write(t, "cplus-rx", u8(0) + r_setup(True, R_RCR_ACCEPT, n=4) + r_frame(60, 0) +
          r_frame(1514, 1) + r_frame(3000, 0) + r_clock(500000) + r_cprx(0, 0, 1536) +
          r_frame(100, 0) + r_clock(500000))
    write(t, "cplus-rx-csum-vlan", u8(0) + r_setup(True, R_RCR_ACCEPT, n=8, cpcr_how=0xC0) +
          r_frame(len(ipv4_tcp(100)), 0, ipv4_tcp(100)) + r_frame(200, 8) + r_clock(300000))
    write(t, "cplus-tx", u8(0) + r_setup(True, R_RCR_ACCEPT, n=8) + r_slot(0, udp) +
          r_cptx(0, 0, 60, R_CP_OWN | R_CP_FS | R_CP_LS) + u8(R_TPPOLL) + u8(0x40) +
          r_clock(100000) + r_cptx(0, 1, 100, R_CP_OWN | R_CP_FS | R_CP_LS, high=True) +
          u8(R_TPPOLL) + u8(0x81) + r_clock(100000))
    pkt = ipv4_tcp(1400)
    write(t, "cplus-tx-csum-multi", u8(0) + r_setup(True, R_RCR_ACCEPT, n=8) +
          r_slot(2, pkt[:700]) + r_slot(3, pkt[700:]) +
          r_cptx(0, 2, 700, R_CP_OWN | R_CP_FS, csum=5) +
          r_cptx(1, 3, len(pkt) - 700, R_CP_OWN | R_CP_LS, csum=5, tag=0x0500) +
          u8(R_TPPOLL) + u8(0x40) + r_clock(300000))
    big = ipv4_tcp(4000)
    write(t, "cplus-tx-tso", u8(0) + r_setup(True, R_RCR_ACCEPT, n=8) + r_slot(4, big) +
          r_cptx(0, 4, len(big), R_CP_OWN | R_CP_FS | R_CP_LS, mss=1000) + u8(R_TPPOLL) +
          u8(0x40) + r_clock(1000000))
    write(t, "cplus-tx-unended", u8(0) + r_setup(True, R_RCR_ACCEPT, n=4) +
          b"".join(r_cptx(i, 0, 60, R_CP_OWN | (R_CP_FS if i == 0 else 0)) for i in range(4)) +
          u8(R_TPPOLL) + u8(0x40) + r_clock(100000))
    write(t, "cplus-tally", u8(0) + r_setup(True, R_RCR_ACCEPT, n=4) + r_frame(60, 0) +
          r_clock(10000) + r_wr(0x14, 0) + r_wr(0x10, 0x2C00 | 0x08) + u8(R_RD) + u8(0x10) +
          u8(2))
    # EEPROM: READ (110) of word 7, then 16 clocks to shift the data out
    write(t, "eeprom", u8(1) + u8(R_EEBITS) + u8(0x80 | 9) + u32(0b110000111) +
          u8(R_EEBITS) + u8(16) + u32(0) + u8(R_EEBITS) + u8(0x40) + u32(0) +
          u8(R_RD) + u8(0) + u8(2))
    write(t, "link-reset", u8(0) + r_setup(True, R_RCR_ACCEPT, n=4) + u8(R_LINK) + u8(0) +
          r_frame(60, 0) + u8(R_LINK) + u8(2) + r_clock(100000) + u8(R_PEER) + u8(0) +
          u8(R_RESET) + u8(0) + r_setup(False, R_RCR_ACCEPT) + u8(R_RESET) + u8(1) +
          u8(R_RD) + u8(0x74) + u8(1) + u8(R_PCICMD) + u16(0))


# ----------------------------------------------------------------- fuzz_ide
# Opcodes (fuzz_ide.c); the input starts with the drive setup byte and the
# image size byte. Commands by their index in fuzz_ide.c's ata_cmds table.
(I_OUTB, I_INB, I_TASKFILE, I_CMD, I_PACKET, I_PIO_IN, I_PIO_OUT, I_PRD, I_BM, I_RAM, I_CTL,
 I_PCI, I_RESET) = range(13)
I_READ, I_READ_EXT, I_READ_DMA, I_READ_DMA_EXT, I_WRITE, I_WRITE_EXT, I_WRITE_DMA = range(7)
I_WRITE_DMA_EXT, I_READ_MULT, I_READ_MULT_EXT, I_WRITE_MULT, I_WRITE_MULT_EXT, I_SET_MULT = \
    range(7, 13)
I_VERIFY, I_IDENTIFY, I_ID_ATAPI, I_PACKET_CMD, I_SET_FEATURES = 13, 15, 16, 17, 18
I_FLUSH, I_DIAGNOSE, I_READ_MAX_EXT = 20, 22, 25


def i_tf(chan, lba, count, lba48=False, lba_mode=True, unit=0, feature=0):
    how = chan | (2 if unit else 0) | (4 if lba_mode else 0) | (8 if lba48 else 0)
    return u8(I_TASKFILE) + u8(how) + u8(lba >> 24 if not lba48 else 0) + u16(count) + \
        u32(lba) + u8(feature)


def i_cmd(chan, idx):
    return u8(I_CMD) + u8(chan) + u8(idx)


def i_pio(chan, words, out=False, val=0):
    return u8(I_PIO_OUT if out else I_PIO_IN) + u8(chan | 2) + u8(words // 16 - 1) + u32(val)


def i_prd(chan, entries, no_eot=False):
    out = u8(I_PRD) + u8(chan | (2 if no_eot else 0)) + u8(len(entries) - 1)
    for slot, cnt in entries:
        out += u8(slot) + u16(cnt)
    return out


def i_bm(chan, start, to_mem):
    return u8(I_BM) + u8(chan | ((1 if start else 0) | (8 if to_mem else 0)) << 3)


def i_packet(chan, cdb, dma=False, limit=None):
    sel = 0xFF  # the CDB as given
    how = chan | (0x10 if dma else 0) | (4 if limit is not None else 0)
    out = u8(I_PACKET) + u8(how) + cdb.ljust(12, b"\0") + u8(sel)
    return out + (u16(limit) if limit is not None else b"")


def ide_seeds():
    t = "fuzz_ide"
    write(t, "pio-read-write", u8(0) + u8(63) + i_tf(0, 5, 2) + i_cmd(0, I_READ) +
          i_pio(0, 512) + i_tf(0, 9, 1) + i_cmd(0, I_WRITE) + i_pio(0, 256, True, 0x1234) +
          u8(I_INB) + u8(7))
    write(t, "pio-lba48-multiple", u8(2) + u8(63) + u8(I_TASKFILE) + u8(0) + u8(0) +
          u16(16) + u32(0) + u8(0) + i_cmd(0, I_SET_MULT) + i_tf(0, 3, 8, lba48=True) +
          i_cmd(0, I_READ_MULT_EXT) + i_pio(0, 2048) + i_tf(0, 3, 4, lba48=True) +
          i_cmd(0, I_WRITE_MULT_EXT) + i_pio(0, 1024, True))
    write(t, "pio-out-of-range", u8(0) + u8(0) + i_tf(0, 7, 4) + i_cmd(0, I_READ) +
          i_tf(0, 0xFFFFFFF, 0) + i_cmd(0, I_WRITE) + i_tf(0, 1, 0, lba48=True) +
          i_cmd(0, I_READ_EXT) + i_pio(0, 256) + i_tf(0, 0, 1, lba_mode=False) +
          i_cmd(0, I_VERIFY))
    write(t, "identify-features", u8(2 | 16) + u8(10) + i_cmd(0, I_IDENTIFY) +
          i_pio(0, 256) + i_tf(0, 0, 0x45, feature=3) + i_cmd(0, I_SET_FEATURES) +
          i_tf(1, 0, 0) + i_cmd(1, I_ID_ATAPI) + i_pio(1, 256) + i_cmd(1, I_IDENTIFY) +
          i_cmd(0, I_DIAGNOSE) + i_cmd(0, I_READ_MAX_EXT) + i_cmd(0, I_FLUSH))
    write(t, "dma-read", u8(0) + u8(63) + i_prd(0, [(0, 1024), (1, 0)]) + i_tf(0, 0, 66) +
          i_cmd(0, I_READ_DMA) + i_bm(0, True, True) + u8(I_BM) + u8(0 | 1 << 1) + u8(0x06) +
          i_bm(0, False, True))
    write(t, "dma-write-short-table", u8(0) + u8(63) + i_prd(0, [(2, 512)], no_eot=True) +
          i_tf(0, 4, 4, lba48=True) + i_cmd(0, I_WRITE_DMA_EXT) + i_bm(0, True, False) +
          i_prd(0, [(3, 1536)]) + i_bm(0, True, False) + i_bm(0, False, False))
    write(t, "dma-bad-prd", u8(0) + u8(20) + u8(I_PRD) + u8(0) + u8(1) + u8(0x81) + u16(512) +
          u8(0x82) + u16(0) + i_tf(0, 0, 2) + i_cmd(0, I_READ_DMA) + i_bm(0, True, True))
    write(t, "bad-sector", u8(4) + u8(5) + i_tf(0, 0, 16) + i_cmd(0, I_READ) + i_pio(0, 4096) +
          i_tf(0, 4, 4) + i_cmd(0, I_WRITE) + i_pio(0, 1024, True) + i_prd(0, [(0, 0)]) +
          i_tf(0, 0, 16) + i_cmd(0, I_READ_DMA) + i_bm(0, True, True))
    write(t, "readonly", u8(1) + u8(5) + i_tf(0, 0, 1) + i_cmd(0, I_WRITE) +
          i_pio(0, 256, True) + i_prd(0, [(0, 512)]) + i_cmd(0, I_WRITE_DMA) +
          i_bm(0, True, False))
    inquiry = bytes([0x12, 0, 0, 0, 96, 0])
    read10 = bytes([0x28, 0, 0, 0, 0, 1, 0, 0, 4, 0])
    write(t, "atapi-pio", u8(0) + u8(0x40) + i_packet(1, bytes(12)) + i_pio(1, 16) +
          i_packet(1, bytes([0x03, 0, 0, 0, 18])) + i_pio(1, 16) + i_packet(1, inquiry) +
          i_pio(1, 64) + i_packet(1, bytes([0x25])) + i_pio(1, 16) +
          i_packet(1, read10, limit=2048) + i_pio(1, 4096) +
          i_packet(1, bytes([0x43, 2, 0, 0, 0, 0, 0, 0x03, 0x24])) + i_pio(1, 512))
    write(t, "atapi-dma", u8(0) + u8(0x40) + i_packet(1, bytes(12)) + i_pio(1, 16) +
          u8(I_PRD) + u8(1) + u8(0) + u8(0) + u16(0) + i_packet(1, read10, dma=True) +
          i_bm(1, True, True) + i_packet(1, bytes([0xBE, 0, 0, 0, 0, 2, 0, 0, 1, 0x10]), dma=True) +
          u8(I_PRD) + u8(1) + u8(0) + u8(1) + u16(2048) + i_bm(1, False, True) +
          i_bm(1, True, True))
    write(t, "atapi-tray-nodisc", u8(16 | 8) + u8(0x80) + i_packet(1, bytes(12)) +
          i_packet(1, bytes([0x1E, 0, 0, 0, 1])) + i_packet(1, bytes([0x1B, 0, 0, 0, 2])) +
          i_packet(1, bytes([0x1E, 0, 0, 0, 0])) + i_packet(1, bytes([0x1B, 0, 0, 0, 2])) +
          i_packet(1, bytes([0x4A, 1, 0, 0, 0x10, 0, 0, 0, 8])) + i_pio(1, 16) +
          u8(I_PACKET) + u8(1 | 2 | 8) + bytes(12) + u8(0) + i_pio(1, 16) +
          i_packet(1, bytes([0x28, 0, 0, 0, 0, 0x10, 0, 0, 2])) + i_pio(1, 2048))
    write(t, "srst-reset", u8(2 | 16) + u8(9) + i_tf(0, 0, 4) + i_cmd(0, I_READ) +
          u8(I_CTL) + u8(4) + u8(I_INB) + u8(8) + u8(I_CTL) + u8(0) +
          i_pio(0, 256) + u8(I_CTL) + u8(0x80) + u8(I_INB) + u8(2) + u8(I_RESET) +
          u8(I_PCI) + u8(0) + u16(0) + u8(I_INB) + u8(7) + u8(I_PCI) + u8(0) + u16(0x8000))


# --------------------------------------------------------------- fuzz_qcow2
# The input is the image file. Built here from the format's specification
# (QEMU's docs/interop/qcow2.txt): header, refcount table and block, L1, L2,
# data; the backing names "raw" and "self" are files fuzz_qcow2.c provides.
Q_COPIED, Q_COMPRESSED, Q_ZERO = 1 << 63, 1 << 62, 1


def qcow2_image(version=3, cb=12, vsize=65536, backing=None, backing_fmt=None,
                refcount_order=4, incompat=0, nb_snapshots=0, l2=None, extra=b""):
    """Clusters: 0 header, 1 refcount table, 2 refcount block, 3 L1, 4 L2,
    5 data, then compressed data and `extra`. l2: {index: entry}, where the
    strings "data", "compressed" and "zero" name the usual entries."""
    import zlib
    cs = 1 << cb
    data = bytes((i * 11 + 1) & 0xFF for i in range(cs))
    co = zlib.compressobj(9, zlib.DEFLATED, -15)
    comp = co.compress(bytes(range(256)) * (cs // 256)) + co.flush()
    comp_off = 6 * cs + 100
    nsec = (comp_off % 512 + len(comp) + 511) // 512
    x = 62 - (cb - 8)
    entries = {"data": 5 * cs | Q_COPIED,
               "compressed": Q_COMPRESSED | (nsec - 1) << x | comp_off,
               "zero": Q_ZERO if version == 3 else 0}
    if l2 is None:
        l2 = {0: "data", 1: "compressed", 2: "zero"}
    l2t = bytearray(cs)
    for i, e in l2.items():
        struct.pack_into(">Q", l2t, 8 * i, entries[e] if isinstance(e, str) else e)
    nclusters = 7 + (len(comp) + cs - 1) // cs + (len(extra) + cs - 1) // cs
    bits = 1 << refcount_order
    rb = bytearray(cs)
    for c in range(nclusters):
        if bits >= 8:
            rb[c * bits // 8 + bits // 8 - 1] = 1
        else:
            rb[c * bits // 8] |= 1 << (c * bits % 8)
    l2_span = cs * (cs // 8)
    l1_size = max(1, (vsize + l2_span - 1) // l2_span)
    l1 = bytearray(cs)
    struct.pack_into(">Q", l1, 0, 4 * cs | Q_COPIED)
    hlen = 104 if version == 3 else 72
    hdr = bytearray(cs)
    struct.pack_into(">4sIQIIQIIQQIIQ", hdr, 0, b"QFI\xfb", version, 0, 0, cb, vsize, 0,
                     l1_size, 3 * cs, cs, 1, nb_snapshots, 0)
    if version == 3:
        struct.pack_into(">QQQII", hdr, 72, incompat, 0, 0, refcount_order, hlen)
    pos = hlen
    if backing_fmt:
        f = backing_fmt.encode()
        struct.pack_into(">II", hdr, pos, 0xE2792ACA, len(f))
        hdr[pos + 8:pos + 8 + len(f)] = f
        pos += 8 + (len(f) + 7) // 8 * 8
    pos += 8  # end of extensions
    if backing:
        name = backing.encode()
        struct.pack_into(">QI", hdr, 8, pos, len(name))
        hdr[pos:pos + len(name)] = name
    rt = bytearray(cs)
    struct.pack_into(">Q", rt, 0, 2 * cs)
    out = bytes(hdr) + bytes(rt) + bytes(rb) + bytes(l1) + bytes(l2t) + data + bytes(cs)
    out = out[:comp_off] + comp
    out += bytes(-len(out) % cs) + extra
    return out


def qcow2_seeds():
    t = "fuzz_qcow2"
    write(t, "v3-4k", qcow2_image())
    write(t, "v2-512-backing-raw", qcow2_image(version=2, cb=9, vsize=32768, backing="raw",
                                               l2={0: "data", 1: "compressed", 5: "data"}))
    write(t, "v3-backing-fmt", qcow2_image(backing="raw", backing_fmt="raw", vsize=1 << 20))
    write(t, "v3-backing-loop", qcow2_image(backing="self", vsize=8192))
    write(t, "v3-refcount-1bit", qcow2_image(refcount_order=0))
    write(t, "v3-refcount-64bit", qcow2_image(refcount_order=6, vsize=3 << 20))
    write(t, "v3-64k-big", qcow2_image(cb=16, vsize=1 << 33, l2={0: "data", 7: "zero"}))
    write(t, "v3-corrupt-flag", qcow2_image(incompat=2))
    write(t, "v3-snapshots", qcow2_image(nb_snapshots=1))
    write(t, "v3-l2-past-eof", qcow2_image(l2={0: 1000 * 4096 | Q_COPIED, 1: 4096 * 3 + 1}))
    write(t, "v2-truncated", qcow2_image(version=2)[:4096 * 3 + 8])


# -------------------------------------------------------------- fuzz_stream
# Opcodes (fuzz_stream.c).
S_BYTES, S_FRAME, S_HEADER, S_PUMP, S_NIC, S_GUEST = range(6)


def s_frame(length, piece, pump=False, big=False, over=False):
    how = (1 if length >= 65536 else 0) | (2 if over else 0) | (4 if pump else 0)
    return u8(S_FRAME) + u8(how) + u16(length) + u16(piece - 1)


def s_bytes(data):
    out = b""
    for i in range(0, len(data), 256):
        chunk = data[i:i + 256]
        out += u8(S_BYTES) + u8(len(chunk) - 1) + chunk
    return out


def stream_seeds():
    t = "fuzz_stream"
    frame = struct.pack(">I", 60) + bytes(range(60))
    write(t, "frames-whole", s_frame(60, 64) + s_frame(1514, 1518) + u8(S_PUMP) + u8(0))
    write(t, "frames-bytewise", s_frame(42, 1, pump=True) + s_frame(100, 3, pump=True))
    write(t, "raw-pieces", s_bytes(frame[:2]) + u8(S_PUMP) + u8(1) + s_bytes(frame[2:30]) +
          u8(S_PUMP) + u8(0) + s_bytes(frame[30:] + frame) + u8(S_PUMP) + u8(0))
    write(t, "empty-frames", u8(S_HEADER) + u32(0) + u8(S_HEADER) + u32(0) + s_frame(60, 64))
    write(t, "max-frame", s_frame(65536 + 4096 - 65536 + 65536, 4096))
    write(t, "oversized", s_frame(60, 64) + u8(S_FRAME) + u8(3) + u16(0xFFFF) + u16(99) +
          s_frame(60, 64))
    write(t, "oversized-header", u8(S_HEADER) + struct.pack("<I", 0x01000000) + s_frame(60, 64))
    write(t, "flow-control", u8(S_NIC) + u8(0) + b"".join(s_frame(1514, 700) for _ in range(40)) +
          u8(S_PUMP) + u8(3) + u8(S_NIC) + u8(1) + u8(S_PUMP) + u8(3))
    write(t, "guest-frames", u8(S_GUEST) + u8(7) + u8(S_PUMP) + u8(3) + s_frame(60, 64) +
          u8(S_GUEST) + u8(3) + u8(S_PUMP) + u8(1))


# ----------------------------------------------------------------- fuzz_fw_cfg
# Opcodes (fuzz_fw_cfg.c) and keys by their index in its keys table.
FW_SEL, FW_READ, FW_IN, FW_OUT, FW_RAM, FW_DMA, FW_RESET = range(7)
FK_SIG, FK_ID, FK_DIR, FK_SEVEN, FK_ACPI, FK_BIG, FK_NONE = 0, 1, 6, 8, 9, 10, 11
FW_CTL_READ, FW_CTL_SKIP, FW_CTL_SELECT, FW_CTL_WRITE = 2, 4, 8, 16


def fw_addr(kind, v):  # pick_addr: 0 in RAM, 1 near its end, 2 past it, 3 near the other
    return u8(kind) + u32(v)


def fw_len(kind, v):  # pick_len: 0 <16, 1 <8192, 2 ~4 GiB, 3 ~RAM size, 4 any
    return u8(kind) + u32(v)


def fw_dma(at, ctl, key, length, addr):
    return u8(FW_DMA) + at + u8(ctl) + u8(key) + length + addr


def fw_cfg_seeds():
    t = "fuzz_fw_cfg"
    write(t, "signature-id", u8(FW_SEL) + u8(FK_SIG) + u8(FW_READ) + u8(3) +
          u8(FW_SEL) + u8(FK_ID) + u8(FW_READ) + u8(0x40 | 1) + u8(FW_IN) + u8(0x24))
    write(t, "directory", u8(FW_SEL) + u8(FK_DIR) + u8(FW_READ) + u8(63) + u8(FW_READ) + u8(63) +
          u8(FW_SEL) + u8(FK_SEVEN) + u8(FW_READ) + u8(12))
    here = fw_addr(6, 0x100)
    write(t, "dma-read", fw_dma(here, FW_CTL_SELECT | FW_CTL_READ, FK_DIR, fw_len(1, 4 + 4 * 64),
                                fw_addr(0, 0x2000)) +
          fw_dma(here, FW_CTL_SELECT | FW_CTL_READ, FK_BIG, fw_len(1, 6000), fw_addr(0, 0x3000)))
    write(t, "dma-skip-read", fw_dma(here, FW_CTL_SELECT | FW_CTL_SKIP, FK_ACPI, fw_len(1, 100),
                                     fw_addr(0, 0)) +
          fw_dma(here, FW_CTL_READ, 0, fw_len(1, 600), fw_addr(0, 0x2000)) +
          u8(FW_READ) + u8(4))
    write(t, "reset", u8(FW_SEL) + u8(FK_SEVEN) + u8(FW_READ) + u8(2) + u8(FW_RESET) +
          u32(0x12345678) + u8(FW_READ) + u8(3) +
          fw_dma(here, FW_CTL_READ, 0, fw_len(0, 4), fw_addr(0, 0x2000)))
    write(t, "dma-write", fw_dma(here, FW_CTL_SELECT | FW_CTL_WRITE, FK_SEVEN | 0x40,
                                 fw_len(0, 7), fw_addr(0, 0x2000)))
    write(t, "dma-hostile", fw_dma(fw_addr(1, 4), FW_CTL_READ, 0, fw_len(0, 4), fw_addr(0, 0)) +
          fw_dma(here, FW_CTL_SELECT | FW_CTL_READ, FK_BIG, fw_len(2, 0), fw_addr(0, 0x8000)) +
          fw_dma(here, FW_CTL_SELECT | FW_CTL_READ, FK_SEVEN, fw_len(0, 15), fw_addr(3, 0)) +
          fw_dma(here, FW_CTL_SELECT | FW_CTL_READ, FK_BIG, fw_len(1, 64), fw_addr(1, 8)) +
          fw_dma(fw_addr(2, 0), FW_CTL_READ, 0, fw_len(0, 4), fw_addr(0, 0)) +
          fw_dma(here, FW_CTL_SELECT | FW_CTL_READ, FK_NONE, fw_len(3, 0), fw_addr(0, 0)))
    write(t, "ports", u8(FW_OUT) + u8(0x10) + u32(FK_SEVEN + 0x20 - 8) + u8(FW_READ) + u8(0x80 | 9) +
          u8(FW_OUT) + u8(0x24) + u32(0) + u8(FW_OUT) + u8(0x01) + u32(0x55) +
          u8(FW_IN) + u8(0x04) + u8(FW_IN) + u8(0x28) + u8(FW_RAM) + u16(0x40) + u8(3) + b"abc")


# ----------------------------------------------------------------- fuzz_vga
# Opcodes (fuzz_vga.c); VBE values by their index in its vbe_vals table.
(V_REG, V_OUT, V_IN, V_VBE, V_VBE_MMIO, V_MODE, V_WIN_WRITE, V_WIN_READ, V_LFB, V_MMIO, V_CLOCK,
 V_UPDATE, V_TEXT_MODE, V_RESET) = range(14)
VV = {0: 0, 1: 1, 8: 4, 320: 10, 640: 11, 1024: 12, 1600: 13, 4096: 15, 4097: 16, 0xFFFF: 19}


def v_mode(bpp_idx, xres, yres, flags=0, vw=None, xo=None, yo=None):
    how = bpp_idx | flags | (0x40 if vw is not None else 0)
    out = u8(V_MODE) + u8(how) + u8(1 if xo is not None else 0) + u8(VV[xres]) + u8(VV[yres])
    if vw is not None:
        out += u8(VV[vw])
    if xo is not None:
        out += u8(VV[xo]) + u8(VV[yo])
    return out


def v_reg(kind, idx, val):
    return u8(V_REG) + u8(kind) + u8(idx) + u8(val)


def v_update(full=1):
    return u8(V_UPDATE) + u8(full)


def vga_seeds():
    t = "fuzz_vga"
    write(t, "text-mode", u8(V_TEXT_MODE) + u8(V_WIN_WRITE) + u8(0x80 | (15 << 2) | 2) +
          u16(0xC000) + b"".join(u32(0x1F411F41 + i) for i in range(16)) + v_update(1) +
          v_reg(3, 0x0E, 0) + v_reg(3, 0x0F, 3) + u8(V_CLOCK) + u16(3000) + v_update(0))
    write(t, "vbe-32bpp", v_mode(5 * 0 + 5, 640, 320) + u8(V_LFB) + u32(0x1000) + u8(31) +
          u32(0x00FF8040) + v_update(1) + u8(V_LFB) + u32(640 * 4 * 100) + u8(7) + u32(7) +
          v_update(0))
    write(t, "vbe-huge", v_mode(5, 4096, 4096, vw=0xFFFF, xo=0xFFFF, yo=0xFFFF) + v_update(1) +
          v_mode(2, 4097, 0xFFFF) + v_update(1) + v_mode(0, 1, 0) + v_update(1))
    write(t, "vbe-banked", v_mode(1, 320, 320, flags=0x08) + u8(V_VBE) + u8(5) + u8(0x80) +
          u16(0xFFFF) + u8(V_WIN_WRITE) + u8(0x80 | (31 << 2) | 2) + u16(0x7000) +
          b"".join(u32(i * 0x01010101) for i in range(32)) + u8(V_WIN_READ) + u8(30 << 2) +
          u16(0) + v_update(1))
    write(t, "vbe-mmio", u8(V_VBE_MMIO) + u8(1) + u8(VV[1600]) + u8(V_VBE_MMIO) + u8(2) +
          u8(VV[1024]) + u8(V_VBE_MMIO) + u8(3) + u8(8) + u8(V_VBE_MMIO) + u8(4) + u8(VV[1]) +
          u8(V_MMIO) + u8(4) + u16(0x600) + u8(V_MMIO) + u8(0) + u16(0x400 + 0x14) + u32(0x20) +
          v_update(1))
    # mode 12h-like planar graphics: GR5 write mode 2, GR6 graphics at A0000, SR2 all planes
    planar = (v_reg(0, 4, 0x06) + v_reg(0, 2, 0x0F) + v_reg(1, 5, 0x02) + v_reg(1, 6, 0x05) +
              v_reg(1, 8, 0xFF) + v_reg(3, 0x01, 79) + v_reg(3, 0x12, 0xDF) + v_reg(3, 0x13, 40) +
              v_reg(3, 0x09, 0x00) + v_reg(3, 0x17, 0xE3) + v_reg(2, 0x12, 0x0F) +
              v_reg(2, 0x20, 0x20))
    write(t, "planar", planar + u8(V_WIN_WRITE) + u8(0x80 | (31 << 2)) + u16(0) +
          b"".join(u32(i) for i in range(32)) + v_reg(1, 5, 0x08) + v_reg(1, 2, 0x05) +
          u8(V_WIN_READ) + u8(8 << 2) + u16(0) + v_reg(1, 3, 0x18) + v_reg(1, 5, 0x03) +
          u8(V_WIN_WRITE) + u8(10 << 2) + u16(8) + v_update(1))
    # mode 13h-like: chain-4, 256 colours
    write(t, "mode13", v_reg(0, 4, 0x0E) + v_reg(1, 5, 0x40) + v_reg(1, 6, 0x05) +
          v_reg(3, 0x01, 79) + v_reg(3, 0x12, 0x8F) + v_reg(3, 0x09, 0x41) + v_reg(3, 0x13, 40) +
          v_reg(2, 0x20, 0x20) + v_reg(4, 0, 7) + bytes(range(24)) + u8(V_WIN_WRITE) +
          u8(0x80 | (31 << 2) | 2) + u16(0x100) + bytes(range(128)) + v_update(1) +
          u8(V_RESET) + v_update(1))


# ---------------------------------------------------------------- fuzz_pc
# Opcodes (fuzz_pc.c); ports named raw (selector 0xF0), not by index.
PC_OUT, PC_IN, PC_OUTS, PC_MEM, PC_RAM, PC_PCICFG, PC_INTA, PC_CLOCK, PC_KEY, PC_MOUSE, \
    PC_SERIAL, PC_POWER, PC_RESET, PC_INTX = range(14)
PC_PM_BASE = 0x600


def pc_out(port, val, size=0):
    return u8(PC_OUT) + u8(0xF0) + u16(port) + u8(size) + u32(val)


def pc_in(port, size=0):
    return u8(PC_IN) + u8(0xF0) + u16(port) + u8(size)


def pc_outs(port, values, size=0):
    pack = (u8, u16, u32)[size]
    return u8(PC_OUTS) + u8(0xF0) + u16(port) + u8(size) + u8(len(values) - 1) + \
        b"".join(pack(v) for v in values)


def pc_mem(size, at, off, write=None):
    """A memory access of 1 << size bytes at fuzz_pc.c's mem_operand place at[at] + off."""
    return (u8(PC_MEM) + u8(size | (4 if write is not None else 0)) + u8(0x80 | at) + u16(off) +
            (u32(write) if write is not None else b""))


PC_CFG_REGS = [0x04, 0x10, 0x14, 0x18, 0x1C, 0x20, 0x24, 0x3C, 0x3D, 0x40, 0x41, 0x58, 0x5B,
               0x60, 0x61, 0x62, 0x63, 0x80, 0x30]  # fuzz_pc.c's cfg_regs: selectors below 19


def pc_cfg(devsel, reg, val, size):
    """devsel: 0 host bridge, 1 ISA bridge, 2 IDE, 3 PM, 4 and 5 the harness's functions."""
    sel = PC_CFG_REGS.index(reg) if reg < len(PC_CFG_REGS) else reg
    return u8(PC_PCICFG) + u8(devsel) + u8(sel) + u8(size) + u32(val)


def pc_clock(ns):
    shift = 0
    while ns >> shift > 0xFFFF:
        shift += 1
    return u8(PC_CLOCK) + u8(shift) + u16(ns >> shift)


def pc_pic_init():
    return (pc_out(0x20, 0x11) + pc_out(0x21, 0x08) + pc_out(0x21, 0x04) + pc_out(0x21, 0x01) +
            pc_out(0xA0, 0x11) + pc_out(0xA1, 0x70) + pc_out(0xA1, 0x02) + pc_out(0xA1, 0x01) +
            pc_out(0x21, 0x00) + pc_out(0xA1, 0x00))


def pc_seeds():
    t = "fuzz_pc"
    inta = u8(PC_INTA)
    eoi = pc_out(0xA0, 0x20) + pc_out(0x20, 0x20)
    # the PIT's channel 0 at 1 kHz into IRQ0, acknowledged and ended
    write(t, "pic-pit", pc_pic_init() + pc_out(0x43, 0x34) + pc_out(0x40, 0xA9) +
          pc_out(0x40, 0x04) + pc_clock(2000000) + inta + eoi + pc_clock(1000000) + inta +
          pc_out(0x43, 0xC2) + pc_in(0x40) + pc_out(0x43, 0x00) + pc_in(0x40) + pc_in(0x40) +
          pc_out(0x20, 0x0B) + pc_in(0x20) + eoi)
    # channel 2 through port 0x61's gate, modes 0 to 5, read back
    pit2 = pc_out(0x61, 0x01)
    for mode in range(6):
        pit2 += (pc_out(0x43, 0xB0 | mode << 1) + pc_out(0x42, 0x10) + pc_out(0x42, 0x00) +
                 pc_clock(5000) + pc_out(0x61, 0x00) + pc_out(0x61, 0x01) + pc_in(0x61) +
                 pc_out(0x43, 0xE8) + pc_in(0x42))
    write(t, "pit-modes", pit2)
    # the RTC's periodic, alarm and update interrupts through the slave PIC
    write(t, "rtc-interrupts", pc_pic_init() + pc_out(0x70, 0x0A) + pc_out(0x71, 0x23) +
          pc_out(0x70, 0x0B) + pc_out(0x71, 0x72) + pc_out(0x70, 0x01) + pc_out(0x71, 0xFF) +
          pc_out(0x70, 0x03) + pc_out(0x71, 0xFF) + pc_out(0x70, 0x05) + pc_out(0x71, 0xFF) +
          pc_clock(1500000000) + inta + pc_out(0x70, 0x0C) + pc_in(0x71) + eoi +
          pc_out(0x70, 0x32) + pc_out(0x71, 0x29) + pc_out(0x70, 0x00) + pc_in(0x71))
    # COM1 at 115200 8N1 with FIFOs: output, loopback, input from the host
    write(t, "uart", pc_pic_init() + pc_out(0x3FB, 0x80) + pc_out(0x3F8, 0x01) +
          pc_out(0x3F9, 0x00) + pc_out(0x3FB, 0x03) + pc_out(0x3FA, 0xC7) + pc_out(0x3F9, 0x0F) +
          pc_out(0x3FC, 0x0B) + pc_outs(0x3F8, list(b"hello, world\r\n")) +
          u8(PC_SERIAL) + u8(19) + b"typed on the console" + pc_clock(2000000) + inta +
          pc_in(0x3FA) + pc_in(0x3FD) + pc_in(0x3F8) + pc_out(0x3FC, 0x1B) +
          pc_outs(0x3F8, list(range(20))) + pc_in(0x3FA) + pc_out(0x3FA, 0x00) + pc_in(0x3F8) +
          pc_in(0x3FE) + eoi)
    # the i8042: self test, command byte, keyboard and mouse on, input, reset pulse
    write(t, "i8042", pc_pic_init() + pc_out(0x64, 0xAA) + pc_in(0x60) + pc_out(0x64, 0x60) +
          pc_out(0x60, 0x47) + pc_out(0x64, 0xA8) + pc_out(0x64, 0xD4) + pc_out(0x60, 0xF4) +
          pc_in(0x60) + pc_out(0x60, 0xF0) + pc_out(0x60, 0x02) + pc_in(0x60) +
          u8(PC_KEY) + u8(30) + u8(PC_KEY) + u8(0x80 | 30) + u8(PC_MOUSE) + u8(3) + u8(0xFD) +
          u8(0) + u8(1) + inta + pc_in(0x64) + pc_in(0x60) + inta + pc_in(0x60) +
          pc_out(0x64, 0xD1) + pc_out(0x60, 0xDD) + pc_out(0x64, 0xFE) + pc_in(0x64))
    # the mouse as Linux's psmouse probes it (IntelliMouse, then Explorer),
    # its modes and status, and bytes the controller echoes to either port
    mouse = lambda *b: b"".join(pc_out(0x64, 0xD4) + pc_out(0x60, v) + pc_in(0x60) for v in b)
    write(t, "i8042-mouse", pc_out(0x64, 0x60) + pc_out(0x60, 0x47) + pc_out(0x64, 0xA8) +
          mouse(0xFF, 0xF6, 0xF3, 200, 0xF3, 100, 0xF3, 80, 0xF2, 0xF3, 200, 0xF3, 200, 0xF3, 80,
                0xF2, 0xE8, 3, 0xE7, 0xE6, 0xE9, 0xF0, 0xEB, 0xEA, 0xF4) +
          u8(PC_MOUSE) + u8(5) + u8(0xFB) + u8(1) + u8(4) + pc_in(0x60) + pc_in(0x60) +
          pc_in(0x60) + pc_in(0x60) + mouse(0xF5) + pc_out(0x64, 0xD2) + pc_out(0x60, 0x1C) +
          pc_in(0x60) + pc_out(0x64, 0xD3) + pc_out(0x60, 0x08) + pc_in(0x64) + pc_in(0x60))
    # PIIX4 power management: the PM block placed, SCI on, timer overflow and
    # the power button, then soft off
    pm = PC_PM_BASE
    write(t, "acpi-pm", pc_pic_init() + pc_cfg(1, 0x60, 0x09, 0) + pc_cfg(3, 0x40, pm | 1, 2) +
          pc_cfg(3, 0x80, 0x01, 0) + pc_out(0xB2, 0xF1) + pc_out(pm + 4, 0x0001, 1) +
          pc_out(pm + 2, 0x0101, 1) + pc_clock(3000000000) + inta + pc_in(pm, 1) +
          pc_out(pm, 0x0001, 1) + u8(PC_POWER) + pc_in(pm, 1) + pc_out(pm, 0x0100, 1) +
          pc_in(pm + 8, 2) + eoi + pc_out(pm + 4, 0x2001, 1))
    # blocks moved over other chips' ports and away again, then resets
    write(t, "pci-moves", pc_cfg(3, 0x40, 0xCC1, 2) + pc_cfg(3, 0x80, 0x01, 0) +
          pc_out(0xCF8, 0x80000000, 2) + pc_in(0xCFC, 2) + pc_cfg(3, 0x40, 0x601, 2) +
          pc_out(0xCF8, 0x80000800, 2) + pc_in(0xCFC, 2) + pc_cfg(2, 0x20, 0x61, 2) +
          pc_cfg(2, 0x04, 0x05, 1) + pc_out(0x60, 0xFF) + pc_in(0x64) + pc_cfg(2, 0x20, 0xC001, 2) +
          pc_in(0x64) + pc_out(0x92, 0x02) + pc_out(0xCF9, 0x06) + pc_in(0xCF8, 2) +
          u8(PC_RESET) + pc_out(0x92, 0x01))
    # fw_cfg: the signature, then a DMA read through a descriptor in RAM
    be32 = lambda v: struct.pack(">I", v)
    desc = be32(0x0A) + be32(4) + struct.pack(">Q", 0x8000)  # select 0, read 4 bytes
    write(t, "fw-cfg", pc_out(0x510, 0x0000, 1) + pc_outs(0x511, [0] * 4) + pc_in(0x511) +
          pc_in(0x511) + u8(PC_RAM) + u32(0x7000) + u8(len(desc) - 1) + desc +
          pc_out(0x514, 0, 2) + pc_out(0x518, 0x00700000, 2) + pc_in(0x514, 2))
    # the harness's two functions: BARs and ROM placed, INTx routed to IRQ 10
    # and 11 (level), raised and lowered, rerouted and disabled while raised,
    # and a reset while raised
    intx = lambda fn, level: u8(PC_INTX) + u8(fn | level << 1)
    fns = b""
    for fn in (4, 5):
        fns += (pc_cfg(fn, 0x10, 0xE0000000 + (fn - 4) * 0x1000, 2) +
                pc_cfg(fn, 0x14, 0xC101 + (fn - 4) * 0x20, 2) +
                pc_cfg(fn, 0x30, 0xE0100001 + (fn - 4) * 0x1000, 2) + pc_cfg(fn, 0x04, 0x07, 1))
    write(t, "pci-intx", pc_pic_init() + pc_out(0x4D1, 0x0C) + pc_cfg(1, 0x60, 0x0B0B0A0A, 2) +
          fns + intx(0, 1) + inta + pc_mem(2, 7, 0x10) + pc_in(0xC104, 1) +
          intx(1, 1) + pc_in(0x20) + pc_cfg(1, 0x61, 0x80, 0) + pc_cfg(4, 0x04, 0x0407, 1) +
          intx(0, 0) + pc_cfg(4, 0x04, 0x07, 1) + pc_cfg(1, 0x63, 0x0A, 0) + eoi +
          u8(PC_RESET) + intx(1, 0) + intx(0, 1))
    # memory space around RAM's end and in the legacy hole
    # (at: 0 the VGA hole, 2 the BIOS area, 3 RAM's last 8 bytes, 6 the top ROM)
    write(t, "memory", pc_mem(2, 3, 6, 0x12345678) + pc_mem(2, 3, 6) + pc_mem(1, 0, 0x8000) +
          pc_mem(1, 0, 0x8000, 0xBEEF) + pc_mem(0, 2, 0, 1) + pc_mem(2, 6, 0x10))


e1000_seeds()
options_seeds()
gdbstub_seeds()
dns_seeds()
linuxboot_seeds()
multiboot_seeds()
rtl8139_seeds()
ide_seeds()
qcow2_seeds()
stream_seeds()
fw_cfg_seeds()
vga_seeds()
pc_seeds()
