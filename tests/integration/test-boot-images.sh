#!/usr/bin/env bash
# Booting guest OS images through the firmware (SeaBIOS), as `-hda disk.img`
# and `-cdrom os.iso` do in QEMU. The test builds the images with Debian's
# tools (bootimg.sh): a partitioned raw disk with syslinux, the reference
# guest's kernel and initrd and an ext4 data partition; the same disk as
# compressed qcow2 and as qcow2; an isolinux ISO. Each boot's guest checks
# the data partition, writes big.bin to it and syncs.
#  1. raw disk: syslinux loads the guest, which reads sda2 and writes to it
#  2. boot 1's disk as compressed qcow2: the guest finds boot 1's file, writes
#  3. the ISO from -cdrom (-boot d) with that qcow2 as -hda: the guest reads
#     the CD it booted from and finds the file boot 2 wrote into the qcow2;
#     it ends with an ACPI power-off, which ends wirebox with status 0 (no
#     -no-reboot: a reboot would run until the timeout); qemu-img check
#  4. that qcow2 converted to an uncompressed qcow2 boots, finds boot 3's
#     file, writes; qemu-img check
# The boots run on the deterministic clock (-icount shift=0,sleep=off).
# Each boot runs ~9e9 guest instructions: 2-3 minutes on a busy machine.
: "${WB_TIMEOUT:=600}"
# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=tests/integration/bootimg.sh
source "$(dirname "${BASH_SOURCE[0]}")/bootimg.sh"

require_guest
bootimg_need
command -v qemu-img >/dev/null || fail "qemu-img not found (tools/setup installs qemu-utils)"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/wb-bootimg.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
md5() { md5sum <"$1" | cut -d' ' -f1; }

mkdir -p "$WORK/data"
echo "on the data partition" >"$WORK/data/hello.txt"
APPEND="console=ttyS0 nokaslr wb.cmd=disk wb.dev=sda2 wb.rw=1 wb.big=64"
make_boot_disk "$WORK/disk.img" "$APPEND" "$WORK/data"

firmware_boot() { # NAME ARGS...: no -kernel: the BIOS boots the drives
    local name=$1
    shift
    WB_LAST_LOG=$LOGDIR/$name.log
    WB_RC=0
    timeout --kill-after=10 "$WB_TIMEOUT" "$WIREBOX" -m 256 -nographic -nic none \
        -icount shift=0,sleep=off "$@" </dev/null >"$WB_LAST_LOG" 2>"$WB_LAST_LOG.stderr" ||
        WB_RC=$?
    note "$name: exited with status $WB_RC after $((SECONDS - t0))s"
}
wrote() { grep -aF "WIREBOX-WROTE: sda2 big.bin " "$WB_LAST_LOG" | tr -d '\r' | awk '{print $4}'; }

check_image() { # FILE
    qemu-img check "$1" >"$WORK/check.txt" 2>&1 &&
        grep -q "No errors were found on the image" "$WORK/check.txt" ||
        { cat "$WORK/check.txt" >&2; fail "qemu-img check reports problems in $1"; }
}

t0=$SECONDS
firmware_boot raw -no-reboot -drive "file=$WORK/disk.img,format=raw"
expect "SYSLINUX" "syslinux's banner on the serial console"
expect "WIREBOX-GUEST: init running"
expect "WIREBOX-FILE: sda2 hello.txt $(md5 "$WORK/data/hello.txt")"
expect "WIREBOX-RESULT: disk ok"
expect_clean_exit
big1=$(wrote)
[ -n "$big1" ] || fail "boot 1 wrote nothing"

t0=$SECONDS
qemu-img convert -q -c -f raw -O qcow2 "$WORK/disk.img" "$WORK/disk-c.qcow2"
firmware_boot qcow2-compressed -no-reboot -hda "$WORK/disk-c.qcow2"
expect "SYSLINUX" "syslinux's banner on the serial console"
expect "WIREBOX-FILE: sda2 big.bin $big1" "the file boot 1 wrote"
expect "WIREBOX-RESULT: disk ok"
expect_clean_exit
big2=$(wrote)
[ -n "$big2" ] || fail "boot 2 wrote nothing"

t0=$SECONDS
make_boot_iso "$WORK/boot.iso" \
    "console=ttyS0 nokaslr wb.cmd=disk wb.dev=sr0,sda2 wb.rw=1 wb.big=64 wb.exit=poweroff"
firmware_boot iso-poweroff -boot d -cdrom "$WORK/boot.iso" -hda "$WORK/disk-c.qcow2"
expect "ISOLINUX" "isolinux's banner on the serial console"
expect "WIREBOX-GUEST: init running"
expect "WIREBOX-FILE: sr0 readme.txt $(echo "on the boot CD" | md5sum | cut -d' ' -f1)" "the boot CD's files"
expect "WIREBOX-FILE: sda2 big.bin $big2" "the file boot 2 wrote into the compressed qcow2"
expect "WIREBOX-RESULT: disk ok"
expect "reboot: Power down" "the kernel powering off through ACPI"
expect_clean_exit
big3=$(wrote)
[ -n "$big3" ] || fail "boot 3 wrote nothing"
check_image "$WORK/disk-c.qcow2"

t0=$SECONDS
qemu-img convert -q -f qcow2 -O qcow2 "$WORK/disk-c.qcow2" "$WORK/disk.qcow2"
firmware_boot qcow2 -no-reboot -drive "file=$WORK/disk.qcow2,format=qcow2"
expect "SYSLINUX" "syslinux's banner on the serial console"
expect "WIREBOX-FILE: sda2 hello.txt $(md5 "$WORK/data/hello.txt")"
expect "WIREBOX-FILE: sda2 big.bin $big3" "the file boot 3 wrote"
expect "WIREBOX-RESULT: disk ok"
expect_clean_exit
[ -n "$(wrote)" ] || fail "boot 4 wrote nothing"
check_image "$WORK/disk.qcow2"
note "ok"
