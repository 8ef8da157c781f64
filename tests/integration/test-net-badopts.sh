#!/usr/bin/env bash
# A mistake in any backend's options (or -object filter-dump's) is one clear
# line on stderr and exit status 1, before a guest starts: missing fields,
# bad addresses, ports out of range, options that exclude each other, a
# server that is not there, a port in use, a missing script or helper.
# Options that would create host interfaces run in a network namespace.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=tests/integration/netlib.sh
source "$(dirname "${BASH_SOURCE[0]}")/netlib.sh"

require_guest
require_root
netns_new NS
T=$NET_TMP
CLOSED=$(free_port)
python3 -c 'import socket, time, sys
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1)
print(s.getsockname()[1], flush=True); time.sleep(120)' >"$T/busy" &
NET_PIDS+=($!)
for _ in $(seq 1 50); do [ -s "$T/busy" ] && break; sleep 0.1; done
BUSY=$(cat "$T/busy")
[ -n "$BUSY" ] || fail "could not hold a port for the 'in use' case"
N=0

# bad EXPECTED OPTION...: wirebox with these options prints one line that
# contains EXPECTED and exits with status 1.
bad() {
    local want=$1 rc=0 out
    shift
    out=$T/out.$N
    N=$((N + 1))
    ip netns exec "$NS" timeout 20 "$WIREBOX" -kernel "$GUEST/vmlinuz" -nodefaults -display none \
        "$@" </dev/null >"$out.stdout" 2>"$out" || rc=$?
    [ "$rc" = 1 ] || fail "wirebox $* exited with $rc, not 1 ($(head -c 300 "$out"))"
    [ "$(wc -l <"$out")" = 1 ] || fail "wirebox $* printed $(wc -l <"$out") lines: $(tr '\n' '|' <"$out")"
    grep -qF -- "$want" "$out" || fail "wirebox $*: '$(cat "$out")' does not say '$want'"
    grep -q '^wirebox: ' "$out" || fail "wirebox $*: '$(cat "$out")' lacks the 'wirebox: ' prefix"
    [ ! -s "$out.stdout" ] || fail "wirebox $* printed on stdout: $(head -c 200 "$out.stdout")"
}

# socket
bad "give one of listen=, connect=, mcast=, udp= or fd=" -netdev socket,id=s0
bad "listen= and connect= exclude each other" -netdev socket,id=s0,listen=:5555,connect=127.0.0.1:5555
bad "listen= and connect= exclude each other" -net socket,listen=:5555,connect=127.0.0.1:5555
bad "connect=127.0.0.1:70000: port '70000' is not a number from 1 to 65535" \
    -netdev socket,id=s0,connect=127.0.0.1:70000
bad "'999.1.1.1' is not a valid IPv4 address" -netdev socket,id=s0,connect=999.1.1.1:80
bad "an IPv6 address goes in brackets" -nic socket,connect=::1:80
bad "not an IPv4 multicast address" -netdev socket,id=s0,mcast=10.1.1.1:5000
bad "udp= needs localaddr=HOST:PORT" -netdev socket,id=s0,udp=127.0.0.1:5000
bad "cannot connect to tcp:127.0.0.1:$CLOSED: Connection refused" \
    -netdev "socket,id=s0,connect=127.0.0.1:$CLOSED" -device e1000,netdev=s0
bad "give one of listen=" -nic socket
# the port-in-use case runs in the host's namespace, where the port is held
rc=0
timeout 20 "$WIREBOX" -kernel "$GUEST/vmlinuz" -nodefaults -display none \
    -nic "socket,listen=127.0.0.1:$BUSY" </dev/null >/dev/null 2>"$T/busy.err" || rc=$?
[ "$rc" = 1 ] && [ "$(wc -l <"$T/busy.err")" = 1 ] &&
    grep -qF "cannot listen on tcp:127.0.0.1:$BUSY: Address already in use" "$T/busy.err" ||
    fail "a port in use: status $rc, '$(cat "$T/busy.err")'"
# stream
bad "parameter 'addr.type' is missing" -netdev stream,id=s0
bad "parameter 'addr.port' is missing" -netdev stream,id=s0,addr.type=inet,addr.host=127.0.0.1
bad "port '0' is not a number from 1 to 65535" \
    -netdev stream,id=s0,server=on,addr.type=inet,addr.host=127.0.0.1,addr.port=0
bad "reconnect= is for a client" -netdev stream,id=s0,server=on,reconnect=1,addr.type=unix,addr.path=$T/x
bad "cannot connect to unix:$T/none: No such file or directory" \
    -netdev "stream,id=s0,addr.type=unix,addr.path=$T/none" -device e1000,netdev=s0
# dgram
bad "parameter 'local.type' is missing" -netdev dgram,id=d0
bad "parameter 'remote.type' is missing" -netdev dgram,id=d0,local.type=inet,local.host=127.0.0.1,local.port=5000
bad "remote.type and local.type must be the same" \
    -netdev "dgram,id=d0,local.type=unix,local.path=$T/a,remote.type=inet,remote.host=127.0.0.1,remote.port=5"
bad "'300.0.0.1' is not a valid IPv4 address" \
    -netdev dgram,id=d0,remote.type=inet,remote.host=300.0.0.1,remote.port=5000
# tap
bad "vnet_hdr=on: on is not supported by wirebox yet" -netdev tap,id=t0,vnet_hdr=on
bad "fd= excludes ifname=" -netdev tap,id=t0,fd=3,ifname=tap0
bad "not a valid interface name" -nic tap,ifname=this-name-is-far-too-long
bad "network script $T/no-ifup: No such file or directory" \
    -netdev "tap,id=t0,ifname=wbbad0,script=$T/no-ifup,downscript=no" -device e1000,netdev=t0
# bridge
bad "bridge helper $T/no-helper: No such file or directory" -nic "bridge,helper=$T/no-helper"
bad "br=a/b: not a valid interface name" -netdev bridge,id=b0,br=a/b
# Debian's helper refuses a bridge its ACL does not allow: its reason is the line.
if [ -x /usr/lib/qemu/qemu-bridge-helper ]; then
    mkdir -p "$T/etc-up/qemu" "$T/etc-work"
    echo "allow wbother0" >"$T/etc-up/qemu/bridge.conf"
    rc=0
    ip netns exec "$NS" unshare -m sh -c 'mount --make-rprivate / &&
        mount -t overlay overlay -o "lowerdir=/etc,upperdir=$0/etc-up,workdir=$0/etc-work" /etc &&
        exec "$@"' "$T" timeout 20 "$WIREBOX" -kernel "$GUEST/vmlinuz" -nodefaults -display none \
        -nic bridge,br=wbbr9 </dev/null >/dev/null 2>"$T/acl.err" || rc=$?
    [ "$rc" = 1 ] && [ "$(wc -l <"$T/acl.err")" = 1 ] &&
        grep -qF "bridge helper /usr/lib/qemu/qemu-bridge-helper --br=wbbr9 failed: access denied by acl file" "$T/acl.err" ||
        fail "a bridge the ACL does not allow: status $rc, '$(cat "$T/acl.err")'"
    N=$((N + 1))
fi
# vde
bad "cannot connect to the VDE switch $T/no-switch" -nic "vde,sock=$T/no-switch"
bad "port=x: expected a switch port number" -netdev vde,id=v0,port=x
# -object filter-dump
bad "netdev 'zz' not found" -netdev user,id=u0 -object filter-dump,id=f0,netdev=zz,file=$T/x.pcap
bad "parameter 'file' is missing" -netdev user,id=u0 -object filter-dump,id=f0,netdev=u0
bad "cannot write $T/no/x.pcap: No such file or directory" -netdev user,id=u0 \
    -device e1000,netdev=u0 -object "filter-dump,id=f0,netdev=u0,file=$T/no/x.pcap"
bad "maxlen=0: expected a number of bytes" -netdev user,id=u0 -object "filter-dump,id=f0,netdev=u0,file=$T/x.pcap,maxlen=0"

! ip -n "$NS" link show wbbad0 >/dev/null 2>&1 || fail "a failed tap left wbbad0 behind"
note "ok: $((N + 1)) mistakes, one line and status 1 each"
