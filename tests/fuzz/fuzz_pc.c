/* libFuzzer target: the PC's own chips as a hostile guest sees them -- the
 * 8259A pair and ELCR, the 8254 and port 0x61, the RTC and CMOS, COM1 and
 * COM2, the i8042 with its keyboard and mouse, port 0x92, the PCI host and
 * PIIX3/PIIX4 functions (config space, PIRQ routing, 0xCF9), PIIX4 power
 * management with its timer and SCI, the IDE function without drives, and
 * fw_cfg -- all on one machine as machine_new_pc wires them, so the input
 * also reaches what one chip does to another (a BAR or the PM block moved
 * over another chip's ports, a reset from any of them, the SCI and PIRQs
 * sharing the PIC).
 *
 * The input is a program of operations, each an opcode byte and its
 * operands (fuzz.h: missing bytes read as zero): port writes and reads of
 * 1, 2 or 4 bytes (at a chip's port, relative to where the guest put the
 * IDE bus master block or the PM block, or anywhere), runs of writes to one
 * port, memory-space reads and writes (the legacy hole, ROM, the PCI hole,
 * across the end of RAM), bytes into RAM (for DMA descriptors), PCI config
 * writes as firmware makes them, INTx of two functions of the harness's own
 * (with memory and I/O BARs and a ROM), interrupt acknowledge cycles while
 * INTR is up, clock advances from nanoseconds to minutes, host key
 * presses, mouse motion and bytes on the serial line, the power button,
 * and resets. A reset request from a chip is served as the machine's loop
 * serves it; a power-off ends the program.
 *
 * After every operation: pc_selfcheck (each chip's indexes, queues and
 * FIFOs within bounds, every interrupt line it drives matching its state,
 * and the IRQs PCI holds matching the functions' INTx and the routing), an
 * acknowledged vector is one the PIC can give, and a clock advance ends:
 * timers firing again and again without time moving on is a hang. */
/* fuzz-models: hw/pic.c hw/pit.c hw/rtc.c hw/uart.c hw/i8042.c hw/sysctl.c hw/pci.c hw/acpi_pm.c hw/pc.c */
#include "fuzz.h"

#include "hw/acpi_pm_regs.h"
#include "hw/chips.h"
#include "hw/display.h"
#include "hw/fw_cfg_regs.h"
#include "hw/ide_regs.h"
#include "hw/keys.h"
#include "hw/pci_regs.h"

#define RAM_SIZE (2u << 20)
#define MAX_OPS 2048
#define SAME_TIME_FIRES 100000 /* timer rounds without the clock moving: a hang */
#define BUSY_FIRES 4000        /* timer rounds one advance may take before it stops early */

enum {
    OP_OUT, OP_IN, OP_OUTS, OP_MEM, OP_RAM, OP_PCICFG, OP_INTA, OP_CLOCK, OP_KEY,
    OP_MOUSE, OP_SERIAL, OP_POWER, OP_RESET, OP_INTX, NOPS
};

/* The ports a program names by index: each chip's, and those of the
 * functions on the PCI bus at their power-on places. */
static const uint16_t ports[] = {
    0x20, 0x21, 0xA0, 0xA1, 0x4D0, 0x4D1,                  /* 8259A pair, ELCR */
    0x40, 0x41, 0x42, 0x43, 0x61,                          /* 8254, port B */
    0x70, 0x71,                                            /* RTC */
    0x3F8, 0x3F9, 0x3FA, 0x3FB, 0x3FC, 0x3FD, 0x3FE, 0x3FF, /* COM1 */
    0x2F8, 0x2F9, 0x2FA, 0x2FB, 0x2FC, 0x2FD, 0x2FE, 0x2FF, /* COM2 */
    0x60, 0x64,                                            /* i8042 */
    0x92, 0x80,                                            /* system control, POST */
    0xCF8, 0xCF9, 0xCFC, 0xCFD, 0xCFE, 0xCFF,              /* PCI, reset control */
    0x510, 0x511, 0x514, 0x518,                            /* fw_cfg, its DMA */
    0x1F0, 0x1F1, 0x1F2, 0x1F6, 0x1F7, 0x3F6, 0x170, 0x177, /* IDE */
    0xB2, 0xB3,                                            /* APM control and status */
    /* the ones a program writes most, twice as likely */
    0x20, 0x21, 0x43, 0x40, 0x70, 0x71, 0x64, 0x60, 0xCF8, 0xCFC, 0x3F9, 0x3FC,
};
#define NPORTS (sizeof ports / sizeof ports[0])

/* Functions and registers a config write names by index. */
#define TEST_DEVFN(i) ((5 + (i)) << 3) /* the harness's own functions, slots 5 and 6 */
static const uint8_t cfg_devfn[] = {0x00,           0x08,           PIIX3_IDE_DEVFN,
                                    PIIX4_PM_DEVFN, TEST_DEVFN(0), TEST_DEVFN(1)};
static const uint8_t cfg_regs[] = {
    PCI_COMMAND, PCI_BAR0, PCI_BAR0 + 4, PCI_BAR0 + 8, PCI_BAR0 + 12, PCI_BAR0 + 16,
    PCI_BAR0 + 20, 0x3C, 0x3D, 0x40, 0x41, 0x58, 0x5B, 0x60, 0x61, 0x62, 0x63, 0x80,
    PCI_ROM_ADDRESS,
};

static Machine *m;
static PciBus *bus;
static PciDevice *testfn[2];
static Uart *com1;
static unsigned long serial_out;

FZ_HARNESS static void serial_write(void *opaque, const uint8_t *buf, size_t len)
{
    (void)opaque;
    /* A copy reads every byte: ASan checks the whole buffer is real memory. */
    static uint8_t copy[4096];
    memcpy(copy, buf, len < sizeof copy ? len : sizeof copy);
    serial_out += len;
}

static CharDev serial_dev[2] = {{serial_write, NULL}, {serial_write, NULL}};

/* A port: a chip's, one in a block the guest placed (IDE bus master,
 * PM), or any. */
static uint16_t port_operand(FuzzIn *in)
{
    uint8_t sel = fz_u8(in);
    if (sel < NPORTS)
        return ports[sel];
    if (sel >= 0xF8) {
        uint32_t base = (sel & 1) ? pci_config_read(bus, PIIX4_PM_DEVFN, PIIX4_PMBA, 2) & 0xFFC0u
                                  : pci_config_read(bus, PIIX3_IDE_DEVFN,
                                                    PCI_BAR0 + 4 * PIIX3_IDE_BMIBA_BAR, 2) &
                                        0xFFF0u;
        return (uint16_t)(base + (fz_u8(in) & 0x3F));
    }
    return fz_u16(in);
}

/* A memory address: in the places a PC decodes something other than RAM,
 * or anywhere. */
static uint32_t mem_operand(FuzzIn *in)
{
    static const uint32_t at[8] = {0xA0000,     0xC0000,     0xF0000,    RAM_SIZE - 8,
                                   0xFEC00000u, 0xFEE00000u, 0xFFFC0000u, 0xE0000000u};
    uint8_t sel = fz_u8(in);
    if (sel & 0x80)
        return at[sel & 7] + fz_u16(in);
    return fz_u32(in);
}

/* Advance virtual time by ns, each timer at its own deadline. A timer that
 * fires again and again without the clock moving is a hang; a clock busy
 * with frequent timers (the PIT at its fastest, ~1 us) just stops early. */
FZ_HARNESS static void run_for(uint64_t ns)
{
    uint64_t target = clock_ns(m) + ns, d, last = clock_ns(m);
    int same = 0, fires = 0;
    while ((d = timer_next_deadline(m)) <= target && fires++ < BUSY_FIRES) {
        if (d > clock_ns(m))
            m->cpu->icount = d - m->skipped_ns;
        timers_run(m);
        if (clock_ns(m) == last)
            FUZZ_CHECK(++same < SAME_TIME_FIRES, "timers fire again and again at %llu ns",
                       (unsigned long long)last);
        else
            same = 0;
        last = clock_ns(m);
    }
    if (fires <= BUSY_FIRES && target > clock_ns(m))
        m->cpu->icount = target - m->skipped_ns;
    timers_run(m);
}

static void op_outs(FuzzIn *in)
{
    uint16_t port = port_operand(in);
    int size_log2 = fz_u8(in) % 3;
    int n = fz_u8(in) + 1;
    for (int i = 0; i < n && !fz_done(in); i++) {
        uint32_t v = size_log2 == 0 ? fz_u8(in) : size_log2 == 1 ? fz_u16(in) : fz_u32(in);
        port_write(m, port, v, size_log2);
    }
}

static void op_mem(FuzzIn *in)
{
    uint8_t how = fz_u8(in);
    uint32_t addr = mem_operand(in);
    int size_log2 = how % 3;
    if (how & 4)
        phys_write(m, addr, fz_u32(in), size_log2);
    else
        phys_read(m, addr, size_log2);
}

static void op_ram(FuzzIn *in)
{
    uint32_t addr = fz_u32(in) % RAM_SIZE;
    uint8_t buf[256];
    size_t len = (size_t)fz_u8(in) + 1;
    fz_bytes(in, buf, len);
    if (len > RAM_SIZE - addr)
        len = RAM_SIZE - addr;
    dma_write(m, addr, buf, len);
}

static void op_pcicfg(FuzzIn *in)
{
    uint8_t devfn = cfg_devfn[fz_u8(in) % sizeof cfg_devfn];
    uint8_t sel = fz_u8(in);
    uint32_t reg = sel < sizeof cfg_regs ? cfg_regs[sel] : sel;
    int size_log2 = fz_u8(in) % 3;
    reg &= ~((1u << size_log2) - 1);
    pci_config_write(bus, devfn, reg, fz_u32(in), size_log2);
}

static void op_clock(FuzzIn *in)
{
    int shift = fz_u8(in) % 32;
    run_for((uint64_t)fz_u16(in) << shift);
}

static void op_serial(FuzzIn *in)
{
    uint8_t buf[32];
    size_t len = fz_u8(in) % sizeof buf + 1;
    fz_bytes(in, buf, len);
    size_t room = uart_can_receive(com1);
    if (room)
        uart_receive(com1, buf, len < room ? len : room);
}

/* Two functions of the harness's own on the bus, so a program can raise
 * and lower INTx (pins A and B: two PIRQs) through the PIIX3's routing and
 * place memory and I/O BARs and an expansion ROM anywhere. */
FZ_HARNESS static uint32_t testfn_read(void *opaque, uint32_t offset, int size_log2)
{
    (void)opaque;
    (void)size_log2;
    return offset * 0x01010101u;
}

FZ_HARNESS static void testfn_write(void *opaque, uint32_t offset, uint32_t val, int size_log2)
{
    (void)opaque;
    (void)offset;
    (void)val;
    (void)size_log2;
}

static void add_test_functions(void)
{
    static uint8_t rom[3000];
    for (int i = 0; i < 2; i++) {
        PciDevice *d = pci_register_device(bus, "fuzz-fn", TEST_DEVFN(i), 0x1234, 0x5678, 1,
                                           0xFF0000, NULL);
        FUZZ_CHECK(d != NULL, "slot %d taken", 5 + i);
        d->config[PCI_INTERRUPT_PIN] = (uint8_t)(1 + i);
        pci_register_bar(d, 0, 0x1000, false, testfn_read, testfn_write, NULL);
        pci_register_bar(d, 1, 0x20, true, testfn_read, testfn_write, NULL);
        FUZZ_CHECK(pci_register_rom(d, rom, sizeof rom) == 0, "no ROM on the test function");
        testfn[i] = d;
    }
}

static void setup(void)
{
    MachineConfig cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.ram_size = RAM_SIZE;
    cfg.icount_shift = 0;
    cfg.icount_sleep = false;
    cfg.vga_none = true; /* fuzz_vga's */
    cfg.nic_none = true;
    cfg.accel = CPU_ACCEL_INTERP;
    CharDev *serial[MAX_SERIAL] = {&serial_dev[0], &serial_dev[1], NULL, NULL};
    m = machine_new_pc(&cfg, serial);
    FUZZ_CHECK(m != NULL, "machine_new_pc failed");
    bus = pc_board(m)->pci;
    com1 = pc_board(m)->uart[0];
    serial_out = 0;
    add_test_functions();
}

FZ_QUIET_INITIALIZE

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FuzzIn in = fz_in(data, size);
    setup();
    int ops = 0;
    for (; ops < MAX_OPS && !fz_done(&in) && !m->shutdown_requested; ops++) {
        uint8_t op = fz_u8(&in) % NOPS;
        switch (op) {
        case OP_OUT: {
            uint16_t port = port_operand(&in);
            int size_log2 = fz_u8(&in) % 3;
            port_write(m, port, fz_u32(&in), size_log2);
            break;
        }
        case OP_IN: {
            uint16_t port = port_operand(&in);
            port_read(m, port, fz_u8(&in) % 3);
            break;
        }
        case OP_OUTS:
            op_outs(&in);
            break;
        case OP_MEM:
            op_mem(&in);
            break;
        case OP_RAM:
            op_ram(&in);
            break;
        case OP_PCICFG:
            op_pcicfg(&in);
            break;
        case OP_INTA:
            /* the CPU's INTA cycle, which it only runs while INTR is up */
            if (m->cpu->intr_line) {
                int vec = machine_intack(m);
                FUZZ_CHECK(vec >= 0 && vec <= 0xFF, "INTA gave vector %d", vec);
            }
            break;
        case OP_CLOCK:
            op_clock(&in);
            break;
        case OP_KEY: {
            uint8_t k = fz_u8(&in);
            input_key(m, k % K_COUNT, (k & 0x80) == 0);
            break;
        }
        case OP_MOUSE: {
            int dx = (int8_t)fz_u8(&in), dy = (int8_t)fz_u8(&in), dz = (int8_t)fz_u8(&in);
            input_mouse(m, dx * 64, dy * 64, dz, fz_u8(&in) & 7);
            break;
        }
        case OP_SERIAL:
            op_serial(&in);
            break;
        case OP_POWER:
            machine_press_power_button(m);
            break;
        case OP_RESET:
            machine_reset(m);
            break;
        case OP_INTX: {
            uint8_t how = fz_u8(&in);
            pci_set_irq(testfn[how & 1], (how >> 1) & 1);
            break;
        }
        }
        /* what the machine's loop does with a chip's reset request */
        if (m->reset_requested)
            machine_reset(m);
        if (fz_verbosity() > 1)
            fprintf(stderr, "fuzz_pc: op %d %d at %llu ns, INTR %d\n", ops, op,
                    (unsigned long long)clock_ns(m), m->cpu->intr_line);
        const char *why = pc_selfcheck(m);
        FUZZ_CHECK(!why, "pc_selfcheck after op %d (%d): %s", ops, op, why);
    }
    if (fz_verbose())
        fprintf(stderr, "fuzz_pc: %d operations, %lu bytes out of the serial ports, %llu ns%s\n",
                ops, serial_out, (unsigned long long)clock_ns(m),
                m->shutdown_requested ? ", powered off" : "");
    machine_free(m);
    m = NULL;
    return 0;
}
