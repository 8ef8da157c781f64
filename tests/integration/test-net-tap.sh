#!/usr/bin/env bash
# tap and bridge, in a network namespace of the test's own. One guest with
# two NICs:
#   eth0 -netdev tap: wirebox creates wbtap0; the test's ifup script gives it
#        10.0.20.1/24 (and its ifdown script runs at exit)
#   eth1 -netdev bridge,br=wbbr0: Debian's qemu-bridge-helper makes a tap and
#        plugs it into the test's bridge wbbr0 (10.0.21.1/24), as its ACL
#        allows (an /etc/qemu/bridge.conf only this test sees: /etc is
#        overlaid in a private mount namespace)
# The guest pings both host addresses; no traffic leaves the namespace.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=tests/integration/netlib.sh
source "$(dirname "${BASH_SOURCE[0]}")/netlib.sh"

HELPER=/usr/lib/qemu/qemu-bridge-helper
require_guest
require_root
[ -x "$HELPER" ] || fail "$HELPER not found (tools/setup installs qemu-system-x86)"
netns_new NS
T=$NET_TMP

ip -n "$NS" link add wbbr0 type bridge
ip -n "$NS" addr add 10.0.21.1/24 dev wbbr0
ip -n "$NS" link set wbbr0 up

cat >"$T/ifup" <<EOF
#!/bin/sh
echo "ifup \$1" >>"$T/scripts.log"
ip addr add 10.0.20.1/24 dev "\$1" && ip link set "\$1" up
EOF
cat >"$T/ifdown" <<EOF
#!/bin/sh
echo "ifdown \$1" >>"$T/scripts.log"
EOF
chmod +x "$T/ifup" "$T/ifdown"

# The helper's ACL, for this test only: /etc overlaid in a mount namespace.
mkdir -p "$T/etc-up/qemu" "$T/etc-work"
echo "allow wbbr0" >"$T/etc-up/qemu/bridge.conf"
GUEST_WRAP=(unshare -m sh -c 'mount --make-rprivate / &&
    mount -t overlay overlay -o "lowerdir=/etc,upperdir=$0/etc-up,workdir=$0/etc-work" /etc &&
    shift && exec "$@"' "$T" sh)

start_guest tap "$NS" "wb.cmd=ping wb.ifs=eth0,eth1 wb.ip=10.0.20.2/24,10.0.21.2/24 wb.ping=10.0.20.1,10.0.21.1" \
    -netdev "tap,id=t0,ifname=wbtap0,script=$T/ifup,downscript=$T/ifdown" \
    -device e1000,netdev=t0,mac=52:54:00:00:20:02 \
    -netdev bridge,id=b0,br=wbbr0 -device e1000,netdev=b0,mac=52:54:00:00:21:02
# While it runs: wbtap0 exists with the script's address, and the helper's
# tap is a port of wbbr0.
wait_log "$LOGDIR/tap.log" "WIREBOX-STATIC: eth1" "$WB_TIMEOUT" "${GUEST_PID[tap]}"
# (no 'ip | grep -q': with pipefail, grep leaving early fails the pipeline)
addrs=$(ip -n "$NS" addr show dev wbtap0 2>&1 || true)
case "$addrs" in
*"inet 10.0.20.1/24"*) ;;
*) fail "wbtap0 is not there with 10.0.20.1/24: $(ip -n "$NS" -br addr 2>&1 | tr '\n' ';')" ;;
esac
ports=$(ip -n "$NS" -o link show master wbbr0 | awk -F': ' '{ print $2 }' | cut -d@ -f1 | tr '\n' ' ')
[ -n "$ports" ] || fail "nothing is plugged into wbbr0"
note "wbbr0's ports: $ports"
wait_guest tap
expect "WIREBOX-STATIC: eth0 10.0.20.2/24"
expect_ok ping
[ "$RESULT_DETAIL" = "10.0.20.1 10.0.21.1" ] || fail "pinged '$RESULT_DETAIL'"
expect_clean_exit
# QEMU's script conventions: up with the name once it exists, down at exit.
[ "$(cat "$T/scripts.log")" = "$(printf 'ifup wbtap0\nifdown wbtap0')" ] ||
    fail "the scripts ran as: $(tr '\n' ';' <"$T/scripts.log")"
! ip -n "$NS" link show wbtap0 >/dev/null 2>&1 || fail "wbtap0 outlived wirebox"
note "ok: tap (scripts ran) and bridge (qemu-bridge-helper) both reached"
