/* One poll hook per machine for all its fd-based backends (net/netio.h). */
#include "net/netio.h"

#include <poll.h>
#include <stdlib.h>
#include <time.h>

typedef struct IoLoop {
    Machine *m;
    NetIo *ios;
    struct IoLoop *next;
} IoLoop;

static IoLoop *loops;

static IoLoop *loop_of(Machine *m)
{
    for (IoLoop *l = loops; l; l = l->next)
        if (l->m == m)
            return l;
    return NULL;
}

static int io_fill(void *opaque, struct pollfd *pfd, int max, uint64_t *timeout_ns)
{
    IoLoop *l = opaque;
    int n = 0;
    for (NetIo *io = l->ios; io; io = io->next) {
        io->npfd = io->fill(io, pfd + n, max - n, timeout_ns);
        n += io->npfd;
    }
    return n;
}

static void io_dispatch(void *opaque, struct pollfd *pfd, int n, bool error)
{
    IoLoop *l = opaque;
    int at = 0;
    for (NetIo *io = l->ios; io; io = io->next) {
        int k = io->npfd;
        io->npfd = 0;
        io->dispatch(io, pfd + at, error || at + k > n ? 0 : k);
        at += k;
    }
}

void netio_add(Machine *m, NetIo *io)
{
    IoLoop *l = loop_of(m);
    if (!l) {
        l = calloc(1, sizeof *l);
        if (!l) {
            wb_log("out of memory");
            exit(1);
        }
        l->m = m;
        l->next = loops;
        loops = l;
        loop_add_poll_hook(m, io_fill, io_dispatch, l);
    }
    io->m = m;
    io->npfd = 0;
    io->next = NULL;
    NetIo **pp = &l->ios;
    while (*pp)
        pp = &(*pp)->next;
    *pp = io;
}

void netio_remove(NetIo *io)
{
    IoLoop *l = io->m ? loop_of(io->m) : NULL;
    if (!l)
        return;
    for (NetIo **pp = &l->ios; *pp; pp = &(*pp)->next) {
        if (*pp == io) {
            *pp = io->next;
            break;
        }
    }
    io->m = NULL;
    if (!l->ios) {
        loop_remove_poll_hook(l->m, l);
        for (IoLoop **pp = &loops; *pp; pp = &(*pp)->next) {
            if (*pp == l) {
                *pp = l->next;
                break;
            }
        }
        free(l);
    }
}

uint64_t netio_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}
