/* fw_cfg: the traditional port interface, the file directory, DMA, and a
 * hostile guest's DMA (structures and buffers outside RAM, huge lengths,
 * writes): errors as the interface reports them, nothing outside RAM. */
#include "hw/fw_cfg.h"
#include "testutil.h"

#define RAM (2u << 20)

static Machine *m;
static FwCfg *fw;

static void setup(void)
{
    m = wb_test_machine_with_buses(RAM);
    pc_board(m)->fw_cfg = fw = fw_cfg_new(m, FW_CFG_IO_BASE);
}

static void teardown(void)
{
    machine_free(m);
}

static void sel(uint16_t key)
{
    wb_outw(m, FW_CFG_PORT_SEL, key);
}

static void read_data(uint8_t *buf, size_t n)
{
    for (size_t i = 0; i < n; i++)
        buf[i] = wb_inb(m, FW_CFG_PORT_DATA);
}

/* A DMA request: the structure at at, then the trigger. Returns the
 * control word the device wrote back. */
static uint32_t dma(uint64_t at, uint32_t control, uint32_t length, uint64_t addr)
{
    if (at + 16 <= RAM) {
        uint8_t *s = m->ram + at;
        st32be(s, control);
        st32be(s + 4, length);
        st32be(s + 8, (uint32_t)(addr >> 32));
        st32be(s + 12, (uint32_t)addr);
    }
    /* The guest writes the address big-endian: bswap of the value OUTL sends. */
    wb_outl(m, FW_CFG_PORT_DMA, __builtin_bswap32((uint32_t)(at >> 32)));
    wb_outl(m, FW_CFG_PORT_DMA + 4, __builtin_bswap32((uint32_t)at));
    return at + 16 <= RAM ? ld32be(m->ram + at) : 0xDEADBEEF;
}

START_TEST(test_signature_and_id)
{
    uint8_t b[8];
    sel(FW_CFG_SIGNATURE);
    read_data(b, 4);
    ck_assert_mem_eq(b, "QEMU", 4);
    ck_assert_uint_eq(wb_inb(m, FW_CFG_PORT_DATA), 0); /* past the end */
    sel(FW_CFG_ID);
    read_data(b, 4);
    ck_assert_uint_eq(ld32le(b), FW_CFG_VERSION_TRADITIONAL | FW_CFG_VERSION_DMA);
    /* The DMA register reads "QEMU CFG", byte by byte and as dwords. */
    for (int i = 0; i < 8; i++)
        ck_assert_uint_eq(wb_inb(m, (uint16_t)(FW_CFG_PORT_DMA + i)),
                          (uint8_t)FW_CFG_DMA_SIGNATURE[i]);
    ck_assert_uint_eq(wb_inl(m, FW_CFG_PORT_DMA), ld32le((const uint8_t *)"QEMU"));
    /* An unknown key reads as zeros. */
    sel(0x1234);
    ck_assert_uint_eq(wb_inb(m, FW_CFG_PORT_DATA), 0);
}
END_TEST

START_TEST(test_items_and_files)
{
    fw_cfg_add_i64(fw, FW_CFG_RAM_SIZE, 0x12345678ABull);
    fw_cfg_add_i16(fw, FW_CFG_NB_CPUS, 1);
    ck_assert_int_eq(fw_cfg_add_file(fw, "etc/first", "hello", 5), FW_CFG_FILE_FIRST);
    ck_assert_int_eq(fw_cfg_add_file(fw, "bootorder", "/pci@i0cf8/x\n", 14), FW_CFG_FILE_FIRST + 1);
    /* Adding a name again replaces its data under the same key. */
    ck_assert_int_eq(fw_cfg_add_file(fw, "etc/first", "bye", 3), FW_CFG_FILE_FIRST);
    /* Names: 1 to 55 characters. */
    char longname[80];
    memset(longname, 'x', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    ck_assert_int_eq(fw_cfg_add_file(fw, longname, "x", 1), -1);
    ck_assert_int_eq(fw_cfg_add_file(fw, "", "x", 1), -1);

    uint8_t b[256];
    sel(FW_CFG_RAM_SIZE);
    read_data(b, 8);
    ck_assert_uint_eq(ld64le(b), 0x12345678ABull);

    /* The directory: count, then {size, key, name} big-endian. */
    sel(FW_CFG_FILE_DIR);
    read_data(b, 4 + 2 * FW_CFG_DIR_ENTRY_SIZE);
    ck_assert_uint_eq(ld32be(b), 2);
    const uint8_t *e = b + 4;
    ck_assert_uint_eq(ld32be(e + FW_CFG_DIR_SIZE), 3);
    ck_assert_uint_eq(ld16be(e + FW_CFG_DIR_SELECT), FW_CFG_FILE_FIRST);
    ck_assert_str_eq((const char *)e + FW_CFG_DIR_NAME, "etc/first");
    e += FW_CFG_DIR_ENTRY_SIZE;
    ck_assert_uint_eq(ld32be(e + FW_CFG_DIR_SIZE), 14);
    ck_assert_uint_eq(ld16be(e + FW_CFG_DIR_SELECT), FW_CFG_FILE_FIRST + 1);
    ck_assert_str_eq((const char *)e + FW_CFG_DIR_NAME, "bootorder");

    sel(FW_CFG_FILE_FIRST);
    read_data(b, 5);
    ck_assert_mem_eq(b, "bye\0\0", 5);
    size_t len;
    ck_assert_mem_eq(fw_cfg_file(fw, "bootorder", &len), "/pci@i0cf8/x\n", 14);
    ck_assert_uint_eq(len, 14);
    ck_assert_ptr_null(fw_cfg_file(fw, "nothere", &len));
    /* The write-channel bit selects the same item. */
    sel(FW_CFG_FILE_FIRST | FW_CFG_WRITE_CHANNEL);
    ck_assert_uint_eq(wb_inb(m, FW_CFG_PORT_DATA), 'b');
    /* Data port writes are ignored. */
    wb_outb(m, FW_CFG_PORT_DATA, 'X');
    sel(FW_CFG_FILE_FIRST);
    ck_assert_uint_eq(wb_inb(m, FW_CFG_PORT_DATA), 'b');
    /* A reset selects the signature again. */
    machine_reset(m);
    ck_assert_uint_eq(wb_inb(m, FW_CFG_PORT_DATA), 'Q');
}
END_TEST

START_TEST(test_dma_read_skip_select)
{
    uint8_t data[300];
    for (int i = 0; i < 300; i++)
        data[i] = (uint8_t)(i * 7);
    int key = fw_cfg_add_file(fw, "etc/data", data, sizeof data);
    ck_assert_int_ge(key, 0);
    memset(m->ram + 0x10000, 0xCC, 0x1000);

    /* Select and read 100 bytes. */
    ck_assert_uint_eq(dma(0x8000, (uint32_t)key << 16 | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ,
                          100, 0x10000),
                      0);
    ck_assert_mem_eq(m->ram + 0x10000, data, 100);
    ck_assert_uint_eq(m->ram[0x10000 + 100], 0xCC);
    /* Skip 50, then read on: the offset carries over. */
    ck_assert_uint_eq(dma(0x8000, FW_CFG_DMA_CTL_SKIP, 50, 0), 0);
    ck_assert_uint_eq(dma(0x8000, FW_CFG_DMA_CTL_READ, 10, 0x10100), 0);
    ck_assert_mem_eq(m->ram + 0x10100, data + 150, 10);
    /* Reading past the end: the rest of the item, then zeros. */
    ck_assert_uint_eq(dma(0x8000, FW_CFG_DMA_CTL_READ, 200, 0x10200), 0);
    ck_assert_mem_eq(m->ram + 0x10200, data + 160, 140);
    for (int i = 140; i < 200; i++)
        ck_assert_uint_eq(m->ram[0x10200 + i], 0);
    /* The traditional port continues from the same offset (at the end: 0). */
    ck_assert_uint_eq(wb_inb(m, FW_CFG_PORT_DATA), 0);
    /* A DMA structure above 4 GiB is outside RAM: nothing happens. */
    dma(0x100000000ull, FW_CFG_DMA_CTL_READ, 4, 0x10000);
    /* Zero length: success, nothing written. */
    m->ram[0x10300] = 0xCC;
    ck_assert_uint_eq(dma(0x8000, FW_CFG_DMA_CTL_READ, 0, 0x10300), 0);
    ck_assert_uint_eq(m->ram[0x10300], 0xCC);
    /* No operation bit: nothing but success. */
    ck_assert_uint_eq(dma(0x8000, 0, 16, 0x10300), 0);
    ck_assert_uint_eq(m->ram[0x10300], 0xCC);
}
END_TEST

START_TEST(test_dma_hostile)
{
    uint8_t data[64];
    memset(data, 0x42, sizeof data);
    int key = fw_cfg_add_file(fw, "etc/x", data, sizeof data);
    uint32_t rd = (uint32_t)key << 16 | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ;

    /* Buffer entirely outside RAM (MMIO hole, above 4 GiB): error. */
    ck_assert_uint_eq(dma(0x8000, rd, 64, 0xFEC00000u), FW_CFG_DMA_CTL_ERROR);
    ck_assert_uint_eq(dma(0x8000, rd, 64, 0x123400000000ull), FW_CFG_DMA_CTL_ERROR);
    /* Buffer straddling the end of RAM: error, and nothing beyond RAM. */
    memset(m->ram + RAM - 32, 0xCC, 32);
    ck_assert_uint_eq(dma(0x8000, rd, 64, RAM - 32), FW_CFG_DMA_CTL_ERROR);
    /* Zero-filling past the item's end runs into the end of RAM: error. */
    ck_assert_uint_eq(dma(0x8000, rd, 0xFFFFFFFFu, 0x20000), FW_CFG_DMA_CTL_ERROR);
    ck_assert_mem_eq(m->ram + 0x20000, data, 64);
    /* An address that wraps around 2^64 with its length: error. */
    ck_assert_uint_eq(dma(0x8000, rd, 64, 0xFFFFFFFFFFFFFFF0ull), FW_CFG_DMA_CTL_ERROR);
    /* Writes: no item takes them. */
    ck_assert_uint_eq(dma(0x8000, (uint32_t)key << 16 | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_WRITE,
                          4, 0x20000),
                      FW_CFG_DMA_CTL_ERROR);
    ck_assert_mem_eq(fw_cfg_file(fw, "etc/x", NULL), data, 64);
    /* The structure straddling the end of RAM, or outside it: ignored. */
    dma(RAM - 8, rd, 4, 0x20000);
    dma(0xFFFFFFF8u, rd, 4, 0x20000);
    /* The structure as the buffer: the read overwrites it, the device then
     * writes its status over the first word. */
    ck_assert_uint_eq(dma(0x9000, rd, 16, 0x9000), 0);
    ck_assert_mem_eq(m->ram + 0x9004, data, 12);
    /* Byte and word writes to the DMA register do not start anything. */
    st32be(m->ram + 0xA000, rd);
    st32be(m->ram + 0xA004, 4);
    st32be(m->ram + 0xA008, 0);
    st32be(m->ram + 0xA00C, 0x30000);
    for (int i = 0; i < 8; i++)
        wb_outb(m, (uint16_t)(FW_CFG_PORT_DMA + i), i == 6 ? 0xA0 : 0);
    wb_outw(m, FW_CFG_PORT_DMA + 6, 0x00A0);
    ck_assert_uint_eq(ld32be(m->ram + 0xA000), rd);
    ck_assert_uint_eq(m->ram[0x30000], 0);
}
END_TEST

static void bump(void *opaque, uint8_t *data, size_t len)
{
    int *calls = opaque;
    (*calls)++;
    if (len)
        data[0] = (uint8_t)*calls;
}

/* A file with a select callback is refreshed each time the guest selects
 * it, through the port or DMA, before the guest reads it. */
START_TEST(test_select_callback)
{
    int calls = 0;
    int key = fw_cfg_add_file_cb(fw, "etc/live", "\0x", 2, bump, &calls);
    ck_assert_int_ge(key, 0);
    ck_assert_int_eq(calls, 0);
    sel((uint16_t)key);
    ck_assert_int_eq(calls, 1);
    ck_assert_uint_eq(wb_inb(m, FW_CFG_PORT_DATA), 1);
    ck_assert_uint_eq(wb_inb(m, FW_CFG_PORT_DATA), 'x');
    ck_assert_uint_eq(dma(0x8000, (uint32_t)key << 16 | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ,
                          2, 0x10000),
                      0);
    ck_assert_int_eq(calls, 2);
    ck_assert_mem_eq(m->ram + 0x10000, "\2x", 2);
    /* Reading on without selecting again does not call it. */
    ck_assert_uint_eq(dma(0x8000, FW_CFG_DMA_CTL_READ, 1, 0x10000), 0);
    ck_assert_int_eq(calls, 2);
}
END_TEST

static Suite *fw_cfg_suite(void)
{
    Suite *s = suite_create("fw_cfg");
    TCase *tc = tcase_create("fw_cfg");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_signature_and_id);
    tcase_add_test(tc, test_items_and_files);
    tcase_add_test(tc, test_dma_read_skip_select);
    tcase_add_test(tc, test_dma_hostile);
    tcase_add_test(tc, test_select_callback);
    suite_add_tcase(s, tc);
    return s;
}

WB_TEST_MAIN(fw_cfg_suite)
