#!/usr/bin/env bash
# An RTL8139 (the C+, 8139cp) and an e1000 in one guest on one hub, as
# QEMU's legacy -net nic puts them: the guest moves one interface into a
# network namespace of its own, so that its pings really cross the hub
# (wb.cmd=wire), and each interface pings the other 3 times. Nothing on the
# host takes part: the run is deterministic (-icount shift=0,sleep=off).
# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_guest
boot hub "console=ttyS0 nokaslr wb.cmd=nics,wire" -icount shift=0,sleep=off \
    -net nic,model=rtl8139 -net nic,model=e1000
grep -qF "wirebox: warning: hub 0 is not connected to host network" "$WB_LAST_LOG.stderr" ||
    fail "no warning that hub 0 has no host network"

# e1000 is loaded before 8139cp: it is eth0
expect "WIREBOX-NIC: eth0 e1000 52:54:00:12:34:57" "the e1000's interface"
expect "WIREBOX-NIC: eth1 8139cp 52:54:00:12:34:56" "the RTL8139's interface"
line=$(grep -a "WIREBOX-RESULT: wire " "$WB_LAST_LOG" | tr -d '\r' | head -n 1)
[ "$line" = "WIREBOX-RESULT: wire ok eth0=e1000 eth1=8139cp" ] || fail "the guest reported: ${line:-nothing}"
n=$(grep -ac "3 packets transmitted, 3 packets received" "$WB_LAST_LOG")
[ "$n" = 2 ] || fail "$n of 2 pings got all their replies"
expect_clean_exit

# What each side counted while the pings ran (first and last WIREBOX-STATS).
stat() {
    tr ' ' '\n' <<<"$2" | sed -n "s/^$1=//p"
}
for ifc in eth0 eth1; do
    before=$(grep -a "WIREBOX-STATS: $ifc " "$WB_LAST_LOG" | tr -d '\r' | head -n 1)
    after=$(grep -a "WIREBOX-STATS: $ifc " "$WB_LAST_LOG" | tr -d '\r' | tail -n 1)
    d_rx=$(($(stat rx_packets "$after") - $(stat rx_packets "$before")))
    d_tx=$(($(stat tx_packets "$after") - $(stat tx_packets "$before")))
    if [ "$d_rx" -lt 6 ] || [ "$d_tx" -lt 6 ]; then
        fail "$ifc counted $d_rx packets in and $d_tx out, expected 6 or more each"
    fi
    note "$ifc: +$d_rx packets in, +$d_tx out"
done
after=$(grep -a "WIREBOX-STATS: eth1 " "$WB_LAST_LOG" | tr -d '\r' | tail -n 1)
before=$(grep -a "WIREBOX-STATS: eth1 " "$WB_LAST_LOG" | tr -d '\r' | head -n 1)
d_ok=$(($(stat ethtool.rx_ok_phys "$after") - $(stat ethtool.rx_ok_phys "$before")))
[ "$d_ok" -ge 6 ] || fail "the RTL8139's tally counted $d_ok frames for its address, expected 6 or more"
note "ok (${WB_SECONDS}s)"
