/* Every device model a user can add with -device, in the order -device help
 * lists them within a category. A new device is its own file (with a const
 * DeviceModel, see hw/device.h) and one line here. */
#include "hw/device.h"

extern const DeviceModel e1000_device; /* hw/e1000.c: Intel 82540EM */

const DeviceModel *const device_models[] = {
    &e1000_device,
    NULL,
};
