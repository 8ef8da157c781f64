/* Host file descriptors of the fd-based backends (socket, stream, dgram,
 * tap, bridge, vde) on the machine's event loop. Each backend is a NetIo;
 * all of a machine's NetIos share one poll hook (hw/machine.h), so a machine
 * may have any number of them. A NetIo asks for the events it wants on each
 * poll: POLLIN only while its peer can take frames (flow control), POLLOUT
 * only while it has output waiting. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "hw/machine.h"

struct pollfd;
typedef struct NetIo NetIo;

struct NetIo {
    /* Before every poll: puts up to max pollfds in pfd and returns how many;
     * may lower *timeout_ns (host time) for work due without an fd event. */
    int (*fill)(NetIo *io, struct pollfd *pfd, int max, uint64_t *timeout_ns);
    /* After it: the pollfds fill gave, with revents; n is 0 when the poll
     * failed. Runs on every loop iteration, also without events. */
    void (*dispatch)(NetIo *io, struct pollfd *pfd, int n);
    /* owned by netio.c */
    Machine *m;
    int npfd;
    NetIo *next;
};

void netio_add(Machine *m, NetIo *io);
/* Not from within a fill or dispatch: clients are freed outside the loop
 * (net_client_free, net_cleanup). */
void netio_remove(NetIo *io);

/* Host monotonic time in ns (for reconnect timers, which run on host time
 * as QEMU's do, not on the virtual clock). */
uint64_t netio_now_ns(void);
