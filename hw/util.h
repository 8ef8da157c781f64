/* What every part of wirebox uses: one-line messages for a person, and
 * allocation that ends the program with a message when memory runs out. */
#pragma once
#include <stdarg.h>
#include <stddef.h>

/* A one-line error message for the user, written into err; returns 1 so a
 * parser can `return wb_errf(err, errlen, ...)`. Control characters in the
 * message are escaped (a newline in an argument cannot make a second line)
 * and a message too long for err loses its middle, not its reason. */
int wb_errf(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int wb_verrf(char *err, size_t errlen, const char *fmt, va_list ap);

/* Logging: one line on stderr, prefixed "wirebox: ", tidied as wb_errf. */
void wb_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* calloc/realloc/strdup/asprintf that exit(1) with "out of memory". */
void *wb_calloc(size_t n, size_t size);
void *wb_realloc(void *p, size_t size);
char *wb_strdup(const char *s);
char *wb_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
