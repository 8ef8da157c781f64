#!/usr/bin/env bash
# Two wirebox guests on seven wires at once, one per kind of socket backend,
# in a network namespace of the test's own (only its loopback is used):
#   eth0 -netdev socket,listen= / connect=       TCP, QEMU's framing
#   eth1 -netdev socket,mcast=                   UDP multicast on lo
#   eth2 -netdev socket,udp=,localaddr=          UDP between the two
#   eth3 -netdev stream (inet), reconnect=1      both ends connect to a third
#   eth4 -netdev stream (unix), reconnect=1      wirebox with stream servers
#                                                on hubs (no guest: a switch)
#   eth5 -netdev dgram (unix datagram sockets)
#   eth6 -netdev vde                             ports of one vde_switch
# Each guest pings the other on every wire; guest A then downloads 16 MiB
# from guest B over every wire and its MD5 must match. Before the transfers
# over eth3 and eth4 the switch wirebox (whose stream servers the guests
# connected to) is killed and started again: the guests' stream clients
# reconnect, its servers accept them, and traffic resumes.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=tests/integration/netlib.sh
source "$(dirname "${BASH_SOURCE[0]}")/netlib.sh"

: "${WB_BYTES:=16777216}"
WB_TIMEOUT=${WB_TIMEOUT_WIRES:-1500}
require_guest
require_root
command -v vde_switch >/dev/null || fail "vde_switch not found (tools/setup installs vde2)"
netns_new NS
T=$NET_TMP
make_halt_rom
EXPECT_MD5=$(served_md5 "$WB_BYTES")

# The switch: stream servers on two hubs, one pair for inet, one for unix.
start_switch() {
    ip netns exec "$NS" timeout "$WB_TIMEOUT" "$WIREBOX" -m 16 -bios "$HALT_ROM" -nodefaults \
        -display none \
        -netdev stream,id=ia,server=on,addr.type=inet,addr.host=127.0.0.1,addr.port=7001 \
        -netdev stream,id=ib,server=on,addr.type=inet,addr.host=127.0.0.1,addr.port=7002 \
        -netdev hubport,id=pia,hubid=0,netdev=ia -netdev hubport,id=pib,hubid=0,netdev=ib \
        -netdev "stream,id=ua,server=on,addr.type=unix,addr.path=$T/sw-a" \
        -netdev "stream,id=ub,server=on,addr.type=unix,addr.path=$T/sw-b" \
        -netdev hubport,id=pua,hubid=1,netdev=ua -netdev hubport,id=pub,hubid=1,netdev=ub \
        </dev/null >>"$LOGDIR/switch.log" 2>&1 &
    SWITCH_PID=$!
    NET_PIDS+=($!)
    for _ in $(seq 1 100); do
        [ -S "$T/sw-a" ] && [ -S "$T/sw-b" ] && return 0
        sleep 0.1
    done
    fail "the switch wirebox did not start (see $LOGDIR/switch.log)"
}
: >"$LOGDIR/switch.log"
start_switch
ip netns exec "$NS" vde_switch -s "$T/vde" -d -p "$T/vde.pid" </dev/null ||
    fail "vde_switch did not start"
for _ in $(seq 1 100); do [ -S "$T/vde/ctl" ] && break; sleep 0.1; done
[ -S "$T/vde/ctl" ] || fail "vde_switch made no control socket"

# side X: its netdevs (the NICs' MACs differ between the two guests).
nics() {
    local x=$1 mine peer mcast
    [ "$x" = a ] && mine=1 || mine=2
    [ "$x" = a ] && peer=b || peer=a
    mcast="mcast=239.255.42.1:7100,localaddr=127.0.0.1"
    if [ "$x" = b ]; then
        echo "-netdev socket,id=n0,listen=127.0.0.1:7000"
    else
        echo "-netdev socket,id=n0,connect=127.0.0.1:7000"
    fi
    echo "-netdev socket,id=n1,$mcast"
    echo "-netdev socket,id=n2,udp=127.0.0.1:$((7200 + (3 - mine))),localaddr=127.0.0.1:$((7200 + mine))"
    echo "-netdev stream,id=n3,addr.type=inet,addr.host=127.0.0.1,addr.port=$((7000 + mine)),reconnect=1"
    echo "-netdev stream,id=n4,addr.type=unix,addr.path=$T/sw-$x,reconnect=1"
    echo "-netdev dgram,id=n5,local.type=unix,local.path=$T/dg-$x,remote.type=unix,remote.path=$T/dg-$peer"
    echo "-netdev vde,id=n6,sock=$T/vde"
    for i in 0 1 2 3 4 5 6; do
        echo "-device e1000,netdev=n$i,mac=52:54:00:0$mine:00:0$i"
    done
}
IFS=$'\n' read -r -d '' -a NICS_A < <(nics a | tr ' ' '\n') || true
IFS=$'\n' read -r -d '' -a NICS_B < <(nics b | tr ' ' '\n') || true
IFACES=eth0,eth1,eth2,eth3,eth4,eth5,eth6
ips() { # X: this side's addresses (10.0.1X.N/24 per wire)
    local n=$1 out= i
    for i in 1 2 3 4 5 6 7; do out="${out:+$out,}10.0.1$i.$n/24"; done
    echo "$out"
}
peers() {
    local n=$1 out= i
    for i in 1 2 3 4 5 6 7; do out="${out:+$out,}10.0.1$i.$n"; done
    echo "$out"
}

start_guest b "$NS" "wb.cmd=peer wb.ifs=$IFACES wb.ip=$(ips 2) wb.peer=$(peers 1) wb.serve=on wb.bytes=$WB_BYTES" \
    "${NICS_B[@]}"
# A connects to B's socket,listen=: wait until B's netdevs exist (the kernel talks).
wait_log "$LOGDIR/b.log" "Linux version" 300 "${GUEST_PID[b]}"
start_guest a "$NS" "wb.cmd=peer wb.ifs=$IFACES wb.ip=$(ips 1) wb.peer=$(peers 2) wb.fetch=on wb.bounce=eth3,eth4" \
    "${NICS_A[@]}"

# Restart the switch before each stream wire's transfer, while guest A waits.
for ifc in eth3 eth4; do
    wait_log "$LOGDIR/a.log" "WIREBOX-BOUNCE-WAIT: $ifc" "$WB_TIMEOUT" "${GUEST_PID[a]}"
    note "restarting the switch wirebox (stream servers) before $ifc's transfer"
    kill "$SWITCH_PID"
    wait "$SWITCH_PID" 2>/dev/null || true
    wait_log "$LOGDIR/a.log" "WIREBOX-LINK-LOST: $ifc" 300 "${GUEST_PID[a]}"
    start_switch
    wait_log "$LOGDIR/a.log" "WIREBOX-LINK-BACK: $ifc" 300 "${GUEST_PID[a]}"
done

wait_guest a
A_RC=$WB_RC
wait_guest b
B_RC=$WB_RC
WB_LAST_LOG=$LOGDIR/a.log
expect_ok peer
WB_LAST_LOG=$LOGDIR/b.log
expect_ok peer
[ "$A_RC" = 0 ] && [ "$B_RC" = 0 ] || fail "the guests exited with $A_RC and $B_RC"
names=(socket-tcp socket-mcast socket-udp stream-inet stream-unix dgram-unix vde)
for i in 0 1 2 3 4 5 6; do
    expect_in "$LOGDIR/a.log" "WIREBOX-PEER: eth$i 10.0.1$((i + 1)).2 up" "guest A (${names[$i]})"
    expect_in "$LOGDIR/b.log" "WIREBOX-PEER: eth$i 10.0.1$((i + 1)).1 up" "guest B (${names[$i]})"
    expect_in "$LOGDIR/a.log" "WIREBOX-FETCH: eth$i $WB_BYTES $EXPECT_MD5" \
        "guest A's download over ${names[$i]}"
done
# The stream clients really reconnected: each connected three times, and
# the switch's servers took the next connection after a restart.
for x in a b; do
    for n in n3 n4; do
        c=$(grep -c "netdev $n: connected to" "$LOGDIR/$x.log.stderr" || true)
        [ "$c" -ge 3 ] || fail "guest $x's $n connected $c times (expected 3: start, two restarts)"
    done
done
c=$(grep -c "netdev ia: connection from" "$LOGDIR/switch.log" || true)
[ "$c" -ge 3 ] || fail "the switch's inet server took $c connections over three runs"
note "ok: ping and $WB_BYTES bytes (md5 $EXPECT_MD5) over ${names[*]}"
