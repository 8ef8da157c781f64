#!/usr/bin/env bash
# Network boot (PXE) through the firmware, as `-boot n` does in QEMU: SeaBIOS
# runs the e1000's iPXE ROM (Debian's ipxe-qemu), which gets its address and
# boot file from the user backend's DHCP and loads Debian's pxelinux over
# its TFTP server; pxelinux loads the reference guest's kernel and initrd
# over TFTP too. The guest then drives the same e1000 with Linux's driver
# and gets its address by DHCP again. On the deterministic clock.
# Each boot runs ~1e10 guest instructions: minutes on a busy machine.
: "${WB_TIMEOUT:=900}"
# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=tests/integration/bootimg.sh
source "$(dirname "${BASH_SOURCE[0]}")/bootimg.sh"

require_guest
PXELINUX=/usr/lib/PXELINUX/pxelinux.0
[ -f "$PXELINUX" ] || fail "$PXELINUX not found (tools/setup installs pxelinux)"
[ -f "$SYSLINUX_BIOS/ldlinux.c32" ] || fail "ldlinux.c32 not found (syslinux-common)"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/wb-pxe.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

mkdir -p "$WORK/tftp/pxelinux.cfg"
cp "$PXELINUX" "$SYSLINUX_BIOS/ldlinux.c32" "$GUEST/vmlinuz" "$GUEST/initrd.gz" "$WORK/tftp/"
syslinux_cfg "console=ttyS0 nokaslr wb.cmd=dhcp" >"$WORK/tftp/pxelinux.cfg/default"

WB_LAST_LOG=$LOGDIR/pxe.log
WB_RC=0
t0=$SECONDS
timeout --kill-after=10 "$WB_TIMEOUT" "$WIREBOX" -m 256 -nographic -no-reboot \
    -icount shift=0,sleep=off -boot n \
    -nic "user,model=e1000,tftp=$WORK/tftp,bootfile=pxelinux.0" \
    </dev/null >"$WB_LAST_LOG" 2>"$WB_LAST_LOG.stderr" || WB_RC=$?
note "pxe: exited with status $WB_RC after $((SECONDS - t0))s"
expect "iPXE" "iPXE's banner"
expect "tftp://10.0.2.2/pxelinux.0... ok" "iPXE loading the boot file over TFTP"
expect "PXELINUX" "pxelinux's banner"
expect "WIREBOX-GUEST: init running" "the guest's init"
expect "WIREBOX-DHCP: eth0 10.0.2.15/24" "the guest's DHCP on the e1000"
expect "WIREBOX-RESULT: dhcp ok"
expect_clean_exit
note "ok"
