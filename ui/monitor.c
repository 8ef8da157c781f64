/* The human monitor (ui/monitor.h): line editing, the dispatcher over
 * every subsystem's command table, help and info. */
#define _GNU_SOURCE
#include "ui/monitor.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui/chardev.h"

#define PROMPT "(qemu) "
#define LINE_MAX_LEN 1024
#define MAX_ARGS 32

struct Monitor {
    Machine *m;
    const MonitorTable *const *tables;
    MonitorWrite write;
    void *opaque;
    CharDev *out;   /* on a chardev: what we write to */
    bool mux;       /* the chardev is shared: shown on Ctrl-A c, not at open */
    bool banner_shown;
    char line[LINE_MAX_LEN];
    size_t len;
    bool last_cr;
    int esc; /* 0, 1: ESC seen, 2: ESC [ seen */
    Monitor *next;
};

static Monitor *all_monitors;

/* ------------------------------------------------------------------ output */

static void mon_write(Monitor *mon, const char *s, size_t n)
{
    if (mon->write && n)
        mon->write(mon->opaque, s, n);
}

/* Text with "\n" as "\r\n", as QEMU sends it. */
static void mon_puts(Monitor *mon, const char *s)
{
    while (*s) {
        size_t n = strcspn(s, "\n");
        mon_write(mon, s, n);
        s += n;
        if (*s == '\n') {
            mon_write(mon, "\r\n", 2);
            s++;
        }
    }
}

static void mon_vprintf(Monitor *mon, const char *fmt, va_list ap)
{
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0)
        return;
    mon_puts(mon, s);
    free(s);
}

void monitor_printf(Monitor *mon, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    mon_vprintf(mon, fmt, ap);
    va_end(ap);
}

int monitor_errf(Monitor *mon, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) >= 0) {
        /* one line: a newline inside the message becomes a space */
        for (char *p = s; *p; p++)
            if (*p == '\n' || *p == '\r')
                *p = ' ';
        mon_puts(mon, s);
        mon_puts(mon, "\n");
        free(s);
    }
    va_end(ap);
    return 1;
}

Machine *monitor_machine(Monitor *mon)
{
    return mon->m;
}

/* ------------------------------------------------------------------ the tables */

extern const MonitorTable monitor_core_table;

/* Does typed word w name row (its name or an alias after '|')? */
static bool name_matches(const char *names, const char *w)
{
    size_t wl = strlen(w);
    for (const char *p = names; *p;) {
        size_t n = strcspn(p, "|");
        if (n == wl && !strncmp(p, w, n))
            return true;
        p += n;
        if (*p == '|')
            p++;
    }
    return false;
}

/* Every table the monitor has: the core (help, info) and the subsystems'. */
static const MonitorTable *table_at(Monitor *mon, int i)
{
    if (i == 0)
        return &monitor_core_table;
    return mon->tables[i - 1];
}

static const MonitorCommand *find_row(Monitor *mon, const char *w, bool info)
{
    for (int t = 0; table_at(mon, t); t++) {
        const MonitorCommand *rows = info ? table_at(mon, t)->info : table_at(mon, t)->commands;
        for (const MonitorCommand *r = rows; r && r->name; r++)
            if (name_matches(r->name, w))
                return r;
    }
    return NULL;
}

static int row_cmp(const void *a, const void *b)
{
    return strcmp((*(const MonitorCommand *const *)a)->name,
                  (*(const MonitorCommand *const *)b)->name);
}

/* Rows of every table (commands or info), sorted by name; returns how many. */
static int all_rows(Monitor *mon, bool info, const MonitorCommand **out, int max)
{
    int n = 0;
    for (int t = 0; table_at(mon, t); t++) {
        const MonitorCommand *rows = info ? table_at(mon, t)->info : table_at(mon, t)->commands;
        for (const MonitorCommand *r = rows; r && r->name && n < max; r++)
            out[n++] = r;
    }
    qsort(out, (size_t)n, sizeof out[0], row_cmp);
    return n;
}

static void print_row(Monitor *mon, const char *prefix, const MonitorCommand *r)
{
    monitor_printf(mon, "%s%s %s -- %s\n", prefix, r->name, r->args ? r->args : "", r->help);
}

static void print_info_rows(Monitor *mon)
{
    const MonitorCommand *rows[256];
    int n = all_rows(mon, true, rows, 256);
    for (int i = 0; i < n; i++)
        print_row(mon, "info ", rows[i]);
}

/* ------------------------------------------------------------------ the dispatcher */

/* Splits line into words (in place): spaces separate, "..." keeps spaces,
 * \" and \\ inside quotes. Returns the count, or -1 for an unterminated quote. */
static int split_words(char *line, char **argv, int max)
{
    int argc = 0;
    char *p = line, *o = line;
    for (;;) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p)
            break;
        if (argc >= max)
            return max + 1;
        argv[argc++] = o;
        bool quoted = false;
        while (*p && (quoted || (*p != ' ' && *p != '\t'))) {
            if (*p == '"') {
                quoted = !quoted;
                p++;
            } else if (quoted && *p == '\\' && (p[1] == '"' || p[1] == '\\')) {
                *o++ = p[1];
                p += 2;
            } else {
                *o++ = *p++;
            }
        }
        if (quoted)
            return -1;
        bool end = !*p;
        *o++ = '\0';
        if (end)
            break;
        p++;
    }
    return argc;
}

static void usage_error(Monitor *mon, const char *what, const MonitorCommand *r, bool info,
                        const char *why)
{
    monitor_errf(mon, "%s%s: %s (usage: %s%s%s%s)", info ? "info " : "", what, why,
                 info ? "info " : "", what, r->args ? " " : "", r->args ? r->args : "");
}

/* Runs row r with argv (argv[0] its name): checks the argument count. */
static void run_row(Monitor *mon, const MonitorCommand *r, int argc, char **argv, bool info)
{
    int nargs = argc - 1;
    if (nargs < r->min_args) {
        usage_error(mon, argv[0], r, info, "missing argument");
        return;
    }
    if (r->max_args >= 0 && nargs > r->max_args) {
        usage_error(mon, argv[0], r, info,
                    r->max_args == 0 ? "takes no arguments" : "too many arguments");
        return;
    }
    r->handler(mon, argc, argv);
}

void monitor_execute(Monitor *mon, const char *text)
{
    char *line = strdup(text ? text : "");
    char *argv[MAX_ARGS + 2];
    if (!line)
        return;
    int argc = split_words(line, argv, MAX_ARGS);
    if (argc < 0) {
        monitor_errf(mon, "unterminated quote in: %s", text);
    } else if (argc > MAX_ARGS) {
        monitor_errf(mon, "too many words (at most %d)", MAX_ARGS);
    } else if (argc > 0) {
        argv[argc] = NULL;
        const MonitorCommand *r = find_row(mon, argv[0], false);
        if (!r)
            monitor_errf(mon, "unknown command: '%s' (try 'help')", argv[0]);
        else
            run_row(mon, r, argc, argv, false);
    }
    free(line);
}

/* ------------------------------------------------------------------ core commands */

static int cmd_help(Monitor *mon, int argc, char **argv)
{
    if (argc > 1) {
        if (!strcmp(argv[1], "info")) {
            print_info_rows(mon);
            return 0;
        }
        const MonitorCommand *r = find_row(mon, argv[1], false);
        if (!r)
            return monitor_errf(mon, "help: unknown command: '%s'", argv[1]);
        print_row(mon, "", r);
        return 0;
    }
    const MonitorCommand *rows[256];
    int n = all_rows(mon, false, rows, 256);
    for (int i = 0; i < n; i++)
        print_row(mon, "", rows[i]);
    return 0;
}

static int cmd_info(Monitor *mon, int argc, char **argv)
{
    if (argc == 1) {
        print_info_rows(mon);
        return 0;
    }
    const MonitorCommand *r = find_row(mon, argv[1], true);
    if (!r)
        return monitor_errf(mon, "unknown command: 'info %s' (try 'info')", argv[1]);
    run_row(mon, r, argc - 1, argv + 1, true);
    return 0;
}

static const MonitorCommand core_commands[] = {
    {.name = "help|?", .args = "[cmd]", .help = "show the help", .handler = cmd_help,
     .min_args = 0, .max_args = 1},
    {.name = "info", .args = "[subcommand]",
     .help = "show various information about the system state", .handler = cmd_info,
     .min_args = 0, .max_args = -1},
    {NULL},
};

const MonitorTable monitor_core_table = {.owner = "monitor", .commands = core_commands};

/* ------------------------------------------------------------------ line editing */

static void prompt(Monitor *mon)
{
    mon_write(mon, PROMPT, strlen(PROMPT));
}

void monitor_show(Monitor *mon)
{
    if (!mon->banner_shown) {
        monitor_printf(mon, "wirebox %s monitor - type 'help' for more information\n",
                       WIREBOX_VERSION);
        mon->banner_shown = true;
    }
    prompt(mon);
}

static void run_line(Monitor *mon)
{
    mon->line[mon->len] = '\0';
    mon->len = 0;
    mon_write(mon, "\r\n", 2);
    monitor_execute(mon, mon->line);
    if (!mon->m || !mon->m->shutdown_requested)
        prompt(mon);
}

void monitor_input(Monitor *mon, const char *buf, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)buf[i];
        bool was_cr = mon->last_cr;
        mon->last_cr = ch == '\r';
        if (mon->esc == 1) { /* ESC: a sequence follows (arrow keys): swallowed */
            mon->esc = ch == '[' || ch == 'O' ? 2 : 0;
            continue;
        }
        if (mon->esc == 2) {
            if (ch >= 0x40 && ch <= 0x7E)
                mon->esc = 0;
            continue;
        }
        if (ch == '\n' && was_cr)
            continue; /* CR LF is one Enter */
        if (ch == '\r' || ch == '\n') {
            run_line(mon);
        } else if (ch == 0x7F || ch == 0x08) {
            if (mon->len) {
                mon->len--;
                mon_write(mon, "\b \b", 3);
            }
        } else if (ch == 0x15) { /* Ctrl-U: erase the line */
            while (mon->len) {
                mon->len--;
                mon_write(mon, "\b \b", 3);
            }
        } else if (ch == 0x1B) {
            mon->esc = 1;
        } else if (ch >= 0x20 && mon->len < LINE_MAX_LEN - 1) {
            mon->line[mon->len++] = (char)ch;
            mon_write(mon, (const char *)&buf[i], 1);
        }
    }
}

/* ------------------------------------------------------------------ life */

Monitor *monitor_new(Machine *m, const MonitorTable *const *tables, MonitorWrite write,
                     void *opaque)
{
    Monitor *mon = wb_calloc(1, sizeof *mon);
    mon->m = m;
    mon->tables = tables ? tables : monitor_tables;
    mon->write = write;
    mon->opaque = opaque;
    return mon;
}

void monitor_free(Monitor *mon)
{
    for (Monitor **pp = &all_monitors; *pp; pp = &(*pp)->next) {
        if (*pp == mon) {
            *pp = mon->next;
            break;
        }
    }
    free(mon);
}

void monitors_free_all(void)
{
    while (all_monitors)
        monitor_free(all_monitors);
}

static void chr_out(void *opaque, const char *buf, size_t len)
{
    Monitor *mon = opaque;
    mon->out->write(mon->out->opaque, (const uint8_t *)buf, len);
}

static size_t fe_can_receive(void *opaque)
{
    return LINE_MAX_LEN;
}

static void fe_receive(void *opaque, const uint8_t *buf, size_t len)
{
    monitor_input(opaque, (const char *)buf, len);
}

static void fe_event(void *opaque, CharEvent ev)
{
    Monitor *mon = opaque;
    switch (ev) {
    case CHR_EVENT_OPENED:
        mon->len = 0;
        mon->esc = 0;
        if (!mon->mux)
            monitor_show(mon);
        break;
    case CHR_EVENT_MUX_IN:
        monitor_show(mon);
        break;
    case CHR_EVENT_CLOSED:
        mon->len = 0;
        mon->esc = 0;
        if (!mon->mux)
            mon->banner_shown = false; /* the next client gets the banner */
        break;
    case CHR_EVENT_MUX_OUT:
        break;
    }
}

Monitor *monitor_open_chardev(Machine *m, Chardev *chr, char *err, size_t errlen)
{
    Monitor *mon = monitor_new(m, NULL, chr_out, NULL);
    mon->opaque = mon;
    CharFrontend fe = {fe_can_receive, fe_receive, fe_event, mon};
    mon->out = chardev_claim(chr, &fe, err, errlen);
    if (!mon->out) {
        free(mon);
        return NULL;
    }
    mon->mux = chardev_is_mux(chr);
    mon->next = all_monitors;
    all_monitors = mon;
    return mon;
}
