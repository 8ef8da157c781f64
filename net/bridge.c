/* -netdev bridge,id=ID[,br=BRIDGE][,helper=PROG]: a tap interface plugged
 * into a host bridge by QEMU's bridge helper, so that an unprivileged user
 * can put a guest on a bridge the administrator allowed in
 * /etc/qemu/bridge.conf ("allow br0"). wirebox speaks the helper's
 * protocol, so Debian's /usr/lib/qemu/qemu-bridge-helper (package
 * qemu-system-common) works unchanged: the helper is started as
 * `HELPER --fd=N --br=BRIDGE` with N one end of a unix socket pair, and
 * sends the tap's file descriptor back on it (SCM_RIGHTS, with one byte of
 * data); its exit status says whether it worked. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "net/backend.h"
#include "net/tap.h"

/* The last non-empty line of s (the helper's complaint), trimmed. */
static void last_line(char *s, char *out, size_t outlen)
{
    size_t n = strlen(s);
    while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' '))
        s[--n] = '\0';
    char *nl = strrchr(s, '\n');
    snprintf(out, outlen, "%s", nl ? nl + 1 : s);
}

int bridge_helper_open(const char *helper, const char *br, char *err, size_t errlen)
{
    char prog[4096];
    snprintf(prog, sizeof prog, "%s", helper);
    bool shell = strpbrk(helper, " \t") != NULL;
    if (!shell && access(helper, X_OK) != 0)
        return wb_errf(err, errlen, "bridge helper %s: %s%s", helper, strerror(errno),
                       !strcmp(helper, BRIDGE_DEFAULT_HELPER)
                           ? " (Debian has it in the package qemu-system-common)"
                           : ""),
               -1;
    int sv[2], ep[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
        return wb_errf(err, errlen, "bridge helper: socketpair: %s", strerror(errno)), -1;
    if (pipe2(ep, O_CLOEXEC) < 0) {
        close(sv[0]);
        close(sv[1]);
        return wb_errf(err, errlen, "bridge helper: pipe: %s", strerror(errno)), -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        close(sv[0]);
        close(sv[1]);
        close(ep[0]);
        close(ep[1]);
        return wb_errf(err, errlen, "bridge helper: fork: %s", strerror(errno)), -1;
    }
    if (pid == 0) {
        /* The helper's end of the socket stays open across exec; its
         * complaints come back to us through the pipe. */
        fcntl(sv[1], F_SETFD, 0);
        dup2(ep[1], 2);
        signal(SIGPIPE, SIG_DFL);
        char fdarg[32], brarg[4200];
        snprintf(fdarg, sizeof fdarg, "--fd=%d", sv[1]);
        snprintf(brarg, sizeof brarg, "--br=%s", br);
        if (shell) {
            char cmd[8400];
            snprintf(cmd, sizeof cmd, "%s %s %s", helper, fdarg, brarg);
            execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        } else {
            execl(prog, prog, fdarg, brarg, (char *)NULL);
        }
        fprintf(stderr, "cannot run %s: %s\n", helper, strerror(errno));
        _exit(127);
    }
    close(sv[1]);
    close(ep[1]);

    /* Wait for the fd (or the helper's end), 30 s at most. */
    int tapfd = -1;
    struct pollfd p = {.fd = sv[0], .events = POLLIN};
    int r;
    do
        r = poll(&p, 1, 30000);
    while (r < 0 && errno == EINTR);
    if (r > 0) {
        char byte;
        struct iovec iov = {.iov_base = &byte, .iov_len = 1};
        union {
            char buf[CMSG_SPACE(sizeof(int))];
            struct cmsghdr align;
        } u;
        struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
                             .msg_controllen = sizeof u.buf};
        ssize_t n;
        do
            n = recvmsg(sv[0], &msg, MSG_CMSG_CLOEXEC);
        while (n < 0 && errno == EINTR);
        struct cmsghdr *cm = n > 0 ? CMSG_FIRSTHDR(&msg) : NULL;
        if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS &&
            cm->cmsg_len == CMSG_LEN(sizeof(int)))
            memcpy(&tapfd, CMSG_DATA(cm), sizeof tapfd);
    } else {
        kill(pid, SIGKILL);
    }
    close(sv[0]);

    /* What the helper said, and how it ended. */
    char said[4096];
    size_t got = 0;
    for (;;) {
        ssize_t n = read(ep[0], said + got, sizeof said - 1 - got);
        if (n > 0 && got + (size_t)n < sizeof said - 1) {
            got += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        break;
    }
    said[got] = '\0';
    close(ep[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (tapfd >= 0 && ok) {
        if (got) /* a warning from a helper that worked: pass it on */
            wb_log("bridge helper: %s", said);
        return tapfd;
    }
    if (tapfd >= 0)
        close(tapfd);
    char line[1024];
    last_line(said, line, sizeof line);
    if (r == 0)
        return wb_errf(err, errlen, "bridge helper %s did not answer within 30 s", helper), -1;
    if (*line)
        return wb_errf(err, errlen, "bridge helper %s --br=%s failed: %s", helper, br, line), -1;
    if (WIFSIGNALED(status))
        return wb_errf(err, errlen, "bridge helper %s was killed by signal %d", helper,
                       WTERMSIG(status)),
               -1;
    return wb_errf(err, errlen, "bridge helper %s --br=%s failed (exit status %d)%s", helper, br,
                   WIFEXITED(status) ? WEXITSTATUS(status) : -1,
                   ok ? " without sending a file descriptor" : ""),
           -1;
}

/* ------------------------------------------------------------------ -netdev bridge */

typedef struct BridgeConf {
    const char *br, *helper;
} BridgeConf;

static const NetBackendOption bridge_options[] = {
    {"br", "BRIDGE: the host bridge to join (br0); allowed in /etc/qemu/bridge.conf"},
    {"helper", "PROG: the bridge helper (/usr/lib/qemu/qemu-bridge-helper)"},
    {NULL},
};

static int bridge_parse(Opts *o, const char *origin, void **conf, char *err, size_t errlen)
{
    BridgeConf *c = wb_calloc(1, sizeof *c);
    c->br = opts_get(o, "br");
    c->helper = opts_get(o, "helper");
    if (!c->br)
        c->br = BRIDGE_DEFAULT_BR;
    if (!c->helper)
        c->helper = BRIDGE_DEFAULT_HELPER;
    if (!*c->br || strlen(c->br) >= 16 || strchr(c->br, '/') || strpbrk(c->br, " \t")) {
        wb_errf(err, errlen, "%s: br=%s: not a valid interface name", origin, c->br);
        free(c);
        return 1;
    }
    if (!*c->helper) {
        wb_errf(err, errlen, "%s: helper= is empty", origin);
        free(c);
        return 1;
    }
    *conf = c;
    return 0;
}

static NetClient *bridge_create(Machine *m, const char *name, const void *conf, char *err,
                                size_t errlen)
{
    const BridgeConf *c = conf;
    int fd = bridge_helper_open(c->helper, c->br, err, errlen);
    if (fd < 0)
        return NULL;
    char info[4200], ifname[32];
    tap_ifname(fd, ifname, sizeof ifname);
    snprintf(info, sizeof info, "helper=%s,br=%s%s%s", c->helper, c->br,
             *ifname ? ",ifname=" : "", ifname);
    return tap_client_new(m, name, fd, NULL, info, err, errlen);
}

const NetBackend net_bridge_backend = {
    .type = "bridge",
    .desc = "a tap on a host bridge, made by QEMU's qemu-bridge-helper (no root needed)",
    .host = true,
    .options = bridge_options,
    .parse = bridge_parse,
    .free_conf = free,
    .create = bridge_create,
};
