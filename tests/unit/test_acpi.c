/* ACPI tables for PVH guests: every checksum, the RSDP -> XSDT -> FADT/MADT
 * chain, the DSDT's \_S5, one enabled LAPIC per vCPU; and the PM register
 * turning an S5 request (either register form) into a poweroff. */
#define _GNU_SOURCE     /* memmem */
#include <check.h>
#include <string.h>

#include "xenemu/acpi.h"

static uint8_t sum(const uint8_t *p, size_t n)
{
    uint8_t s = 0;
    for (size_t i = 0; i < n; i++)
        s = (uint8_t)(s + p[i]);
    return s;
}

static uint32_t rd32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t rd64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

static const uint8_t *table(phys_mem_t *pm, uint64_t pa, const char *sig)
{
    const uint8_t *t = phys_ram_ptr(pm, pa, 36);
    ck_assert_ptr_nonnull(t);
    ck_assert_int_eq(memcmp(t, sig, 4), 0);
    uint32_t len = rd32(t + 4);
    t = phys_ram_ptr(pm, pa, len);
    ck_assert_ptr_nonnull(t);
    ck_assert_uint_eq(sum(t, len), 0);
    return t;
}

START_TEST(tables_chain_and_checksums)
{
    phys_mem_t pm;
    phys_init(&pm);
    ck_assert_int_eq(phys_add_ram(&pm, 0, 1 << 20), 0);
    uint64_t rsdp;
    ck_assert_int_eq(acpi_build(&pm, 0xe0000, 0x10000, 4, ACPI_PM_PORT, &rsdp), 0);
    const uint8_t *r = phys_ram_ptr(&pm, rsdp, 36);
    ck_assert_int_eq(memcmp(r, "RSD PTR ", 8), 0);
    ck_assert_uint_eq(sum(r, 20), 0);
    ck_assert_uint_eq(sum(r, 36), 0);
    ck_assert_uint_eq(r[15], 2);
    const uint8_t *x = table(&pm, rd64(r + 24), "XSDT");
    ck_assert_uint_eq(rd32(x + 4), 36 + 16);
    const uint8_t *f = table(&pm, rd64(x + 36), "FACP");
    const uint8_t *m = table(&pm, rd64(x + 44), "APIC");
    ck_assert(rd32(f + 112) & (1u << 20));                 /* hardware-reduced */
    const uint8_t *d = table(&pm, rd64(f + 140), "DSDT");
    ck_assert_uint_eq(rd32(f + 40), rd64(f + 140));
    ck_assert_ptr_nonnull(memmem(d, rd32(d + 4), "_S5_", 4));
    ck_assert_uint_eq(rd32(m + 36), 0xfee00000u);
    ck_assert_uint_eq(rd32(m + 40), 0);                     /* no PCAT_COMPAT: no 8259 */
    ck_assert_uint_eq(rd32(m + 4), 44 + 4 * 8);
    for (int i = 0; i < 4; i++) {
        const uint8_t *e = m + 44 + 8 * i;
        ck_assert_uint_eq(e[0], 0);
        ck_assert_uint_eq(e[2], i);
        ck_assert_uint_eq(e[3], i);
        ck_assert_uint_eq(rd32(e + 4) & 1, 1);
    }
    ck_assert_int_eq(acpi_build(&pm, 0xe0000, 100, 4, ACPI_PM_PORT, &rsdp), -1);       /* no room */
    ck_assert_int_eq(acpi_build(&pm, 0xe0000, 0x10000, 0, ACPI_PM_PORT, &rsdp), -1);   /* no vCPU */
    ck_assert_int_eq(acpi_build(&pm, 0xfff000, 0x10000, 1, ACPI_PM_PORT, &rsdp), -1);  /* not RAM */
    phys_destroy(&pm);
}
END_TEST

static int powered_off;

static void note_poweroff(void *opaque)
{
    (void)opaque;
    powered_off++;
}

START_TEST(s5_powers_off)
{
    machine_t m;
    iobus_t bus = { .n = 0 };
    acpi_pm_t pm;
    ck_assert_int_eq(machine_init(&m, 1), 0);
    iobus_attach(&bus, &m);
    ck_assert_int_eq(acpi_pm_init(&pm, &bus, ACPI_PM_PORT, note_poweroff, NULL), 0);
    uint32_t v = (1u << 13) | (3u << 10);            /* S3 through PM1: ignored */
    m.pio(m.pio_opaque, ACPI_PM_PORT, 2, true, &v);
    ck_assert_int_eq(powered_off, 0);
    v = (1u << 13) | (ACPI_S5_SLP_TYP << 10);       /* S5 through PM1a control */
    m.pio(m.pio_opaque, ACPI_PM_PORT, 2, true, &v);
    ck_assert_int_eq(powered_off, 1);
    v = (1u << 5) | (ACPI_S5_SLP_TYP << 2);         /* S5 through the sleep control register */
    m.pio(m.pio_opaque, ACPI_PM_PORT, 1, true, &v);
    ck_assert_int_eq(powered_off, 2);
    v = ACPI_S5_SLP_TYP << 2;                       /* no SLP_EN: nothing */
    m.pio(m.pio_opaque, ACPI_PM_PORT, 1, true, &v);
    ck_assert_int_eq(powered_off, 2);
    ck_assert(pm.poweroff);
    machine_destroy(&m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("acpi");
    TCase *t = tcase_create("tables");
    tcase_add_test(t, tables_chain_and_checksums);
    tcase_add_test(t, s5_powers_off);
    suite_add_tcase(s, t);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? 1 : 0;
}
