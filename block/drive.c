/* -hda/-hdb/-hdc/-hdd, -cdrom, -drive, -snapshot (block/drive.h).
 *
 * As in QEMU: -hdX FILE is -drive file=FILE,index=N (a=0 .. d=3), -cdrom
 * FILE is -drive file=FILE,index=2,media=cdrom; index N is IDE bus N/2,
 * unit N%2; a -drive without index, bus or unit takes the first free
 * position; the format is probed when not given (a warning for raw images
 * that will be written); -snapshot is snapshot=on for every drive that does
 * not say snapshot=off. */
#include "block/drive.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw/opts.h"
#include "hw/util.h"

static const char *const supported_keys[] = {
    "file", "format", "if", "index", "bus", "unit", "media", "readonly", "read-only",
    "snapshot", "cache", "id", "aio", "werror", "rerror", "discard", NULL,
};

/* Interfaces QEMU has and wirebox does not (yet). */
static const char *const other_ifs[] = {"none", "scsi", "floppy", "pflash", "mtd", "sd",
                                        "virtio", "xen", NULL};

static bool in_list(const char *const *l, const char *s)
{
    for (; *l; l++)
        if (!strcmp(*l, s))
            return true;
    return false;
}

void drive_spec_free(DriveSpec *s)
{
    if (!s)
        return;
    opts_free(s->opts);
    free(s->origin);
    free(s);
}

static int parse_drive(DriveSpec *s, int *index, char *err, size_t errlen)
{
    Opts *o = s->opts;
    const char *o_name = s->origin;
    for (int i = 0; i < o->n; i++)
        if (!in_list(supported_keys, o->items[i].key))
            return wb_errf(err, errlen, "%s: invalid parameter '%s'", o_name, o->items[i].key);
    const char *v;
    s->file = opts_get(o, "file");
    if ((v = opts_get(o, "format"))) {
        if (strcmp(v, "raw") && strcmp(v, "qcow2"))
            return wb_errf(err, errlen, "%s: format=%s: not supported by wirebox (supported: "
                           "raw, qcow2)", o_name, v);
        s->format = v;
    }
    if ((v = opts_get(o, "if")) && strcmp(v, "ide")) {
        if (in_list(other_ifs, v))
            return wb_errf(err, errlen, "%s: if=%s is not supported by wirebox yet "
                           "(supported: ide)", o_name, v);
        return wb_errf(err, errlen, "%s: unsupported bus type '%s'", o_name, v);
    }
    if ((v = opts_get(o, "media"))) {
        if (!strcmp(v, "cdrom"))
            s->cdrom = true;
        else if (strcmp(v, "disk"))
            return wb_errf(err, errlen, "%s: media=%s: expected disk or cdrom", o_name, v);
    }
    const char *ro = opts_get(o, "readonly");
    const char *ro2 = opts_get(o, "read-only");
    if (ro2 && !ro)
        ro = ro2;
    if (ro && opt_parse_bool(ro, &s->readonly))
        return wb_errf(err, errlen, "%s: readonly=%s: expected on or off", o_name, ro);
    if ((v = opts_get(o, "snapshot"))) {
        bool b;
        if (opt_parse_bool(v, &b))
            return wb_errf(err, errlen, "%s: snapshot=%s: expected on or off", o_name, v);
        s->snapshot = b;
    }
    if ((v = opts_get(o, "cache"))) {
        int mode = blk_cache_parse(v);
        if (mode < 0)
            return wb_errf(err, errlen, "%s: cache=%s: invalid cache option (expected "
                           "writeback, none, writethrough, directsync or unsafe)", o_name, v);
        s->cache = (BlockCache)mode;
    }
    if ((v = opts_get(o, "aio")) && strcmp(v, "threads") && strcmp(v, "native") &&
        strcmp(v, "io_uring"))
        return wb_errf(err, errlen, "%s: aio=%s: invalid aio option (expected threads, native "
                       "or io_uring)", o_name, v);
    if ((v = opts_get(o, "werror")) && strcmp(v, "report") && strcmp(v, "enospc"))
        return wb_errf(err, errlen, "%s: werror=%s is not supported by wirebox yet (errors "
                       "are reported to the guest: werror=report)", o_name, v);
    if ((v = opts_get(o, "rerror")) && strcmp(v, "report"))
        return wb_errf(err, errlen, "%s: rerror=%s is not supported by wirebox yet (errors "
                       "are reported to the guest: rerror=report)", o_name, v);
    if ((v = opts_get(o, "discard")) && strcmp(v, "ignore") && strcmp(v, "off") &&
        strcmp(v, "unmap") && strcmp(v, "on"))
        return wb_errf(err, errlen, "%s: discard=%s: expected ignore or unmap", o_name, v);
    if ((v = opts_get(o, "id"))) {
        if (!opt_valid_id(v))
            return wb_errf(err, errlen, "%s: id=%s: an id is a letter followed by letters, "
                           "digits, '-', '.' or '_'", o_name, v);
        s->id = (char *)v;
    }
    /* Position: index=, or bus= and unit= */
    const char *vi = opts_get(o, "index"), *vb = opts_get(o, "bus"), *vu = opts_get(o, "unit");
    uint64_t n;
    if (vi && (vb || vu))
        return wb_errf(err, errlen, "%s: index cannot be used with bus and unit", o_name);
    if (vi) {
        if (opt_parse_uint(vi, UINT32_MAX, &n))
            return wb_errf(err, errlen, "%s: index=%s: expected a number", o_name, vi);
        if (n >= IDE_DRIVES)
            return wb_errf(err, errlen, "%s: index=%s: too big (if=ide has indexes 0 to %d)",
                           o_name, vi, IDE_DRIVES - 1);
        *index = (int)n;
    } else if (vb || vu) {
        uint64_t bus = 0, unit = 0;
        if (vb && (opt_parse_uint(vb, UINT32_MAX, &bus) || bus > 1))
            return wb_errf(err, errlen, "%s: bus=%s: if=ide has buses 0 and 1", o_name, vb);
        if (vu && (opt_parse_uint(vu, UINT32_MAX, &unit) || unit > 1))
            return wb_errf(err, errlen, "%s: unit=%s: if=ide has units 0 and 1", o_name, vu);
        if (!vu)
            unit = 2; /* first free unit of the bus */
        *index = (int)(bus * 2 + unit);
        if (unit == 2)
            *index = -(int)bus - 10; /* marker: bus given, unit free */
    }
    if (!s->cdrom && (!s->file || !*s->file))
        return wb_errf(err, errlen, "%s: a disk needs an image: file=PATH", o_name);
    if (s->file && !*s->file)
        s->file = NULL;
    return 0;
}

/* Parses one option into a new spec and its requested index (-1: the
 * first free one; -10 - B: the first free unit on bus B). */
static int spec_parse(const char *name, const char *val, DriveSpec **out, int *index, char *err,
                      size_t errlen)
{
    DriveSpec *s = wb_calloc(1, sizeof *s);
    s->origin = wb_asprintf("-%s %s", name, val);
    s->snapshot = -1;
    s->cache = BLK_CACHE_WRITEBACK;
    *index = -1;
    *out = NULL;
    if (!strcmp(name, "drive")) {
        s->opts = opts_parse(val, NULL);
        if (parse_drive(s, index, err, errlen)) {
            drive_spec_free(s);
            return 1;
        }
    } else {
        /* -hdX FILE / -cdrom FILE: the whole argument is the file name */
        s->opts = opts_parse("", NULL);
        s->file = val;
        if (!*val) {
            int rc = wb_errf(err, errlen, "-%s: needs an image file", name);
            drive_spec_free(s);
            return rc;
        }
        if (!strcmp(name, "cdrom")) {
            s->cdrom = true;
            *index = 2;
        } else {
            *index = name[2] - 'a';
        }
    }
    *out = s;
    return 0;
}

DriveSpec *drive_config_spec(const DriveConfig *c, int i)
{
    DriveSpec *s;
    int index;
    char err[8];
    if (i < 0 || i >= IDE_DRIVES || !c->slot[i].name ||
        spec_parse(c->slot[i].name, c->slot[i].val, &s, &index, err, sizeof err))
        return NULL;
    return s;
}

int drive_config_add(DriveConfig *c, const char *name, const char *val, char *err,
                     size_t errlen)
{
    if (!strcmp(name, "snapshot")) {
        c->snapshot_all = true;
        return 0;
    }
    DriveSpec *s;
    int index;
    if (spec_parse(name, val, &s, &index, err, errlen))
        return 1;
    int rc = 0;
    if (index <= -10) { /* bus given, first free unit on it */
        int bus = -index - 10;
        index = c->slot[bus * 2].name ? bus * 2 + 1 : bus * 2;
    } else if (index < 0) {
        index = 0;
        while (index < IDE_DRIVES && c->slot[index].name)
            index++;
        if (index == IDE_DRIVES)
            rc = wb_errf(err, errlen, "%s: no free IDE position (at most %d drives)", s->origin,
                         IDE_DRIVES);
    }
    if (!rc && c->slot[index].name)
        rc = wb_errf(err, errlen, "%s: drive with bus=%d, unit=%d (index=%d) exists (-%s %s)",
                     s->origin, index / 2, index % 2, index, c->slot[index].name,
                     c->slot[index].val);
    for (int i = 0; i < IDE_DRIVES && s->id && !rc; i++) {
        DriveSpec *o = drive_config_spec(c, i);
        if (o && o->id && !strcmp(o->id, s->id))
            rc = wb_errf(err, errlen, "%s: duplicate drive id '%s'", s->origin, s->id);
        drive_spec_free(o);
    }
    if (!rc) {
        c->slot[index].name = name;
        c->slot[index].val = val;
    }
    drive_spec_free(s);
    return rc;
}

int drive_config_open(const DriveConfig *c, IdeDriveConf out[IDE_DRIVES], char *err,
                      size_t errlen)
{
    memset(out, 0, sizeof(IdeDriveConf) * IDE_DRIVES);
    for (int i = 0; i < IDE_DRIVES; i++) {
        DriveSpec *s = drive_config_spec(c, i);
        if (!s)
            continue;
        out[i].present = true;
        out[i].cdrom = s->cdrom;
        int rc = 0;
        if (s->file) {
            bool snap = s->snapshot == 1 || (s->snapshot < 0 && c->snapshot_all);
            BlockOpen bo = {
                .format = s->format,
                .readonly = s->readonly || s->cdrom,
                .snapshot = snap && !s->cdrom,
                .cache = s->cache,
                .what = s->origin,
            };
            rc = blk_open(s->file, &bo, &out[i].blk, err, errlen);
        }
        drive_spec_free(s);
        if (rc) {
            drive_config_close(out);
            return 1;
        }
    }
    return 0;
}

void drive_config_close(IdeDriveConf conf[IDE_DRIVES])
{
    for (int i = 0; i < IDE_DRIVES; i++) {
        blk_close(conf[i].blk);
        conf[i].blk = NULL;
    }
}
