/* The AML encoder (bios/aml.h). Encodings from the ACPI specification,
 * chapter 20 (opcodes, NameString, PkgLength) and 6.4 (resources). */
#include "bios/aml.h"

#include <stdlib.h>
#include <string.h>

#include "hw/bytes.h"
#include "hw/util.h"

#define OP_NAME 0x08
#define OP_BYTE 0x0A
#define OP_WORD 0x0B
#define OP_DWORD 0x0C
#define OP_QWORD 0x0E
#define OP_SCOPE 0x10
#define OP_BUFFER 0x11
#define OP_PACKAGE 0x12
#define OP_METHOD 0x14
#define OP_DUAL_NAME 0x2E
#define OP_MULTI_NAME 0x2F
#define OP_EXT 0x5B
#define OP_EXT_REGION 0x80
#define OP_EXT_FIELD 0x81
#define OP_EXT_DEVICE 0x82
#define OP_IF 0xA0

void aml_init(Aml *a)
{
    memset(a, 0, sizeof *a);
}

void aml_free(Aml *a)
{
    free(a->buf);
    memset(a, 0, sizeof *a);
}

static void reserve(Aml *a, size_t n)
{
    if (a->len + n <= a->cap)
        return;
    size_t cap = a->cap ? a->cap : 256;
    while (cap < a->len + n)
        cap *= 2;
    a->buf = wb_realloc(a->buf, cap);
    a->cap = cap;
}

void aml_bytes(Aml *a, const void *p, size_t n)
{
    reserve(a, n);
    memcpy(a->buf + a->len, p, n);
    a->len += n;
}

void aml_byte(Aml *a, uint8_t b)
{
    aml_bytes(a, &b, 1);
}

void aml_open(Aml *a)
{
    if (a->depth >= AML_MAX_DEPTH) {
        a->error = true;
        return;
    }
    a->open[a->depth++] = a->len;
}

/* PkgLength counts its own bytes and what follows: one byte up to 63, else
 * a lead byte (count of following bytes in bits 7-6, low nibble of the
 * length) and up to three more bytes of the length, 8 bits each. */
void aml_close(Aml *a)
{
    if (a->depth <= 0) {
        a->error = true;
        return;
    }
    size_t start = a->open[--a->depth];
    size_t body = a->len - start;
    uint8_t enc[4];
    int n;
    size_t total;
    if (body + 1 <= 0x3F) {
        n = 1;
        total = body + 1;
        enc[0] = (uint8_t)total;
    } else {
        n = body + 2 < (1u << 12) ? 2 : body + 3 < (1u << 20) ? 3 : 4;
        total = body + (size_t)n;
        if (total >= (1u << 28)) {
            a->error = true;
            return;
        }
        enc[0] = (uint8_t)(((n - 1) << 6) | (total & 0x0F));
        for (int i = 1; i < n; i++)
            enc[i] = (uint8_t)(total >> (4 + 8 * (i - 1)));
    }
    reserve(a, (size_t)n);
    memmove(a->buf + start + n, a->buf + start, body);
    memcpy(a->buf + start, enc, (size_t)n);
    a->len += (size_t)n;
}

void aml_name(Aml *a, const char *path)
{
    while (*path == '\\' || *path == '^')
        aml_byte(a, (uint8_t)*path++);
    char segs[8][4];
    int nseg = 0;
    while (*path) {
        if (nseg == 8) {
            a->error = true;
            return;
        }
        size_t len = strcspn(path, ".");
        if (len == 0 || len > 4) {
            a->error = true;
            return;
        }
        memset(segs[nseg], '_', 4);
        memcpy(segs[nseg], path, len);
        nseg++;
        path += len;
        if (*path == '.')
            path++;
    }
    if (nseg == 0) {
        aml_byte(a, 0x00); /* NullName */
        return;
    }
    if (nseg == 2)
        aml_byte(a, OP_DUAL_NAME);
    else if (nseg > 2) {
        aml_byte(a, OP_MULTI_NAME);
        aml_byte(a, (uint8_t)nseg);
    }
    aml_bytes(a, segs, (size_t)nseg * 4);
}

void aml_int(Aml *a, uint64_t v)
{
    uint8_t b[9];
    if (v == 0 || v == 1) {
        aml_byte(a, (uint8_t)v); /* ZeroOp, OneOp */
    } else if (v <= 0xFF) {
        b[0] = OP_BYTE;
        b[1] = (uint8_t)v;
        aml_bytes(a, b, 2);
    } else if (v <= 0xFFFF) {
        b[0] = OP_WORD;
        st16le(b + 1, (uint16_t)v);
        aml_bytes(a, b, 3);
    } else if (v <= 0xFFFFFFFFu) {
        b[0] = OP_DWORD;
        st32le(b + 1, (uint32_t)v);
        aml_bytes(a, b, 5);
    } else {
        b[0] = OP_QWORD;
        st64le(b + 1, v);
        aml_bytes(a, b, 9);
    }
}

/* Three letters (5 bits each, 'A' = 1) and four hex digits, stored so that
 * the bytes read in order are the big-endian compressed ID. */
void aml_eisaid(Aml *a, const char *id)
{
    uint32_t v = 0;
    if (strlen(id) != 7) {
        a->error = true;
        return;
    }
    for (int i = 0; i < 3; i++)
        v = v << 5 | (uint32_t)((id[i] - 'A' + 1) & 0x1F);
    for (int i = 3; i < 7; i++) {
        char c = id[i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : 0;
        v = v << 4 | (uint32_t)d;
    }
    uint8_t b[4];
    st32be(b, v);
    aml_byte(a, OP_DWORD);
    aml_bytes(a, b, 4);
}

void aml_name_decl(Aml *a, const char *name)
{
    aml_byte(a, OP_NAME);
    aml_name(a, name);
}

void aml_name_int(Aml *a, const char *name, uint64_t v)
{
    aml_name_decl(a, name);
    aml_int(a, v);
}

void aml_name_eisaid(Aml *a, const char *name, const char *id)
{
    aml_name_decl(a, name);
    aml_eisaid(a, id);
}

void aml_scope(Aml *a, const char *name)
{
    aml_byte(a, OP_SCOPE);
    aml_open(a);
    aml_name(a, name);
}

void aml_device(Aml *a, const char *name)
{
    aml_byte(a, OP_EXT);
    aml_byte(a, OP_EXT_DEVICE);
    aml_open(a);
    aml_name(a, name);
}

void aml_method(Aml *a, const char *name, int nargs, bool serialized)
{
    aml_byte(a, OP_METHOD);
    aml_open(a);
    aml_name(a, name);
    aml_byte(a, (uint8_t)((nargs & 7) | (serialized ? 0x08 : 0)));
}

void aml_package(Aml *a, int nelems)
{
    aml_byte(a, OP_PACKAGE);
    aml_open(a);
    aml_byte(a, (uint8_t)nelems);
}

void aml_if(Aml *a)
{
    aml_byte(a, OP_IF);
    aml_open(a);
}

void aml_buffer(Aml *a, const void *data, size_t len)
{
    aml_byte(a, OP_BUFFER);
    aml_open(a);
    aml_int(a, len);
    aml_bytes(a, data, len);
    aml_close(a);
}

void aml_opregion(Aml *a, const char *name, uint8_t space, uint32_t offset, uint32_t len)
{
    aml_byte(a, OP_EXT);
    aml_byte(a, OP_EXT_REGION);
    aml_name(a, name);
    aml_byte(a, space);
    aml_int(a, offset);
    aml_int(a, len);
}

/* Field flags: AccessType ByteAcc (1), NoLock, Preserve. */
void aml_field(Aml *a, const char *region, const char *const *names, const uint8_t *widths, int n)
{
    aml_byte(a, OP_EXT);
    aml_byte(a, OP_EXT_FIELD);
    aml_open(a);
    aml_name(a, region);
    aml_byte(a, 0x01);
    for (int i = 0; i < n; i++) {
        char seg[4];
        size_t l = strlen(names[i]);
        if (l == 0 || l > 4 || widths[i] == 0 || widths[i] > 0x3F) {
            a->error = true;
            return;
        }
        memset(seg, '_', 4);
        memcpy(seg, names[i], l);
        aml_bytes(a, seg, 4);
        aml_byte(a, widths[i]); /* PkgLength of one byte: the width in bits */
    }
    aml_close(a);
}

/* ------------------------------------------------------------------ resources */

static void rt_put(AmlRes *r, const uint8_t *b, size_t n)
{
    if (r->len + n > sizeof r->b)
        return; /* the templates here are far smaller */
    memcpy(r->b + r->len, b, n);
    r->len += n;
}

/* Extended Interrupt Descriptor (large item 0x89): flags bit 0 consumer,
 * bit 1 edge (0: level), bit 2 active low (0: high), bit 3 shared. */
void rt_irq_level_shared(AmlRes *r, const uint32_t *irqs, int n)
{
    uint8_t b[5 + 4 * 16];
    if (n < 1 || n > 16)
        return;
    b[0] = 0x89;
    st16le(b + 1, (uint16_t)(2 + 4 * n));
    b[3] = 0x01 | 0x08;
    b[4] = (uint8_t)n;
    for (int i = 0; i < n; i++)
        st32le(b + 5 + 4 * i, irqs[i]);
    rt_put(r, b, 5 + 4 * (size_t)n);
}

/* I/O Port Descriptor (small item 0x47): 16-bit decode. */
void rt_io(AmlRes *r, uint16_t min, uint8_t len)
{
    uint8_t b[8] = {0x47, 0x01};
    st16le(b + 2, min);
    st16le(b + 4, min);
    b[6] = 1; /* alignment */
    b[7] = len;
    rt_put(r, b, sizeof b);
}

/* Word Address Space Descriptor (large item 0x88): resource type, general
 * flags (0x0C: producer, min and max fixed, positive decode), type flags,
 * then granularity, min, max, translation, length. */
static void rt_word(AmlRes *r, uint8_t type, uint8_t tflags, uint16_t min, uint16_t max)
{
    uint8_t b[16] = {0x88, 13, 0, type, 0x0C, tflags};
    st16le(b + 6, 0);
    st16le(b + 8, min);
    st16le(b + 10, max);
    st16le(b + 12, 0);
    st16le(b + 14, (uint16_t)(max - min + 1));
    rt_put(r, b, sizeof b);
}

void rt_word_bus(AmlRes *r, uint16_t min, uint16_t max)
{
    rt_word(r, 2, 0, min, max);
}

void rt_word_io(AmlRes *r, uint16_t min, uint16_t max)
{
    rt_word(r, 1, 0x03 /* ISA and non-ISA ranges */, min, max);
}

/* DWord Address Space Descriptor (large item 0x87), memory: type flags bit
 * 0 read/write, bits 2-1 cacheable (1) or not (0). */
void rt_dword_mem(AmlRes *r, uint32_t min, uint32_t max, bool cacheable)
{
    uint8_t b[26] = {0x87, 23, 0, 0, 0x0C, (uint8_t)(0x01 | (cacheable ? 0x02 : 0))};
    st32le(b + 6, 0);
    st32le(b + 10, min);
    st32le(b + 14, max);
    st32le(b + 18, 0);
    st32le(b + 22, max - min + 1);
    rt_put(r, b, sizeof b);
}

/* End Tag (small item 0x79) with a zero checksum: "treated as if the
 * checksum operation succeeded". */
void rt_end(AmlRes *r)
{
    uint8_t b[2] = {0x79, 0x00};
    rt_put(r, b, sizeof b);
}
