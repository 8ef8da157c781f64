# shellcheck shell=bash
# Bootable images for the firmware-path tests (sourced), built from Debian's
# tools without root: no loop mounts.
#   make_boot_disk OUT APPEND DATADIR  a raw disk: an MBR (syslinux's mbr.bin)
#       with partition 1 FAT16 (bootable: syslinux, the reference guest's
#       kernel and initrd, syslinux.cfg booting with APPEND and a serial
#       console) and partition 2 ext4 with DATADIR's files
#   make_boot_iso OUT APPEND        an El Torito ISO (isolinux, no emulation)

SYSLINUX_BIOS=/usr/lib/syslinux/modules/bios

bootimg_need() {
    local t
    for t in sfdisk mkfs.fat mcopy syslinux mke2fs xorriso; do
        command -v "$t" >/dev/null ||
            fail "$t not found (tools/setup installs fdisk, dosfstools, mtools, syslinux, e2fsprogs, xorriso)"
    done
    [ -f /usr/lib/syslinux/mbr/mbr.bin ] || fail "syslinux's mbr.bin not found (syslinux-common)"
    [ -f /usr/lib/ISOLINUX/isolinux.bin ] || fail "isolinux.bin not found (isolinux)"
    [ -f "$SYSLINUX_BIOS/ldlinux.c32" ] || fail "ldlinux.c32 not found (syslinux-common)"
}

syslinux_cfg() { # APPEND
    printf 'SERIAL 0 115200\nDEFAULT linux\nPROMPT 0\nTIMEOUT 0\nLABEL linux\n'
    printf '  KERNEL /vmlinuz\n  INITRD /initrd.gz\n  APPEND %s\n' "$1"
}

make_boot_disk() { # OUT APPEND DATADIR
    local out=$1 append=$2 data=$3 tmp
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/wb-bootimg.XXXXXX")
    # 64 MiB: partition 1 from 1 MiB (32 MiB FAT16), partition 2 after it
    truncate -s 64M "$out"
    printf 'label: dos\nstart=2048, size=65536, type=6, bootable\nstart=67584, type=83\n' |
        sfdisk -q "$out" || fail "sfdisk failed"
    # (mkfs.fat warns that the file is larger than the filesystem: it is)
    mkfs.fat -F 16 -n WBBOOT --offset 2048 "$out" $((65536 / 2)) >/dev/null 2>&1 ||
        fail "mkfs.fat failed"
    syslinux_cfg "$append" >"$tmp/syslinux.cfg"
    mcopy -i "$out@@1M" "$GUEST/vmlinuz" "$GUEST/initrd.gz" "$tmp/syslinux.cfg" ::/ ||
        fail "mcopy failed"
    syslinux --offset $((2048 * 512)) --install "$out" || fail "syslinux --install failed"
    dd if=/usr/lib/syslinux/mbr/mbr.bin of="$out" bs=440 count=1 conv=notrunc status=none
    truncate -s $(((131072 - 67584) * 512)) "$tmp/data.img"
    mke2fs -q -F -t ext4 -d "$data" "$tmp/data.img" ||
        fail "mke2fs failed"
    dd if="$tmp/data.img" of="$out" bs=512 seek=67584 conv=notrunc status=none
    rm -rf "$tmp"
}

make_boot_iso() { # OUT APPEND
    local out=$1 append=$2 tmp
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/wb-bootiso.XXXXXX")
    mkdir -p "$tmp/isolinux"
    cp /usr/lib/ISOLINUX/isolinux.bin "$SYSLINUX_BIOS/ldlinux.c32" "$tmp/isolinux/"
    cp "$GUEST/vmlinuz" "$GUEST/initrd.gz" "$tmp/"
    syslinux_cfg "$append" >"$tmp/isolinux/isolinux.cfg"
    echo "on the boot CD" >"$tmp/readme.txt"
    xorriso -as mkisofs -quiet -R -V WBBOOT -b isolinux/isolinux.bin -c isolinux/boot.cat \
        -no-emul-boot -boot-load-size 4 -boot-info-table -o "$out" "$tmp" 2>/dev/null ||
        fail "xorriso failed"
    rm -rf "$tmp"
}
