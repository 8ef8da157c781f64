#!/usr/bin/env bash
# DNS that survives a bad first nameserver: the user backend's resolver file
# (dns-resolv=) names a nameserver that REFUSES every query, then a good one;
# the guest still resolves a name through 10.0.2.3, over UDP (nslookup) and
# over TCP (a query of its own through busybox nc).
# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=tests/integration/netlib.sh
source "$(dirname "${BASH_SOURCE[0]}")/netlib.sh"

require_guest
python3 "$NET_HELPER" dns-servers "$NET_TMP" "$WB_TIMEOUT" &
NET_PIDS+=($!)
for _ in $(seq 1 100); do
    [ -e "$NET_TMP/ready" ] && break
    sleep 0.1
done
[ -e "$NET_TMP/ready" ] || fail "the test DNS servers did not start"
note "resolver file: $(grep nameserver "$NET_TMP/resolv.conf" | tr '\n' ' ')"
boot_net nslookup "wb.cmd=nslookup wb.name=wirebox-test.example wb.dns=10.0.2.3 wb.tcp=on" \
    -nic "user,model=e1000,dns-resolv=$NET_TMP/resolv.conf"
expect_ok nslookup
case " $RESULT_DETAIL " in
*" 192.0.2.123 "*) ;;
*) fail "wirebox-test.example resolved to '$RESULT_DETAIL', not 192.0.2.123" ;;
esac
expect "WIREBOX-DNS-TCP: 192.0.2.123" "the answer over TCP"
read -r _ bad _ good <"$NET_TMP/counts"
read -r _ tbad _ tgood <"$NET_TMP/counts-tcp"
note "queries: bad nameserver $bad (TCP $tbad), good nameserver $good (TCP $tgood)"
[ "$bad" -ge 1 ] || fail "the bad nameserver was never asked (the test proves nothing)"
[ "$good" -ge 1 ] || fail "the good nameserver was never asked"
[ "$tgood" -ge 1 ] || fail "the good nameserver was never asked over TCP"
expect_clean_exit
note "ok"
