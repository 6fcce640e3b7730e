/* The ACPI tables Xen's toolstack gives a PVH domU (and the bare machine
 * reuses): RSDP (rev 2) -> XSDT -> FADT (hardware-reduced) -> DSDT with _S5,
 * and a MADT with one enabled local APIC per vCPU and no IOAPIC. Layouts
 * from the ACPI 6.4 specification, §5.2. */
#include <string.h>

#include "xenemu/acpi.h"

enum {
    SDT_HEADER = 36,
    RSDP_LEN = 36,
    FADT_LEN = 276,            /* FADT revision 6 */
    MADT_LAPIC_LEN = 8,
    FADT_FLAG_HW_REDUCED = 1u << 20,
    FADT_BOOT_NO_VGA = 1u << 2,
    FADT_BOOT_NO_CMOS_RTC = 1u << 5,
    GAS_SYSTEM_IO = 1,
};

static uint8_t checksum(const uint8_t *p, size_t n)
{
    uint8_t sum = 0;
    for (size_t i = 0; i < n; i++)
        sum = (uint8_t)(sum + p[i]);
    return (uint8_t)-sum;
}

static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

/* The common System Description Table header (§5.2.6). */
static void sdt_header(uint8_t *t, const char sig[4], uint32_t len, uint8_t rev)
{
    memcpy(t, sig, 4);
    put32(t + 4, len);
    t[8] = rev;
    memcpy(t + 10, "XENEMU", 6);
    memcpy(t + 16, "XENEMU  ", 8);
    put32(t + 24, 1);
    memcpy(t + 28, "XEMU", 4);
    put32(t + 32, 1);
}

static void sdt_finish(uint8_t *t, uint32_t len)
{
    t[9] = 0;
    t[9] = checksum(t, len);
}

/* Generic Address Structure for an I/O port register (§5.2.3.2). */
static void gas_io(uint8_t *g, uint16_t port, uint8_t bits)
{
    g[0] = GAS_SYSTEM_IO;
    g[1] = bits;
    g[2] = 0;
    g[3] = 1;          /* byte access */
    put64(g + 4, port);
}

/* DSDT: only the \_S5 package, SLP_TYP = ACPI_S5_SLP_TYP (§7.4.2). */
static uint32_t build_dsdt(uint8_t *t)
{
    static const uint8_t aml[] = {
        0x08, '_', 'S', '5', '_',      /* NameOp "_S5_" */
        0x12, 0x08, 0x04,              /* PackageOp, PkgLength 8, 4 elements */
        0x0a, ACPI_S5_SLP_TYP,         /* BytePrefix SLP_TYPa */
        0x0a, ACPI_S5_SLP_TYP,         /* BytePrefix SLP_TYPb */
        0x00, 0x00,                    /* reserved */
    };
    uint32_t len = SDT_HEADER + sizeof aml;
    sdt_header(t, "DSDT", len, 2);
    memcpy(t + SDT_HEADER, aml, sizeof aml);
    sdt_finish(t, len);
    return len;
}

/* FADT rev 6, hardware-reduced: no SCI, PM timer or GPEs; S5 through the
 * sleep control register, which is also given as PM1a control (§5.2.9). */
static uint32_t build_fadt(uint8_t *t, uint64_t dsdt, uint16_t pm_port)
{
    memset(t, 0, FADT_LEN);
    sdt_header(t, "FACP", FADT_LEN, 6);
    put32(t + 40, (uint32_t)dsdt);
    put32(t + 64, pm_port);                    /* PM1a_CNT_BLK */
    t[89] = 2;                                 /* PM1_CNT_LEN */
    put16(t + 109, FADT_BOOT_NO_VGA | FADT_BOOT_NO_CMOS_RTC);
    put32(t + 112, FADT_FLAG_HW_REDUCED);
    t[131] = 4;                                /* FADT minor version 6.4 */
    put64(t + 140, dsdt);                      /* X_DSDT */
    gas_io(t + 172, pm_port, 16);              /* X_PM1a_CNT_BLK */
    gas_io(t + 244, pm_port, 8);               /* SLEEP_CONTROL_REG */
    gas_io(t + 256, (uint16_t)(pm_port + 2), 8); /* SLEEP_STATUS_REG */
    memcpy(t + 268, "XenVMMXe", 8);            /* hypervisor vendor identity */
    sdt_finish(t, FADT_LEN);
    return FADT_LEN;
}

/* MADT: local APIC address 0xFEE00000, flags 0 (no PC-AT 8259s), one
 * enabled Processor Local APIC entry per vCPU: ACPI UID = APIC ID = vCPU
 * id (§5.2.12.2). */
static uint32_t build_madt(uint8_t *t, int ncpu)
{
    uint32_t len = SDT_HEADER + 8 + (uint32_t)ncpu * MADT_LAPIC_LEN;
    memset(t, 0, len);
    sdt_header(t, "APIC", len, 5);
    put32(t + 36, ACPI_LAPIC_ADDR);
    put32(t + 40, 0);
    for (int i = 0; i < ncpu; i++) {
        uint8_t *e = t + SDT_HEADER + 8 + i * MADT_LAPIC_LEN;
        e[0] = 0;
        e[1] = MADT_LAPIC_LEN;
        e[2] = (uint8_t)i;
        e[3] = (uint8_t)i;
        put32(e + 4, 1);
    }
    sdt_finish(t, len);
    return len;
}

static uint32_t build_xsdt(uint8_t *t, const uint64_t *tables, int n)
{
    uint32_t len = SDT_HEADER + 8u * (uint32_t)n;
    sdt_header(t, "XSDT", len, 1);
    for (int i = 0; i < n; i++)
        put64(t + SDT_HEADER + 8 * i, tables[i]);
    sdt_finish(t, len);
    return len;
}

static void build_rsdp(uint8_t *r, uint64_t xsdt)
{
    memset(r, 0, RSDP_LEN);
    memcpy(r, "RSD PTR ", 8);
    memcpy(r + 9, "XENEMU", 6);
    r[15] = 2;
    put32(r + 20, RSDP_LEN);
    put64(r + 24, xsdt);
    r[8] = checksum(r, 20);
    r[32] = checksum(r, RSDP_LEN);
}

static uint64_t align16(uint64_t v)
{
    return (v + 15) & ~15ull;
}

int acpi_build(phys_mem_t *pm, uint64_t base, uint64_t room, int ncpu, uint16_t pm_port, uint64_t *rsdp)
{
    if (ncpu < 1 || ncpu > ACPI_MAX_CPUS)
        return -1;
    uint8_t *mem = phys_ram_ptr(pm, base, ACPI_TABLES_SIZE);
    if (!mem || room < ACPI_TABLES_SIZE)
        return -1;
    memset(mem, 0, ACPI_TABLES_SIZE);
    uint64_t at = base;
    uint64_t r = at;
    at = align16(at + RSDP_LEN);
    uint64_t dsdt = at;
    at = align16(at + build_dsdt(mem + (dsdt - base)));
    uint64_t fadt = at;
    at = align16(at + build_fadt(mem + (fadt - base), dsdt, pm_port));
    uint64_t madt = at;
    at = align16(at + build_madt(mem + (madt - base), ncpu));
    uint64_t xsdt = at;
    uint64_t tables[2] = { fadt, madt };
    build_xsdt(mem + (xsdt - base), tables, 2);
    build_rsdp(mem + (r - base), xsdt);
    *rsdp = r;
    return 0;
}
