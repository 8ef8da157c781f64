#!/usr/bin/env bash
# A qcow2 image with a compressed qcow2 backing file, written by the guest
# and then killed. The test builds an ext4 image, converts it to a
# compressed qcow2 (compat=0.10, the backing file) and puts a qcow2 v3
# overlay on it. The guest reads the files (through the overlay, from
# compressed clusters), writes a note and 1 MiB of random bytes, syncs,
# prints WIREBOX-SYNCED and waits; the test kills wirebox with SIGKILL.
# Then `qemu-img check` finds no errors in the overlay, the backing file is
# unchanged, and what the guest wrote is in the image (read back through
# qemu-img convert, e2fsck's journal replay and debugfs).
# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_guest
for t in mke2fs e2fsck debugfs qemu-img md5sum; do
    command -v "$t" >/dev/null || fail "$t not found (tools/setup installs e2fsprogs and qemu-utils)"
done
WORK=$(mktemp -d "${TMPDIR:-/tmp}/wb-qcow2.XXXXXX")
PID=
trap '[ -z "$PID" ] || kill -9 "$PID" 2>/dev/null; rm -rf "$WORK"' EXIT
md5() { md5sum <"$1" | cut -d' ' -f1; }

mkdir -p "$WORK/root"
echo "hello from a compressed backing file" >"$WORK/root/hello.txt"
head -c 400000 /dev/urandom >"$WORK/root/rand.bin"
mke2fs -q -F -t ext4 -d "$WORK/root" "$WORK/fs.raw" 32M || fail "mke2fs failed"
qemu-img convert -q -c -f raw -O qcow2 -o compat=0.10 "$WORK/fs.raw" "$WORK/base.qcow2" ||
    fail "qemu-img convert -c failed"
qemu-img create -q -f qcow2 -o compat=1.1,cluster_size=65536 -b base.qcow2 -F qcow2 \
    "$WORK/top.qcow2" || fail "qemu-img create failed"
base_md5=$(md5 "$WORK/base.qcow2")

WB_LAST_LOG=$LOGDIR/qcow2.log
"$WIREBOX" -m 256 -kernel "$GUEST/vmlinuz" -initrd "$GUEST/initrd.gz" \
    -append "console=ttyS0 nokaslr wb.cmd=disk wb.rw=1 wb.write=note.txt:in-the-overlay wb.big=1024 wb.hold=1" \
    -nographic -no-reboot -nic none -icount shift=0,sleep=off \
    -drive "file=$WORK/top.qcow2,if=ide,cache=writeback" \
    </dev/null >"$WB_LAST_LOG" 2>"$WB_LAST_LOG.stderr" &
PID=$!
deadline=$((SECONDS + WB_TIMEOUT))
until grep -qaF "WIREBOX-SYNCED: sda" "$WB_LAST_LOG"; do
    kill -0 "$PID" 2>/dev/null || fail "wirebox ended before the guest synced"
    [ "$SECONDS" -lt "$deadline" ] || fail "no WIREBOX-SYNCED within ${WB_TIMEOUT}s"
    sleep 1
done
kill -9 "$PID"
wait "$PID" 2>/dev/null || true
PID=
note "guest synced after $((SECONDS - deadline + WB_TIMEOUT))s; wirebox killed with SIGKILL"

expect "WIREBOX-DISK: sda model=WIREBOX_HARDDISK size=33554432 driver=ata_piix"
expect "WIREBOX-FILE: sda hello.txt $(md5 "$WORK/root/hello.txt")" "the guest's listing"
expect "WIREBOX-FILE: sda rand.bin $(md5 "$WORK/root/rand.bin")" "the guest's listing"
if grep -qa "warning" "$WB_LAST_LOG.stderr"; then
    fail "a qcow2 image must not draw the raw probing warning: $(cat "$WB_LAST_LOG.stderr")"
fi
big=$(grep -aF "WIREBOX-WROTE: sda big.bin " "$WB_LAST_LOG" | tr -d '\r' | awk '{print $4}')
[ -n "$big" ] || fail "the guest did not report writing big.bin"

qemu-img check "$WORK/top.qcow2" >"$WORK/check.txt" 2>&1 ||
    { cat "$WORK/check.txt" >&2; fail "qemu-img check failed on the overlay"; }
grep -q "No errors were found on the image" "$WORK/check.txt" ||
    { cat "$WORK/check.txt" >&2; fail "qemu-img check reports problems"; }
note "qemu-img check: $(grep -E 'allocated|No errors' "$WORK/check.txt" | tr '\n' ' ')"
[ "$(md5 "$WORK/base.qcow2")" = "$base_md5" ] || fail "the backing file was written"
qemu-img convert -q -O raw "$WORK/top.qcow2" "$WORK/out.raw" || fail "qemu-img convert failed"
e2fsck -fy "$WORK/out.raw" >"$WORK/fsck.txt" 2>&1 || [ $? -le 1 ] ||
    { cat "$WORK/fsck.txt" >&2; fail "e2fsck cannot repair the image after the kill"; }
[ "$(debugfs -R "cat /big.bin" "$WORK/out.raw" 2>/dev/null | md5sum | cut -d' ' -f1)" = "$big" ] ||
    fail "big.bin in the image differs from what the guest wrote and synced"
[ "$(debugfs -R "cat /note.txt" "$WORK/out.raw" 2>/dev/null)" = "in-the-overlay" ] ||
    fail "note.txt in the image is not what the guest wrote"
[ "$(debugfs -R "cat /rand.bin" "$WORK/out.raw" 2>/dev/null | md5sum | cut -d' ' -f1)" = "$(md5 "$WORK/root/rand.bin")" ] ||
    fail "rand.bin changed"
note "ok"
