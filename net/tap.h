/* What -netdev tap and -netdev bridge share: a client on a tap device's
 * file descriptor, and QEMU's bridge helper protocol. */
#pragma once
#include <stddef.h>

#include "net/net.h"

/* QEMU's defaults (Debian installs both scripts with qemu-system-common). */
#define TAP_DEFAULT_SCRIPT "/etc/qemu-ifup"
#define TAP_DEFAULT_DOWNSCRIPT "/etc/qemu-ifdown"
#define BRIDGE_DEFAULT_HELPER "/usr/lib/qemu/qemu-bridge-helper"
#define BRIDGE_DEFAULT_BR "br0"

/* A tap client (type "tap") on fd, which it owns from now on (also when it
 * fails). downscript (NULL: none) runs with the interface's name when the
 * client goes away. info: what info network shows. NULL with err. */
NetClient *tap_client_new(Machine *m, const char *name, int fd, const char *downscript,
                          const char *info, char *err, size_t errlen);

/* The tap interface's name (TUNGETIFF), into buf; "" if unknown. */
void tap_ifname(int fd, char *buf, size_t len);

/* Runs QEMU's bridge helper: `HELPER --fd=N --br=BR` (through /bin/sh -c if
 * HELPER has spaces, as QEMU does); the helper creates a tap interface,
 * plugs it into bridge BR (if its ACL, /etc/qemu/bridge.conf, allows) and
 * sends the tap's fd back over the unix socket N (SCM_RIGHTS). Returns the
 * fd, or -1 with one line in err (the helper's own complaint, if it made
 * one). */
int bridge_helper_open(const char *helper, const char *br, char *err, size_t errlen);
