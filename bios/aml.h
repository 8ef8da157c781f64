/* A small ACPI Machine Language encoder (ACPI 6.4, chapter 20: "ACPI
 * Machine Language Specification"), enough for wirebox's DSDT: names,
 * scopes, devices, methods, packages, buffers, integers, PCI config
 * operation regions and fields, If/Return/Store/And/Or/LLess, and the
 * resource descriptors of chapter 6.4. The encoder writes bytes in the
 * order ASL reads; aml_open/aml_close wrap a construct whose length
 * (PkgLength) is only known once its contents are written.
 *
 *     aml_device(a, "LNKA");           // Device (LNKA) {
 *       aml_name_int(a, "_UID", 0);    //   Name (_UID, Zero)
 *     aml_close(a);                    // }
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AML_MAX_DEPTH 16

typedef struct Aml {
    uint8_t *buf;
    size_t len, cap;
    size_t open[AML_MAX_DEPTH]; /* where each open construct's contents start */
    int depth;
    bool error; /* nesting too deep or a bad name: the result is unusable */
} Aml;

void aml_init(Aml *a);
void aml_free(Aml *a);
void aml_byte(Aml *a, uint8_t b);
void aml_bytes(Aml *a, const void *p, size_t n);

/* A PkgLength-prefixed construct: its opcode is written by the caller,
 * then aml_open; the contents; aml_close inserts the PkgLength. */
void aml_open(Aml *a);
void aml_close(Aml *a);

/* A NameString: "\\_SB.PCI0.ISA", "^LNKA", "PRQA" (segments of at most 4
 * characters, padded with '_'). */
void aml_name(Aml *a, const char *path);
/* An integer with the shortest encoding (Zero, One, Byte/Word/DWord/QWord). */
void aml_int(Aml *a, uint64_t v);
/* EISA ID "PNP0A03" as its 32-bit compressed integer. */
void aml_eisaid(Aml *a, const char *id);

/* Named objects and scopes (those that open a construct need aml_close). */
void aml_name_decl(Aml *a, const char *name); /* Name (NAME, <next term>) */
void aml_name_int(Aml *a, const char *name, uint64_t v);
void aml_name_eisaid(Aml *a, const char *name, const char *id);
void aml_scope(Aml *a, const char *name);  /* opens */
void aml_device(Aml *a, const char *name); /* opens */
void aml_method(Aml *a, const char *name, int nargs, bool serialized); /* opens */
void aml_package(Aml *a, int nelems);      /* opens */
void aml_if(Aml *a);                       /* opens: predicate, then the body */
void aml_buffer(Aml *a, const void *data, size_t len);

/* Operators (operands follow as terms, ending with a target where ASL has one). */
#define AML_ZERO 0x00
#define AML_ONE 0x01
#define AML_NULL_NAME 0x00 /* "no target" */
#define AML_LOCAL0 0x60
#define AML_ARG0 0x68
#define AML_STORE 0x70   /* Store (source, target) */
#define AML_AND 0x7B     /* And (a, b, target) */
#define AML_OR 0x7D      /* Or (a, b, target) */
#define AML_LLESS 0x95   /* LLess (a, b) */
#define AML_RETURN 0xA4  /* Return (term) */
#define AML_CREATE_DWORD_FIELD 0x8A /* CreateDWordField (buffer, index, name) */

/* OperationRegion (NAME, PCI_Config, offset, len) and a Field of named
 * byte-access bit fields over it (names[i] is widths[i] bits wide). */
#define AML_REGION_PCI_CONFIG 0x02
void aml_opregion(Aml *a, const char *name, uint8_t space, uint32_t offset, uint32_t len);
void aml_field(Aml *a, const char *region, const char *const *names, const uint8_t *widths, int n);

/* Resource descriptors for a ResourceTemplate buffer (ACPI 6.4, 6.4).
 * rt_* append to a plain byte buffer that aml_buffer then wraps. */
typedef struct AmlRes {
    uint8_t b[512];
    size_t len;
} AmlRes;
/* Interrupt (ResourceConsumer, Level, ActiveHigh, Shared) { irqs... } */
void rt_irq_level_shared(AmlRes *r, const uint32_t *irqs, int n);
/* IO (Decode16, min, min, 1, len) */
void rt_io(AmlRes *r, uint16_t min, uint8_t len);
/* WordBusNumber / WordIO (producer, fixed min and max, positive decode) */
void rt_word_bus(AmlRes *r, uint16_t min, uint16_t max);
void rt_word_io(AmlRes *r, uint16_t min, uint16_t max);
/* DWordMemory (producer, fixed min and max, read/write) */
void rt_dword_mem(AmlRes *r, uint32_t min, uint32_t max, bool cacheable);
/* The end tag; the template is complete. */
void rt_end(AmlRes *r);
