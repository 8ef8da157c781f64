/* Where firmware files are found (bios/bios.h: fw_find): as QEMU finds
 * them, the name as given first, then each -L directory in order, then the
 * directories Debian's QEMU is built to search (its --firmwarepath): its own
 * data, Debian's seabios package, and Debian's ipxe-qemu package. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bios/bios.h"

static const char *const default_dirs[] = {
    "/usr/share/qemu",
    "/usr/share/seabios",
    "/usr/lib/ipxe/qemu",
};
#define NDEFAULT ((int)(sizeof default_dirs / sizeof default_dirs[0]))

static const char *user_dirs[FW_MAX_DIRS];
static int nuser;

void fw_dirs_set(const char *const *dirs, int n)
{
    nuser = 0;
    for (int i = 0; i < n && i < FW_MAX_DIRS; i++)
        user_dirs[nuser++] = dirs[i];
}

static const char *dir_at(int i)
{
    return i < nuser ? user_dirs[i] : default_dirs[i - nuser];
}

char *fw_find(const char *name)
{
    if (!name || !*name)
        return NULL;
    if (access(name, R_OK) == 0)
        return wb_strdup(name);
    if (strchr(name, '/'))
        return NULL; /* a path: not looked up in the directories */
    for (int i = 0; i < nuser + NDEFAULT; i++) {
        char *p = wb_asprintf("%s/%s", dir_at(i), name);
        if (access(p, R_OK) == 0)
            return p;
        free(p);
    }
    return NULL;
}

void fw_dirs_print(FILE *f)
{
    for (int i = 0; i < nuser + NDEFAULT; i++)
        fprintf(f, "%s\n", dir_at(i));
}

/* The directories, for "not found" messages: "DIR, DIR and DIR". */
const char *fw_dirs_text(void)
{
    static char text[1024];
    text[0] = '\0';
    int n = nuser + NDEFAULT;
    for (int i = 0; i < n; i++) {
        size_t l = strlen(text);
        snprintf(text + l, sizeof text - l, "%s%s", i == 0 ? "" : i == n - 1 ? " and " : ", ",
                 dir_at(i));
    }
    return text;
}
