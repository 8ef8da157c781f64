#!/usr/bin/env bash
# wirebox on QEMU's wires, and on passt. A wirebox guest (W) and a
# qemu-system-i386 guest (Q, Debian's QEMU, the same guest image) share:
#   eth0 -netdev socket: Q listens, W connects (QEMU's 4-byte length framing)
#   eth1 -netdev stream (inet): Q is the server, W the client
# They ping each other on both and W downloads 1 MiB from Q over each.
#   eth2 -netdev stream (unix) to Debian's passt, one passt per guest: each
#        gets its address by DHCP from passt, and W's lease is Q's lease.
# Everything runs in a network namespace of the test's own. passt copies
# the namespace's uplink, one end of a veth pair with 192.0.2.10/24 and a
# default route to 192.0.2.1, whose other end has no address: nothing can
# leave the namespace. The guests send passt nothing but DHCP (traffic to
# passt's gateway would go out through passt).
# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=tests/integration/netlib.sh
source "$(dirname "${BASH_SOURCE[0]}")/netlib.sh"

: "${QEMU:=qemu-system-i386}"
require_guest
require_root
command -v "$QEMU" >/dev/null 2>&1 || fail "$QEMU not found (tools/setup installs qemu-system-x86)"
command -v passt >/dev/null 2>&1 || fail "passt not found (tools/setup installs it)"
netns_new NS
T=$NET_TMP
# A veth pair inside the namespace stands for the host's uplink: whatever
# goes to the gateway ends at the other end, in the namespace too.
ip -n "$NS" link add wbup0 type veth peer name wbup1
ip -n "$NS" addr add 192.0.2.10/24 dev wbup0
ip -n "$NS" link set wbup0 up
ip -n "$NS" link set wbup1 up
ip -n "$NS" route add default via 192.0.2.1

# passt drops root for nobody before it makes its socket: a directory it may write.
chmod 0711 "$T"
mkdir -m 0777 "$T/passt"
for i in 1 2; do
    ip netns exec "$NS" passt -f -e -q -s "$T/passt/$i.sock" \
        </dev/null >"$LOGDIR/passt$i.log" 2>&1 &
    NET_PIDS+=($!)
done
for i in 1 2; do
    for _ in $(seq 1 100); do [ -S "$T/passt/$i.sock" ] && break; sleep 0.1; done
    [ -S "$T/passt/$i.sock" ] || fail "passt $i made no socket (see $LOGDIR/passt$i.log)"
done

PEER="wb.cmd=peer wb.ifs=eth0,eth1,eth2 wb.bytes=1048576"
# Q: the servers of both wires; serves the data and waits for W to finish.
: >"$LOGDIR/qemu.log"
ip netns exec "$NS" timeout --kill-after=10 "$WB_TIMEOUT" "$QEMU" -m 256 -accel tcg \
    -kernel "$GUEST/vmlinuz" -initrd "$GUEST/initrd.gz" \
    -append "console=ttyS0 nokaslr $PEER wb.ip=10.0.31.2/24,10.0.32.2/24,dhcp wb.peer=10.0.31.1,10.0.32.1,- wb.serve=on" \
    -nographic -no-reboot \
    -netdev socket,id=n0,listen=127.0.0.1:7300 -device e1000,netdev=n0,mac=52:54:00:00:31:02 \
    -netdev stream,id=n1,server=on,addr.type=inet,addr.host=127.0.0.1,addr.port=7301 \
    -device e1000,netdev=n1,mac=52:54:00:00:32:02 \
    -netdev "stream,id=n2,server=off,addr.type=unix,addr.path=$T/passt/2.sock" \
    -device e1000,netdev=n2,mac=52:54:00:00:33:02 \
    </dev/null >"$LOGDIR/qemu.log" 2>"$LOGDIR/qemu.log.stderr" &
GUEST_PID[qemu]=$!
NET_PIDS+=($!)
wait_log "$LOGDIR/qemu.log" "Linux version" 120 "${GUEST_PID[qemu]}"

start_guest wirebox "$NS" "$PEER wb.ip=10.0.31.1/24,10.0.32.1/24,dhcp wb.peer=10.0.31.2,10.0.32.2,- wb.fetch=on" \
    -netdev socket,id=n0,connect=127.0.0.1:7300 -device e1000,netdev=n0,mac=52:54:00:00:31:01 \
    -netdev stream,id=n1,addr.type=inet,addr.host=127.0.0.1,addr.port=7301 \
    -device e1000,netdev=n1,mac=52:54:00:00:32:01 \
    -netdev "stream,id=n2,addr.type=unix,addr.path=$T/passt/1.sock" \
    -device e1000,netdev=n2,mac=52:54:00:00:33:01
wait_guest wirebox
W_RC=$WB_RC
wait_guest qemu
Q_RC=$WB_RC
EXPECT_MD5=$(served_md5 1048576)
for g in wirebox qemu; do
    WB_LAST_LOG=$LOGDIR/$g.log
    expect_ok peer
done
[ "$W_RC" = 0 ] && [ "$Q_RC" = 0 ] || fail "wirebox exited with $W_RC, QEMU with $Q_RC"
expect_in "$LOGDIR/wirebox.log" "WIREBOX-PEER: eth0 10.0.31.2 up" "wirebox's guest (socket)"
expect_in "$LOGDIR/wirebox.log" "WIREBOX-PEER: eth1 10.0.32.2 up" "wirebox's guest (stream)"
expect_in "$LOGDIR/qemu.log" "WIREBOX-PEER: eth0 10.0.31.1 up" "QEMU's guest (socket)"
expect_in "$LOGDIR/qemu.log" "WIREBOX-PEER: eth1 10.0.32.1 up" "QEMU's guest (stream)"
for i in 0 1; do
    expect_in "$LOGDIR/wirebox.log" "WIREBOX-FETCH: eth$i 1048576 $EXPECT_MD5" "wirebox's download"
done
w_lease=$(grep -a "WIREBOX-DHCP: eth2 " "$LOGDIR/wirebox.log" | tr -d '\r' | head -n 1)
q_lease=$(grep -a "WIREBOX-DHCP: eth2 " "$LOGDIR/qemu.log" | tr -d '\r' | head -n 1)
note "passt's leases: wirebox '${w_lease#WIREBOX-DHCP: }', QEMU '${q_lease#WIREBOX-DHCP: }'"
case "$w_lease" in
"WIREBOX-DHCP: eth2 192.0.2.10/24 router=192.0.2.1"*) ;;
*) fail "wirebox's guest got no lease from passt ('$w_lease')" ;;
esac
[ "$w_lease" = "$q_lease" ] || fail "the leases differ: wirebox '$w_lease', QEMU '$q_lease'"
note "ok"
