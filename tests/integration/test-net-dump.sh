#!/usr/bin/env bash
# -object filter-dump and hubs. One guest with two NICs and a user backend
# on one hub (hub 0): both NICs get their DHCP leases through the hub and
# the guest pings the gateway; filter-dump captures the user backend's
# frames. tshark (Debian's) reads the capture and finds the guest's DHCP
# exchange and its pings with their replies. The run is made twice with
# -icount shift=0,sleep=off: the two captures are byte-identical (their
# timestamps come from the virtual clock).
# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=tests/integration/netlib.sh
source "$(dirname "${BASH_SOURCE[0]}")/netlib.sh"

require_guest
command -v tshark >/dev/null 2>&1 || fail "tshark not found (tools/setup installs it)"

for run in 1 2; do
    rm -f "$LOGDIR/run$run.pcap"
    boot_net "run$run" "wb.cmd=ping wb.ifs=eth0,eth1 wb.ping=10.0.2.2" \
        -icount shift=0,sleep=off \
        -netdev user,id=u0 -netdev hubport,id=up0,hubid=0,netdev=u0 \
        -nic hubport,hubid=0 -nic hubport,hubid=0 \
        -object "filter-dump,id=f0,netdev=u0,file=$LOGDIR/run$run.pcap"
    expect "WIREBOX-DHCP: eth0 10.0.2.15/24 router=10.0.2.2" "eth0's lease (through hub 0)"
    expect "WIREBOX-DHCP: eth1 10.0.2.16/24 router=10.0.2.2" "eth1's lease (through hub 0)"
    expect_ok ping
    expect "3 packets transmitted, 3 packets received" "ping's summary"
    expect_clean_exit
    [ -s "$LOGDIR/run$run.pcap" ] || fail "run $run wrote no capture"
done

P=$LOGDIR/run1.pcap
fields() { # FILTER FIELD...: tshark's fields of the frames matching FILTER
    local filter=$1
    shift
    local args=()
    for f in "$@"; do args+=(-e "$f"); done
    tshark -r "$P" -Y "$filter" -T fields "${args[@]}" 2>/dev/null
}
tshark -r "$P" >"$LOGDIR/run1.txt" 2>&1 || fail "tshark cannot read $P: $(tail -n 1 "$LOGDIR/run1.txt")"
note "tshark reads $(wc -l <"$LOGDIR/run1.txt") frames"
# DHCP: each NIC's Discover, Offer, Request, ACK (option 53: 1, 2, 3, 5).
for mac in 52:54:00:12:34:56 52:54:00:12:34:57; do
    types=$(fields "dhcp && dhcp.hw.mac_addr == $mac" dhcp.option.dhcp | sort -u | tr '\n' ' ')
    for t in 1 2 3 5; do
        case " $types" in
        *" $t "*) ;;
        *) fail "the capture lacks DHCP message type $t for $mac (has: $types)" ;;
        esac
    done
done
acks=$(fields "dhcp.option.dhcp == 5" dhcp.ip.your | sort -u | tr '\n' ' ')
case " $acks" in
*" 10.0.2.15 "*) ;;
*) fail "no DHCP ACK for 10.0.2.15 (ACKs for: $acks)" ;;
esac
requests=$(fields "icmp.type == 8 && ip.dst == 10.0.2.2" icmp.seq | wc -l)
replies=$(fields "icmp.type == 0 && ip.src == 10.0.2.2" icmp.seq | wc -l)
[ "$requests" -ge 3 ] && [ "$replies" -ge 3 ] ||
    fail "the capture has $requests echo requests and $replies replies (expected 3 each)"

if ! cmp "$LOGDIR/run1.pcap" "$LOGDIR/run2.pcap"; then
    tshark -r "$LOGDIR/run2.pcap" >"$LOGDIR/run2.txt" 2>&1 || true
    diff "$LOGDIR/run1.txt" "$LOGDIR/run2.txt" | head -n 20 >&2 || true
    WB_LAST_LOG=
    fail "the two -icount runs captured different bytes"
fi
note "ok: $(stat -c %s "$P") bytes, identical in both runs; DHCP for both NICs, $requests pings answered"
