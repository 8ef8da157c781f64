/* Motorola MC146818A real-time clock and 128 bytes of CMOS RAM (ports
 * 0x70-0x71, IRQ8).
 *
 * The time of day is not ticked: it is start_time_unix plus the virtual
 * clock, kept as the unix time at virtual ns 0, in whole seconds (epoch_s)
 * and a fraction (epoch_sub), so any date the registers can hold (up to
 * the year 3099) is representable. The time registers are encoded from it
 * on access (BCD/binary and 12/24 h per register B). While register B's
 * SET bit is 1 they hold what the guest wrote; clearing SET (or writing a
 * time register while SET is 0) moves the epoch.
 * The update-ended (UF) and periodic (PF) flags are derived from time too;
 * Timers run only while an interrupt for them is enabled. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hw/chips.h"
#include "hw/machine.h"

#define NS 1000000000ll
#define UIP_NS 244000ll /* UIP is set this long before each update */

enum {
    R_SEC = 0x00,
    R_SEC_ALARM = 0x01,
    R_MIN = 0x02,
    R_MIN_ALARM = 0x03,
    R_HOUR = 0x04,
    R_HOUR_ALARM = 0x05,
    R_WDAY = 0x06,
    R_MDAY = 0x07,
    R_MON = 0x08,
    R_YEAR = 0x09,
    R_A = 0x0A,
    R_B = 0x0B,
    R_C = 0x0C,
    R_D = 0x0D,
    R_CENTURY = 0x32,
};
#define A_UIP 0x80
#define B_SET 0x80
#define B_PIE 0x40
#define B_AIE 0x20
#define B_UIE 0x10
#define B_DM 0x04 /* 1 = binary */
#define B_24H 0x02
#define C_IRQF 0x80
#define C_PF 0x40
#define C_AF 0x20
#define C_UF 0x10

struct Rtc {
    Machine *m;
    IrqLine irq;
    uint8_t cmos[128];
    uint8_t index;
    int64_t epoch_s;    /* unix time at virtual clock 0: seconds */
    uint64_t epoch_sub; /* and ns into that second, below NS */
    uint8_t flags;    /* PF/AF/UF */
    bool irq_level;
    int64_t checked_sec; /* last second whose update was accounted in flags */
    uint64_t pf_checked; /* last periodic tick accounted in flags */
    Timer update_timer, periodic_timer;
};

/* The unix second now, and the ns into it. */
static int64_t rtc_sec(Rtc *r)
{
    return r->epoch_s + (int64_t)((r->epoch_sub + clock_ns(r->m)) / NS);
}

static uint64_t rtc_sub(Rtc *r)
{
    return (r->epoch_sub + clock_ns(r->m)) % NS;
}

/* Make the time now sec seconds and sub ns (sub < NS). */
static void rtc_set_epoch(Rtc *r, int64_t sec, uint64_t sub)
{
    uint64_t now = clock_ns(r->m), q = now / NS, rem = now % NS;
    r->epoch_sub = sub >= rem ? sub - rem : sub + NS - rem;
    r->epoch_s = sec - (int64_t)q - (sub >= rem ? 0 : 1);
}

static uint8_t to_bcd(int v)
{
    return (uint8_t)(((v / 10) % 10) << 4 | v % 10);
}

static int from_bcd(uint8_t v)
{
    return (v >> 4) * 10 + (v & 0x0F);
}

static uint8_t rtc_enc(Rtc *r, int v)
{
    return (r->cmos[R_B] & B_DM) ? (uint8_t)v : to_bcd(v);
}

static int rtc_dec(Rtc *r, uint8_t v)
{
    return (r->cmos[R_B] & B_DM) ? v : from_bcd(v);
}

static uint8_t rtc_enc_hour(Rtc *r, int h)
{
    if (r->cmos[R_B] & B_24H)
        return rtc_enc(r, h);
    int h12 = h % 12 ? h % 12 : 12;
    return (uint8_t)(rtc_enc(r, h12) | (h >= 12 ? 0x80 : 0));
}

static int rtc_dec_hour(Rtc *r, uint8_t v)
{
    if (r->cmos[R_B] & B_24H)
        return rtc_dec(r, v);
    int h = rtc_dec(r, v & 0x7F) % 12;
    return (v & 0x80) ? h + 12 : h;
}

/* Encode the current time into the time registers (unless SET freezes them). */
static void rtc_latch_time(Rtc *r)
{
    if (r->cmos[R_B] & B_SET)
        return;
    time_t s = (time_t)rtc_sec(r);
    struct tm tm;
    gmtime_r(&s, &tm);
    int year = tm.tm_year + 1900;
    r->cmos[R_SEC] = rtc_enc(r, tm.tm_sec);
    r->cmos[R_MIN] = rtc_enc(r, tm.tm_min);
    r->cmos[R_HOUR] = rtc_enc_hour(r, tm.tm_hour);
    r->cmos[R_WDAY] = rtc_enc(r, tm.tm_wday + 1);
    r->cmos[R_MDAY] = rtc_enc(r, tm.tm_mday);
    r->cmos[R_MON] = rtc_enc(r, tm.tm_mon + 1);
    r->cmos[R_YEAR] = rtc_enc(r, year % 100);
    r->cmos[R_CENTURY] = rtc_enc(r, year / 100);
}

/* Take the time registers as the new time; keep_frac keeps the sub-second phase. */
static void rtc_commit_time(Rtc *r, bool keep_frac)
{
    struct tm tm = {0};
    tm.tm_sec = rtc_dec(r, r->cmos[R_SEC]);
    tm.tm_min = rtc_dec(r, r->cmos[R_MIN]);
    tm.tm_hour = rtc_dec_hour(r, r->cmos[R_HOUR]);
    tm.tm_mday = rtc_dec(r, r->cmos[R_MDAY]);
    tm.tm_mon = rtc_dec(r, r->cmos[R_MON]) - 1;
    int century = rtc_dec(r, r->cmos[R_CENTURY]);
    int yy = rtc_dec(r, r->cmos[R_YEAR]) % 100;
    if (century < 19 || century > 30)
        century = yy < 70 ? 20 : 19;
    tm.tm_year = century * 100 + yy - 1900;
    int64_t secs = (int64_t)timegm(&tm);
    rtc_set_epoch(r, secs, keep_frac ? rtc_sub(r) : 0);
    r->checked_sec = secs;
}

static bool rtc_updating(Rtc *r)
{
    return !(r->cmos[R_B] & B_SET) && ((r->cmos[R_A] >> 4) & 7) != 6 &&
           ((r->cmos[R_A] >> 4) & 7) != 7;
}

/* Periodic rate in 32.768 kHz clocks, 0 if off. */
static uint32_t rtc_period_32k(Rtc *r)
{
    int rs = r->cmos[R_A] & 0x0F;
    if (!rs)
        return 0;
    if (rs <= 2)
        return rs == 1 ? 128 : 256;
    return 1u << (rs - 1);
}

static uint64_t ticks_32k(uint64_t ns)
{
    return (uint64_t)((unsigned __int128)ns * 32768 / NS);
}

static bool alarm_match(Rtc *r, int64_t sec)
{
    time_t s = (time_t)sec;
    struct tm tm;
    gmtime_r(&s, &tm);
    uint8_t a;
    a = r->cmos[R_SEC_ALARM];
    if ((a & 0xC0) != 0xC0 && rtc_dec(r, a) != tm.tm_sec)
        return false;
    a = r->cmos[R_MIN_ALARM];
    if ((a & 0xC0) != 0xC0 && rtc_dec(r, a) != tm.tm_min)
        return false;
    a = r->cmos[R_HOUR_ALARM];
    if ((a & 0xC0) != 0xC0 && rtc_dec_hour(r, a) != tm.tm_hour)
        return false;
    return true;
}

/* Account updates and periodic ticks that happened since the last look. */
static void rtc_update_flags(Rtc *r)
{
    uint64_t now = clock_ns(r->m);
    if (rtc_updating(r)) {
        int64_t sec = rtc_sec(r);
        if (sec > r->checked_sec) {
            r->flags |= C_UF;
            /* Alarm: look at the seconds updated since (the last few suffice,
             * an enabled alarm is checked every second by the timer). */
            int64_t from = sec - r->checked_sec > 3 ? sec - 3 : r->checked_sec + 1;
            for (int64_t s = from; s <= sec; s++)
                if (alarm_match(r, s))
                    r->flags |= C_AF;
        }
        r->checked_sec = sec;
    }
    uint32_t per = rtc_period_32k(r);
    if (per) {
        uint64_t k = ticks_32k(now) / per;
        if (k != r->pf_checked)
            r->flags |= C_PF;
        r->pf_checked = k;
    }
}

static uint8_t rtc_irqf(Rtc *r)
{
    uint8_t en = r->cmos[R_B] & (B_PIE | B_AIE | B_UIE);
    return (r->flags & en) ? C_IRQF : 0;
}

static void rtc_update_irq(Rtc *r)
{
    bool level = rtc_irqf(r) != 0;
    if (level != r->irq_level) {
        r->irq_level = level;
        irq_set(&r->irq, level);
    }
}

static void rtc_arm_timers(Rtc *r)
{
    uint64_t now = clock_ns(r->m);
    if ((r->cmos[R_B] & (B_UIE | B_AIE)) && rtc_updating(r)) {
        /* the virtual ns of the next whole second */
        uint64_t next = ((r->epoch_sub + now) / NS + 1) * NS - r->epoch_sub;
        timer_mod(r->m, &r->update_timer, next > now ? next : now);
    } else {
        timer_del(r->m, &r->update_timer);
    }
    uint32_t per = rtc_period_32k(r);
    if ((r->cmos[R_B] & B_PIE) && per) {
        uint64_t k = ticks_32k(now) / per + 1;
        unsigned __int128 t = ((unsigned __int128)k * per * NS + 32767) / 32768;
        timer_mod(r->m, &r->periodic_timer, (uint64_t)t);
    } else {
        timer_del(r->m, &r->periodic_timer);
    }
}

static void rtc_timer_cb(void *opaque)
{
    Rtc *r = opaque;
    rtc_update_flags(r);
    rtc_update_irq(r);
    rtc_arm_timers(r);
}

static uint8_t rtc_read_reg(Rtc *r, int idx)
{
    switch (idx) {
    case R_SEC:
    case R_MIN:
    case R_HOUR:
    case R_WDAY:
    case R_MDAY:
    case R_MON:
    case R_YEAR:
    case R_CENTURY:
        rtc_latch_time(r);
        return r->cmos[idx];
    case R_A: {
        uint8_t v = r->cmos[R_A] & 0x7F;
        if (rtc_updating(r)) {
            if (rtc_sub(r) >= NS - UIP_NS)
                v |= A_UIP;
        }
        return v;
    }
    case R_C: {
        rtc_update_flags(r);
        uint8_t v = r->flags | rtc_irqf(r);
        r->flags = 0;
        rtc_update_irq(r);
        return v;
    }
    case R_D:
        return 0x80; /* valid RAM and time */
    default:
        return r->cmos[idx & 0x7F];
    }
}

static void rtc_write_reg(Rtc *r, int idx, uint8_t val)
{
    switch (idx) {
    case R_SEC:
    case R_MIN:
    case R_HOUR:
    case R_WDAY:
    case R_MDAY:
    case R_MON:
    case R_YEAR:
    case R_CENTURY:
        rtc_latch_time(r);
        r->cmos[idx] = val;
        if (!(r->cmos[R_B] & B_SET)) {
            rtc_commit_time(r, true);
            rtc_arm_timers(r);
        }
        break;
    case R_A:
        rtc_update_flags(r);
        r->cmos[R_A] = val & 0x7F;
        r->pf_checked = rtc_period_32k(r) ? ticks_32k(clock_ns(r->m)) / rtc_period_32k(r) : 0;
        rtc_arm_timers(r);
        break;
    case R_B: {
        uint8_t old = r->cmos[R_B];
        rtc_update_flags(r);
        if ((val & B_SET) && !(old & B_SET))
            rtc_latch_time(r); /* freeze the registers as they are */
        if (val & B_SET)
            val &= ~B_UIE;
        r->cmos[R_B] = val;
        if (!(val & B_SET) && (old & B_SET))
            rtc_commit_time(r, false);
        rtc_update_irq(r);
        rtc_arm_timers(r);
        break;
    }
    case R_C:
    case R_D:
        break; /* read-only */
    default:
        r->cmos[idx & 0x7F] = val;
        break;
    }
}

static uint32_t rtc_io_read(void *opaque, uint32_t offset, int size_log2)
{
    Rtc *r = opaque;
    uint32_t v = 0;
    for (int i = 0; i < (1 << size_log2) && offset + i < 2; i++) {
        uint8_t b = (offset + i) == 0 ? 0xFF : rtc_read_reg(r, r->index);
        v |= (uint32_t)b << (8 * i);
    }
    return v;
}

static void rtc_io_write(void *opaque, uint32_t offset, uint32_t val, int size_log2)
{
    Rtc *r = opaque;
    for (int i = 0; i < (1 << size_log2) && offset + i < 2; i++) {
        uint8_t b = (uint8_t)(val >> (8 * i));
        if ((offset + i) == 0)
            r->index = b & 0x7F; /* bit 7: NMI mask, ignored */
        else
            rtc_write_reg(r, r->index, b);
    }
}

static void rtc_checksum(Rtc *r)
{
    uint16_t sum = 0;
    for (int i = 0x10; i <= 0x2D; i++)
        sum += r->cmos[i];
    r->cmos[0x2E] = (uint8_t)(sum >> 8);
    r->cmos[0x2F] = (uint8_t)sum;
}

void rtc_set_cmos(Rtc *r, int index, uint8_t val)
{
    index &= 0x7F;
    rtc_write_reg(r, index, val);
    if (index >= 0x10 && index <= 0x2D)
        rtc_checksum(r);
}

uint8_t rtc_get_cmos(Rtc *r, int index)
{
    index &= 0x7F;
    if (index == R_C) /* don't clear flags behind the guest's back */
        return r->flags | rtc_irqf(r);
    return rtc_read_reg(r, index);
}

void rtc_reset(Rtc *r)
{
    /* The clock and the CMOS RAM are battery-backed; a reset only disables
     * the interrupts and clears the flags. */
    rtc_update_flags(r);
    r->cmos[R_B] &= ~(B_PIE | B_AIE | B_UIE | 0x08 /* SQWE */);
    r->flags = 0;
    r->irq_level = false;
    irq_set(&r->irq, 0);
    rtc_arm_timers(r);
}

static void rtc_set_memory(Rtc *r, uint32_t ram_size)
{
    uint64_t ram = ram_size;
    r->cmos[0x15] = 640 & 0xFF;
    r->cmos[0x16] = 640 >> 8;
    uint64_t ext = ram > (1u << 20) ? (ram - (1u << 20)) / 1024 : 0;
    if (ext > 0xFFFF)
        ext = 0xFFFF;
    r->cmos[0x17] = r->cmos[0x30] = (uint8_t)ext;
    r->cmos[0x18] = r->cmos[0x31] = (uint8_t)(ext >> 8);
    uint64_t high = ram > (16u << 20) ? (ram - (16u << 20)) / 65536 : 0;
    if (high > 0xFFFF)
        high = 0xFFFF;
    r->cmos[0x34] = (uint8_t)high;
    r->cmos[0x35] = (uint8_t)(high >> 8);
    r->cmos[0x5B] = r->cmos[0x5C] = r->cmos[0x5D] = 0;
}

static void rtc_reset_cb(void *opaque)
{
    rtc_reset(opaque);
}

Rtc *rtc_new(Machine *m, IrqLine irq8, uint32_t ram_size, int64_t start_time_unix)
{
    Rtc *r = machine_zalloc(m, sizeof *r);
    r->m = m;
    r->irq = irq8;
    timer_init(&r->update_timer, rtc_timer_cb, r);
    timer_init(&r->periodic_timer, rtc_timer_cb, r);
    rtc_set_epoch(r, start_time_unix, 0);
    r->checked_sec = rtc_sec(r);
    r->cmos[R_A] = 0x26; /* 32.768 kHz time base, 1024 Hz periodic rate */
    r->cmos[R_B] = B_24H;
    r->cmos[0x10] = 0x00; /* no floppy drives */
    r->cmos[0x14] = 0x02; /* equipment: FPU present, VGA/EGA display, no floppy */
    rtc_set_memory(r, ram_size);
    rtc_checksum(r);
    rtc_latch_time(r);
    r->pf_checked = ticks_32k(clock_ns(m)) / rtc_period_32k(r);
    io_register(m, "rtc", 0x70, 2, r, rtc_io_read, rtc_io_write);
    machine_add_reset(m, rtc_reset_cb, r);
    return r;
}

const char *rtc_selfcheck(Rtc *r)
{
    if (r->index > 0x7F)
        return "register index beyond CMOS";
    if (r->irq_level != (rtc_irqf(r) != 0))
        return "IRQ8 does not match the enabled flags";
    return NULL;
}
