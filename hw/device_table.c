/* Every device model a user can add with -device, in the order -device help
 * lists them within a category. A new device is its own file (with a const
 * DeviceModel, see hw/device.h) and one line here. */
#include "hw/device.h"

extern const DeviceModel e1000_device;     /* hw/e1000.c: Intel 82540EM */
extern const DeviceModel rtl8139_device;   /* hw/rtl8139.c: Realtek RTL8139C+/C */
extern const DeviceModel vga_device;       /* hw/vga.c: QEMU's std VGA */
extern const DeviceModel debugexit_device; /* hw/debugexit.c: isa-debug-exit */
extern const DeviceModel debugcon_device;  /* hw/debugcon.c: isa-debugcon */

const DeviceModel *const device_models[] = {
    &e1000_device,
    &rtl8139_device,
    &vga_device,
    &debugexit_device,
    &debugcon_device,
    NULL,
};
