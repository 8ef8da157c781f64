/* The drive options: -hda/-hdb/-hdc/-hdd, -cdrom, -drive and -snapshot,
 * parsed and checked when given (QEMU's syntax and defaults, one line for
 * every mistake), and the images opened before the machine is built. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "block/block.h"
#include "hw/ide.h"

typedef struct DriveSpec {
    char *origin;       /* the option as given, for messages: "-drive file=a.img" */
    const char *file;   /* NULL: an empty CD-ROM drive */
    const char *format; /* NULL: probe */
    bool cdrom;
    bool readonly;
    int snapshot;       /* -1: as -snapshot says, 0 off, 1 on */
    BlockCache cache;
    char *id;
    struct Opts *opts;  /* owns the strings */
} DriveSpec;

/* The options as given (pointers into argv), by drive index = bus * 2 +
 * unit; each is checked when added and parsed again when opened. */
typedef struct DriveConfig {
    struct {
        const char *name; /* NULL: no drive at this index */
        const char *val;
    } slot[IDE_DRIVES];
    bool snapshot_all; /* -snapshot */
} DriveConfig;

/* One option: name is "hda".."hdd", "cdrom", "drive" or "snapshot" (without
 * the dash), val its argument; both must outlive c. 0, or 1 with one line
 * in err. */
int drive_config_add(DriveConfig *c, const char *name, const char *val, char *err,
                     size_t errlen);
/* Opens the images into out (present drives with their BlockDevs). 0, or 1
 * with one line in err naming the option and the file (nothing left open). */
int drive_config_open(const DriveConfig *c, IdeDriveConf out[IDE_DRIVES], char *err,
                      size_t errlen);
/* Flushes and closes what drive_config_open opened. */
void drive_config_close(IdeDriveConf conf[IDE_DRIVES]);
/* Option i parsed (NULL: no drive there); free it with drive_spec_free. */
DriveSpec *drive_config_spec(const DriveConfig *c, int i);
void drive_spec_free(DriveSpec *s);
