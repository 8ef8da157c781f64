/* The NIC models this build can create (-device MODEL, -nic/-net nic,model=). */
#include "net/nic.h"

#include <string.h>

static const NicModel e1000_model = {
    .name = "e1000",
    .desc = "Intel 82540EM Gigabit Ethernet (PCI 8086:100e)",
    .create = e1000_create,
};

const NicModel *const nic_models[] = {
    &e1000_model,
    NULL,
};

const NicModel *nic_model_find(const char *name)
{
    for (int i = 0; nic_models[i]; i++)
        if (!strcmp(nic_models[i]->name, name))
            return nic_models[i];
    return NULL;
}
