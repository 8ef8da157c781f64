/* -boot, as QEMU's PC passes it to its firmware: the order in CMOS bytes
 * 0x3D and 0x38 (what SeaBIOS reads on QEMU when no "bootorder" file names
 * devices), the menu in fw_cfg's BOOT_MENU item, the menu's wait in
 * "etc/boot-menu-wait", the reboot timeout in "etc/boot-fail-wait", strict
 * boot as a final "HALT" line of "bootorder"; once= holds for the first
 * boot, the next reset restores order=. */
#include <stdlib.h>
#include <string.h>

#include "bios/bios.h"
#include "hw/bytes.h"
#include "hw/opts.h"

#define CMOS_BOOT_ORDER12 0x3D /* first device: low nibble, second: high */
#define CMOS_BOOT_ORDER3 0x38  /* third device: high nibble; bit 0: skip the floppy signature check */
#define DEFAULT_ORDER "cad"
#define PC_MAX_BOOT_DEVICES 3

/* The CMOS code of a drive letter, 0 if a PC cannot boot from it. */
static int letter_code(char c)
{
    switch (c) {
    case 'a':
    case 'b':
        return 1; /* floppy */
    case 'c':
        return 2; /* hard disk */
    case 'd':
        return 3; /* CD-ROM */
    case 'n':
        return 4; /* network */
    }
    return 0;
}

/* QEMU's checks: letters a-p, none twice, then what a PC has, at most 3. */
static int check_drives(const char *what, const char *v, char *out, char *err, size_t errlen)
{
    unsigned seen = 0;
    for (const char *p = v; *p; p++) {
        if (*p < 'a' || *p > 'p')
            return wb_errf(err, errlen, "-boot: %s: invalid boot device '%c'", what, *p);
        if (seen & (1u << (*p - 'a')))
            return wb_errf(err, errlen, "-boot: %s: boot device '%c' was given twice", what, *p);
        seen |= 1u << (*p - 'a');
    }
    if (strlen(v) > PC_MAX_BOOT_DEVICES)
        return wb_errf(err, errlen, "-boot: %s: too many boot devices for PC (at most %d)", what,
                       PC_MAX_BOOT_DEVICES);
    for (const char *p = v; *p; p++)
        if (!letter_code(*p))
            return wb_errf(err, errlen, "-boot: %s: invalid boot device for PC: '%c'", what, *p);
    strcpy(out, v);
    return 0;
}

static int parse_ms(const char *key, const char *v, int64_t min, int64_t max, int64_t *out,
                    char *err, size_t errlen)
{
    char *end;
    long long n = strtoll(v, &end, 0);
    if (!*v || *end || n < min || n > max)
        return wb_errf(err, errlen, "-boot: %s is invalid, it should be a value between %lld and "
                       "%lld (milliseconds), not '%s'",
                       key, (long long)min, (long long)max, v);
    *out = n;
    return 0;
}

int boot_parse(const char *val, BootConfig *b, char *err, size_t errlen)
{
    Opts *o = opts_parse(val, "order");
    int rc = 0;
    const char *v;
    int64_t n;
    if ((v = opts_get(o, "order")) && check_drives("order", v, b->order, err, errlen))
        rc = 1;
    if (!rc && (v = opts_get(o, "once")) && check_drives("once", v, b->once, err, errlen))
        rc = 1;
    if (!rc && (v = opts_get(o, "menu"))) {
        if (opt_parse_bool(v, &b->menu))
            rc = wb_errf(err, errlen, "-boot: menu must be on or off, not '%s'", v);
    }
    if (!rc && (v = opts_get(o, "strict"))) {
        if (opt_parse_bool(v, &b->strict))
            rc = wb_errf(err, errlen, "-boot: strict must be on or off, not '%s'", v);
    }
    if (!rc && (v = opts_get(o, "splash-time"))) {
        if (parse_ms("splash-time", v, 0, 0xFFFF, &n, err, errlen))
            rc = 1;
        b->has_splash_time = true;
        b->splash_time = (uint16_t)n;
    }
    if (!rc && (v = opts_get(o, "reboot-timeout"))) {
        if (parse_ms("reboot-timeout", v, -1, 0xFFFF, &n, err, errlen))
            rc = 1;
        b->has_reboot_timeout = true;
        b->reboot_timeout = (int32_t)n;
    }
    if (!rc && opts_get(o, "splash"))
        rc = wb_errf(err, errlen, "-boot: splash= (a boot logo) is not supported by wirebox yet");
    if (!rc && (v = opts_unused(o)))
        rc = wb_errf(err, errlen, "-boot: invalid parameter '%s'", v);
    opts_free(o);
    return rc;
}

/* ------------------------------------------------------------------ to the firmware */

static void cmos_order(Rtc *rtc, const char *order)
{
    int code[PC_MAX_BOOT_DEVICES] = {0};
    for (int i = 0; i < PC_MAX_BOOT_DEVICES && order[i]; i++)
        code[i] = letter_code(order[i]);
    rtc_set_cmos(rtc, CMOS_BOOT_ORDER12, (uint8_t)(code[1] << 4 | code[0]));
    /* Bit 0 clear: SeaBIOS checks a floppy's boot signature, as QEMU asks. */
    rtc_set_cmos(rtc, CMOS_BOOT_ORDER3, (uint8_t)(code[2] << 4));
}

typedef struct BootOnce {
    Rtc *rtc;
    char order[4];
    int resets;
} BootOnce;

/* The reset that starts the machine keeps once=; the next one (the guest
 * rebooting) restores the normal order. */
static void boot_once_reset(void *opaque)
{
    BootOnce *b = opaque;
    if (++b->resets == 2)
        cmos_order(b->rtc, b->order);
}

const char *boot_order(const BootConfig *b)
{
    return b->order[0] ? b->order : DEFAULT_ORDER;
}

void boot_setup(Machine *m, const BootConfig *b, const char *bootorder)
{
    PcBoard *board = pc_board(m);
    if (!board)
        return;
    const char *order = boot_order(b);
    if (board->rtc) {
        cmos_order(board->rtc, b->once[0] ? b->once : order);
        if (b->once[0]) {
            BootOnce *once = machine_zalloc(m, sizeof *once);
            once->rtc = board->rtc;
            strcpy(once->order, order);
            machine_add_reset(m, boot_once_reset, once);
        }
    }
    FwCfg *fw = board->fw_cfg;
    if (!fw)
        return;
    fw_cfg_add_i16(fw, FW_CFG_BOOT_DEVICE, (uint16_t)(b->once[0] ? b->once[0] : order[0]));
    fw_cfg_add_i16(fw, FW_CFG_BOOT_MENU, b->menu);
    if (b->has_splash_time) {
        uint8_t t[2];
        st16le(t, b->splash_time);
        fw_cfg_add_file(fw, "etc/boot-menu-wait", t, sizeof t);
    }
    uint8_t rt[4];
    st32le(rt, (uint32_t)(b->has_reboot_timeout ? b->reboot_timeout : -1));
    fw_cfg_add_file(fw, "etc/boot-fail-wait", rt, sizeof rt);
    /* bootorder: device paths one per line, then HALT when only those may
     * boot; as QEMU writes it, no newline after the last line. */
    char *list = wb_asprintf("%s%s", bootorder ? bootorder : "", b->strict ? "HALT\n" : "");
    size_t len = strlen(list);
    if (len) {
        list[len - 1] = '\0';
        fw_cfg_add_file(fw, "bootorder", list, len);
    }
    free(list);
}
