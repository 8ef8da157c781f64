#!/usr/bin/env bash
# The RTL8139 with each of Linux's two drivers, one boot each. The script's
# name picks the chip: test-rtl8139-8139too.sh gives the RTL8139C
# (-device rtl8139,netdev=n0,rev=0x10,mac=52:54:00:c0:ff:ee); test-rtl8139-8139cp.sh, a symlink to
# this file, the RTL8139C+ as QEMU users spell it (-nic user,model=rtl8139).
# The guest runs wb.cmd=nics,ping,stats,wget,serve,stats and shows:
#   - its driver binds (dmesg, the interface's driver); with the C+, 8139too
#     (loaded first) refuses it, as Linux says it should
#   - DHCP gives 10.0.2.15 and the gateway 10.0.2.2 answers 3 pings
#   - a 16 MiB download from an HTTP server on host loopback arrives with
#     its SHA-256
#   - a host client reaches a TCP echo server in the guest through hostfwd
#     and gets its 1 MiB back
#   - the counters count it: the interface's, and 8139cp's `ethtool -S`
#     (the chip's dump-tally counters); 8139too's own (timeouts, lost in
#     ring) stay 0
# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=tests/integration/netlib.sh
source "$(dirname "${BASH_SOURCE[0]}")/netlib.sh"

require_guest
DRIVER=${TEST_NAME#test-rtl8139-}
port=$(free_port)
fwd="hostfwd=tcp:127.0.0.1:$port-:8080"
case "$DRIVER" in
8139too)
    mac=52:54:00:c0:ff:ee
    net=(-netdev "user,id=n0,$fwd" -device "rtl8139,netdev=n0,rev=0x10,mac=$mac")
    bound="8139too 0000:00:02.0 eth0: RealTek RTL8139 at"
    refused= # 8139too is loaded first and takes the chip: 8139cp never sees it
    ;;
8139cp)
    mac=52:54:00:12:34:56
    net=(-nic "user,model=rtl8139,$fwd")
    bound="8139cp 0000:00:02.0 eth0: RTL-8139C+ at"
    refused="8139too 0000:00:02.0: This (id 10ec:8139 rev 20) is an enhanced 8139C+ chip, use 8139cp"
    ;;
*) fail "run as test-rtl8139-8139too.sh or test-rtl8139-8139cp.sh, not $TEST_NAME" ;;
esac

mkdir -p "$NET_TMP/www"
head -c 16777216 /dev/urandom >"$NET_TMP/www/data.bin"
want=$(sha256sum "$NET_TMP/www/data.bin" | cut -d' ' -f1)
start_http "$NET_TMP/www"
# The echo client waits for the guest's WIREBOX-LISTENING in the boot log.
rm -f "$LOGDIR/$DRIVER.log"
python3 "$NET_HELPER" echo-client "$LOGDIR/$DRIVER.log" "$port" "$WB_TIMEOUT" >"$NET_TMP/client.out" 2>&1 &
client=$!
NET_PIDS+=("$client")

boot_net "$DRIVER" "wb.cmd=nics,ping,stats,wget,serve,stats wb.url=http://10.0.2.2:$HTTP_PORT/data.bin wb.port=8080" \
    "${net[@]}"

expect "$bound" "the $DRIVER driver's probe message"
[ -z "$refused" ] || expect "$refused" "the other driver's refusal"
expect "WIREBOX-NIC: eth0 $DRIVER $mac" "eth0's driver and its MAC address (from the EEPROM)"
expect "WIREBOX-DHCP: eth0 10.0.2.15/24 router=10.0.2.2 dns=10.0.2.3" "the DHCP lease"
expect_ok ping
expect "3 packets transmitted, 3 packets received" "ping's summary"
expect_ok wget
[ "$RESULT_DETAIL" = "16777216 $want" ] ||
    fail "the guest got '$RESULT_DETAIL', expected '16777216 $want'"
grep -q '"GET /data.bin HTTP/1.1" 200' "$HTTP_LOG" || fail "the HTTP server saw no GET /data.bin"
crc=0
wait "$client" || crc=$?
client_out=$(cat "$NET_TMP/client.out")
[ "$crc" = 0 ] || fail "the host client through hostfwd failed: $client_out"
expect "WIREBOX-LISTENING: 8080" "the guest's echo server"
expect_ok serve
expect_clean_exit

# stat KEY LINE: the value of KEY=N in a WIREBOX-STATS line.
stat() {
    local v
    v=$(tr ' ' '\n' <<<"$2" | sed -n "s/^$1=//p")
    [ -n "$v" ] || fail "no $1 in: $2"
    echo "$v"
}
before=$(grep -a "WIREBOX-STATS: eth0 " "$WB_LAST_LOG" | tr -d '\r' | head -n 1)
after=$(grep -a "WIREBOX-STATS: eth0 " "$WB_LAST_LOG" | tr -d '\r' | tail -n 1)
if [ -z "$before" ] || [ "$before" = "$after" ]; then
    fail "no two WIREBOX-STATS lines for eth0"
fi
# 16 MiB down and 1 MiB back and forth: at least 11000 full frames in, and
# acknowledgements and the echo out (8139cp's large sends and GRO make
# fewer, bigger packets out).
d_rx_bytes=$(($(stat rx_bytes "$after") - $(stat rx_bytes "$before")))
d_rx=$(($(stat rx_packets "$after") - $(stat rx_packets "$before")))
d_tx=$(($(stat tx_packets "$after") - $(stat tx_packets "$before")))
[ "$d_rx_bytes" -ge 17825792 ] || fail "eth0 counted $d_rx_bytes bytes in, expected at least 17 MiB"
if [ "$d_rx" -lt 11000 ] || [ "$d_tx" -lt 300 ]; then
    fail "eth0 counted $d_rx packets in, $d_tx out"
fi
# Nothing lost. (8139too counts the chip's "ring exhausted" interrupts as
# receive errors; the model raises one when the driver stops reading with
# frames waiting, which it then takes: dropped stays 0. 8139cp counts none.)
if [ "$(stat rx_dropped "$after")" != 0 ] || [ "$(stat tx_errors "$after")" != 0 ] ||
    { [ "$DRIVER" = 8139cp ] && [ "$(stat rx_errors "$after")" != 0 ]; }; then
    fail "eth0 counted losses or errors: $after"
fi
if [ "$DRIVER" = 8139cp ]; then
    # the chip's own counters, dumped by DTCCR for ethtool -S
    d_ok_rx=$(($(stat ethtool.rx_ok "$after") - $(stat ethtool.rx_ok "$before")))
    d_ok_phys=$(($(stat ethtool.rx_ok_phys "$after") - $(stat ethtool.rx_ok_phys "$before")))
    d_ok_tx=$(($(stat ethtool.tx_ok "$after") - $(stat ethtool.tx_ok "$before")))
    if [ "$d_ok_rx" -lt "$d_rx" ] || [ "$d_ok_phys" -lt 11000 ] || [ "$d_ok_tx" -lt "$d_tx" ]; then
        fail "ethtool -S: rx_ok +$d_ok_rx (phys +$d_ok_phys), tx_ok +$d_ok_tx; the interface: +$d_rx in, +$d_tx out"
    fi
    for k in tx_err rx_err rx_fifo tx_abort tx_underrun rx_frags; do
        [ "$(stat "ethtool.$k" "$after")" = 0 ] || fail "ethtool -S: $k is not 0: $after"
    done
    note "ethtool -S: rx_ok +$d_ok_rx (phys +$d_ok_phys), tx_ok +$d_ok_tx"
else
    # 8139too's counters are its own: no transmit timeouts, never lost in the ring
    for k in tx_timeouts rx_lost_in_ring early_rx; do
        [ "$(stat "ethtool.$k" "$after")" = 0 ] || fail "ethtool -S: $k is not 0: $after"
    done
fi
note "ok: $DRIVER; 16 MiB in $(grep -a WIREBOX-DOWNLOAD "$WB_LAST_LOG" | tr -d '\r' | awk '{print $4}') s in the guest; eth0 +$d_rx packets in, +$d_tx out; ${WB_SECONDS}s in all"
