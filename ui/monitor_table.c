/* Every subsystem's monitor commands (ui/monitor.h): one const table per
 * subsystem, defined in its own file and listed here once. */
#include "ui/monitor.h"

extern const MonitorTable machine_monitor_table; /* ui/monitor_machine.c */
extern const MonitorTable chardev_monitor_table; /* ui/chardev.c */
extern const MonitorTable net_monitor_table;     /* ui/monitor_net.c */

const MonitorTable *const monitor_tables[] = {
    &machine_monitor_table,
    &chardev_monitor_table,
    &net_monitor_table,
    NULL,
};
