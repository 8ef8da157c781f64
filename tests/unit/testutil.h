/* Tiny helpers shared by the device unit tests. */
#pragma once
#include <check.h>
#include <stdlib.h>

#include "hw/pc.h"

/* main() running one libcheck suite; exit status 1 if any test failed. */
#define WB_TEST_MAIN(suite_fn)                                                                     \
    int main(void)                                                                                 \
    {                                                                                              \
        SRunner *sr = srunner_create(suite_fn());                                                  \
        srunner_run_all(sr, CK_NORMAL);                                                            \
        int failed = srunner_ntests_failed(sr);                                                    \
        srunner_free(sr);                                                                          \
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;                                               \
    }

/* A bare machine whose virtual clock is cpu->icount ns (icount shift 0). */
static inline Machine *wb_test_machine(uint32_t ram_size)
{
    Machine *m = machine_new_bare(ram_size);
    ck_assert_ptr_nonnull(m);
    m->icount_shift = 0;
    return m;
}

/* Advance virtual time to ns, firing each timer at its own deadline. */
static inline void wb_run_until(Machine *m, uint64_t ns)
{
    uint64_t d;
    while ((d = timer_next_deadline(m)) <= ns) {
        if (d > clock_ns(m))
            m->cpu->icount = d - m->skipped_ns;
        timers_run(m);
    }
    if (ns > clock_ns(m))
        m->cpu->icount = ns - m->skipped_ns;
    timers_run(m);
}
