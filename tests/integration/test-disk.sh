#!/usr/bin/env bash
# A raw disk image and an ISO seen by the reference guest through Linux's
# ata_piix, sd and sr drivers.
#  Boot 1 (bus master DMA): the guest mounts the ext4 image the test built
#  (-drive format=raw), reads its files (MD5 sums must match the host's),
#  writes a note and 768 KiB of random bytes and syncs; it reads the ISO
#  (-drive media=cdrom,index=3: secondary slave). On the host the image
#  is clean (e2fsck) and holds what the guest wrote (debugfs).
#  Boot 2 (PIO: libata.dma=0, -snapshot, -cdrom): the guest finds boot 1's
#  files on the disk and the ISO's files on /dev/sr0, writes again; the
#  image file is unchanged afterwards (snapshot=on).
# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_guest
for t in mke2fs e2fsck debugfs xorriso md5sum; do
    command -v "$t" >/dev/null || fail "$t not found (tools/setup installs e2fsprogs and xorriso)"
done
WORK=$(mktemp -d "${TMPDIR:-/tmp}/wb-disk.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

mkdir -p "$WORK/root" "$WORK/iso"
echo "hello from the host" >"$WORK/root/hello.txt"
head -c 300000 /dev/urandom >"$WORK/root/rand.bin"
mke2fs -q -F -t ext4 -d "$WORK/root" "$WORK/disk.img" 24M || fail "mke2fs failed"
echo "on the compact disc" >"$WORK/iso/readme.txt"
head -c 200000 /dev/urandom >"$WORK/iso/data.bin"
xorriso -as mkisofs -quiet -R -V WBTEST -o "$WORK/cd.iso" "$WORK/iso" 2>/dev/null ||
    fail "xorriso failed"
md5() { md5sum <"$1" | cut -d' ' -f1; }

# ---- Boot 1: DMA, read-write
boot dma "console=ttyS0 nokaslr wb.cmd=disk wb.dev=sda,sr0 wb.rw=1 wb.write=note.txt:written-by-the-guest wb.big=768" \
    -icount shift=0,sleep=off -drive "file=$WORK/disk.img,format=raw,if=ide,index=0" \
    -drive "file=$WORK/cd.iso,media=cdrom,index=3"
expect "WIREBOX-DISK: sda model=WIREBOX_HARDDISK size=25165824 driver=ata_piix xfer=XFER_MW_DMA_2"
expect "WIREBOX-DISK: sr0 model=DVD-ROM size=$(stat -c %s "$WORK/cd.iso") driver=ata_piix xfer=XFER_MW_DMA_2"
expect "WIREBOX-FILE: sr0 data.bin $(md5 "$WORK/iso/data.bin")" "the CD's listing (DMA)"
expect "WIREBOX-FILE: sda hello.txt $(md5 "$WORK/root/hello.txt")" "the guest's listing"
expect "WIREBOX-FILE: sda rand.bin $(md5 "$WORK/root/rand.bin")" "the guest's listing"
expect "WIREBOX-RESULT: disk ok"
expect_clean_exit
big=$(grep -aF "WIREBOX-WROTE: sda big.bin " "$WB_LAST_LOG" | tr -d '\r' | awk '{print $4}')
[ -n "$big" ] || fail "the guest did not report writing big.bin"
e2fsck -fn "$WORK/disk.img" >"$WORK/fsck.txt" 2>&1 || { cat "$WORK/fsck.txt" >&2; fail "e2fsck finds errors after the guest wrote"; }
[ "$(debugfs -R "cat /big.bin" "$WORK/disk.img" 2>/dev/null | md5sum | cut -d' ' -f1)" = "$big" ] ||
    fail "big.bin on the host differs from what the guest wrote"
[ "$(debugfs -R "cat /note.txt" "$WORK/disk.img" 2>/dev/null)" = "written-by-the-guest" ] ||
    fail "note.txt on the host is not what the guest wrote"
note "boot 1 (DMA) ok: the guest's writes are in the image"

# ---- Boot 2: PIO, -snapshot, and the CD-ROM
before=$(md5 "$WORK/disk.img")
boot pio "console=ttyS0 nokaslr wb.cmd=disk wb.dev=sda,sr0 wb.rw=1 wb.write=note.txt:overwritten libata.dma=0" \
    -icount shift=0,sleep=off -hda "$WORK/disk.img" -cdrom "$WORK/cd.iso" -snapshot
expect "WIREBOX-DISK: sda model=WIREBOX_HARDDISK size=25165824 driver=ata_piix xfer=XFER_PIO_4"
expect "WIREBOX-FILE: sda big.bin $big" "the guest's listing after a second boot"
expect "WIREBOX-FILE: sda note.txt $(printf 'written-by-the-guest\n' | md5sum | cut -d' ' -f1)"
expect "WIREBOX-DISK: sr0 model=DVD-ROM size=$(stat -c %s "$WORK/cd.iso") driver=ata_piix xfer=XFER_PIO_4"
expect "WIREBOX-FILE: sr0 readme.txt $(md5 "$WORK/iso/readme.txt")" "the CD's listing"
expect "WIREBOX-FILE: sr0 data.bin $(md5 "$WORK/iso/data.bin")" "the CD's listing"
expect "WIREBOX-RESULT: disk ok"
expect_clean_exit
[ "$(md5 "$WORK/disk.img")" = "$before" ] || fail "-snapshot: the guest's writes reached the image"
note "ok"
