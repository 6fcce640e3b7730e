/* Legacy (non-IA-32e) privilege transfers in 32-bit protected mode: far
 * CALL through 32- and 16-bit call gates with parameter copying and a stack
 * switch from the TSS, RET imm16 back to the outer ring, same-privilege and
 * conforming targets, the gate and new-stack faults with their priority
 * (SDM Vol.3A §5.8.3-5.8.6, Vol.2A CALL, JMP, Vol.2B RET), and SYSENTER /
 * SYSEXIT from CPL 3 and virtual-8086 mode with their #GP(0) cases (Vol.2B;
 * Vol.3A §5.8.7). The GDT puts kernel code, kernel data, user code, user
 * data at SYSENTER_CS + 0, 8, 16, 24. Built with gcc -m32. */
#include "guest32.h"

/* ---- selectors (own GDT; SYSENTER_CS = 0x08 puts kernel code, kernel
 * data, user code, user data at +0, +8, +16, +24, §5.8.7.1) ---- */

#define SEL_KCODE 0x08
#define SEL_KDATA 0x10
#define SEL_UCODE 0x18
#define SEL_UDATA 0x20
#define SEL_TSS 0x28
#define SEL_GATE32 0x30     /* 32-bit gate, DPL 3, 3 params -> 0x08:gate32_target */
#define SEL_GATE16 0x38     /* 16-bit gate, DPL 3, 3 params -> 0x40:0 */
#define SEL_CODE16T 0x40    /* 32-bit code DPL 0, base gate16_target */
#define SEL_GATE0 0x48      /* 32-bit gate, DPL 0 */
#define SEL_GATENP 0x50     /* 32-bit gate, DPL 3, not present */
#define SEL_GATEU 0x58      /* 32-bit gate, DPL 3, to DPL 3 code */
#define SEL_GATER1 0x60     /* 32-bit gate, DPL 3, no params -> 0x68:r1_target */
#define SEL_R1CODE 0x68     /* code DPL 1 */
#define SEL_R1DATA 0x70     /* data DPL 1 */
#define SEL_R1DATANP 0x78   /* data DPL 1, not present */
#define SEL_KCODENP 0x80    /* code DPL 0, not present */
#define SEL_GATECNP 0x88    /* 32-bit gate, DPL 3, to the not-present code */
#define SEL_UCODE16 0x90    /* 32-bit code DPL 3, base u_call16 */
#define SEL_KDATANP 0x98    /* data DPL 0, not present */
#define SEL_R1STK 0xa0      /* data DPL 1, base kstack1, limit 0xfff bytes */
#define SEL_GATEDATA 0xa8   /* 32-bit gate, DPL 3, to a data segment */
#define SEL_GATENULL 0xb0   /* 32-bit gate, DPL 3, NULL target */
#define SEL_GATEFAR 0xb8    /* 32-bit gate, DPL 3, target beyond the GDT */
#define SEL_GATELIM 0xc0    /* 32-bit gate, DPL 3, offset beyond the code limit */
#define SEL_R1CODE16 0xc8   /* code DPL 1, limit 0xffff */
#define SEL_GATER1LIM 0xd0  /* 32-bit gate, DPL 3, to 0xc8:0x10000 (beyond the limit) */
#define SEL_CONF 0xd8       /* conforming code DPL 0 */
#define SEL_GATECONF 0xe0   /* 32-bit gate, DPL 3, 3 params -> 0xd8:conf_target */
#define SEL_GATEJCONF 0xe8  /* 32-bit gate, DPL 3 -> 0xd8:conf_jmp_target */
#define SEL_GATERPL 0xf0    /* 32-bit gate, DPL 3, 3 params -> 0x0b (RPL 3):gate32_target */
#define SEL_USTK 0xf8       /* data DPL 3, base ustack, limit 0xfff bytes */
#define SEL_CONF16 0x100    /* conforming code DPL 0, limit 0xffff */
#define SEL_GATECLIM 0x108  /* 32-bit gate, DPL 3, to 0x100:0x10000 (beyond the limit) */
#define SEL_BEYOND 0x1f8
#define GDT_ENTRIES 34

#define MSR_SYSENTER_CS 0x174u
#define MSR_SYSENTER_ESP 0x175u
#define MSR_SYSENTER_EIP 0x176u
#define F_IF (1u << 9)
#define F_VM (1u << 17)

/* ---- externals (legacy32_asm.S, lib/start32.S) ---- */

extern uint64_t gdt32[6];
extern uint32_t tss32[26];
extern void lg_user_exit(void), gate32_target(void), gate16_target(void), r1_target(void);
extern void u_call32(void), u_call16(void), u_call_r1(void), u_far_probe(void);
extern void u_sysenter(void), u_fast_probe(void), se_target(void);
extern void cg_ret32(void), cg_ret_r1(void);
extern const uint32_t cg_ret16_off;
extern volatile uint32_t cg_k_esp, cg_k_frame[7], cg_k_cs, cg_k_ss;
extern volatile uint16_t cg_k_frame16[8];
extern volatile uint32_t cg_u_esp, cg_u_esp_after, cg_u_eax, cg_u_cs, cg_u_ss;
extern volatile uint32_t cg_u_ds, cg_u_es, cg_u_fs, r1_exc_cs;
extern void r1_exc_ts(void), r1_exc_ss(void);
extern void lg_enter_vm86(uint32_t cs, uint32_t ip);
extern void vm86_blob(void), se_vm_target(void);
extern volatile uint32_t se_vm_ds, se_vm_esp, se_vm_cs, se_vm_ss, se_vm_eflags, se_vm_magic;
extern void conf_target(void), conf_jmp_target(void), u_jmp_conf(void), u_small_stack_probe(void);
extern volatile uint32_t se_u_esp, se_u_eflags, se_u_esp_after, se_u_cs, se_u_ss, se_u_eflags_after;
extern volatile uint32_t se_u_stack_probe, se_k_esp, se_k_cs, se_k_ss, se_k_eflags, se_k_stack_probe;
extern volatile uint32_t se_k_cr0, se_want_esp;
void lg_enter_user(uint32_t cs, uint32_t eip, uint32_t esp, uint32_t eflags, uint32_t ebx);
int guest_main32(const void *start_info);

/* ---- exceptions (§6.12.1) ---- */

/* The last exception; legacy32_asm.S's CPL 1 handlers write it too. */
volatile struct {
    uint32_t vector, error, cs, esp;
} trap;
/* When non-zero, the next exception resumes here (then it is cleared). */
volatile uint32_t trap_resume;

void trap32(struct trap32_frame *f)
{
    trap.vector = f->vector;
    trap.error = f->error;
    trap.cs = f->cs;
    trap.esp = (f->cs & 3) ? f->esp : 0;
    if (!trap_resume) {
        puts_e9("FAIL unexpected exception, vector ");
        put_dec(f->vector);
        puts_e9(" error ");
        put_hex(f->error);
        puts_e9(" eip ");
        put_hex(f->eip);
        puts_e9(" cs ");
        put_hex(f->cs);
        puts_e9("\n");
        exit_now(1);
    }
    f->eip = trap_resume;
    trap_resume = 0;
}

/* ---- stacks ---- */

static uint8_t ustack[8192] __attribute__((aligned(16)));
static uint8_t kstack0[4096] __attribute__((aligned(16)));
static uint8_t kstack1[4096] __attribute__((aligned(16)));
static uint8_t se_stack[4096] __attribute__((aligned(16)));
#define USTACK_TOP ((uint32_t)ustack + sizeof ustack)
#define KSTACK0_TOP ((uint32_t)kstack0 + sizeof kstack0)
#define KSTACK1_TOP ((uint32_t)kstack1 + sizeof kstack1)
#define SE_STACK_TOP ((uint32_t)se_stack + sizeof se_stack - 16)

static uint64_t idt[256] __attribute__((aligned(8)));
static uint64_t gdt[GDT_ENTRIES] __attribute__((aligned(8)));

/* 32-bit interrupt gate (§6.11 figure 6-2), type 0xE. */
static void set_int_gate(int vec, uint16_t sel, uint32_t target, unsigned dpl)
{
    idt[vec] = (target & 0xffffu) | ((uint32_t)sel << 16) |
               ((uint64_t)(0x8e00u | (dpl << 13)) << 32) |
               ((uint64_t)(target & 0xffff0000u) << 32);
}

/* Segment descriptor (§3.4.5 figure 3-8): access byte, flags nibble G/DB. */
static uint64_t seg_desc(uint32_t base, uint32_t limit, unsigned access, unsigned flags)
{
    return (limit & 0xffffu) | ((uint64_t)(base & 0xffffffu) << 16) | ((uint64_t)access << 40) |
           ((uint64_t)((limit >> 16) & 0xf) << 48) | ((uint64_t)flags << 52) |
           ((uint64_t)(base >> 24) << 56);
}

/* Call gate (§5.8.3 figure 5-8): type 0xC (32-bit) or 0x4 (16-bit), the
 * parameter count in bits 36:32. */
static uint64_t call_gate(uint16_t sel, uint32_t off, unsigned type, unsigned dpl, int present,
                          unsigned params)
{
    return (off & 0xffffu) | ((uint64_t)sel << 16) | ((uint64_t)(params & 31) << 32) |
           ((uint64_t)((present ? 0x80u : 0) | (dpl << 5) | type) << 40) |
           ((uint64_t)(off >> 16) << 48);
}

#define CODE(dpl) (0x9au | ((dpl) << 5))
#define DATA(dpl) (0x92u | ((dpl) << 5))

static void tables_init(void)
{
    for (int i = 0; i < 6; i++)
        gdt[i] = gdt32[i];   /* null, flat ring 0/3 code and data, the busy TSS */
    gdt[SEL_GATE32 >> 3] = call_gate(SEL_KCODE, (uint32_t)gate32_target, 0xc, 3, 1, 3);
    gdt[SEL_GATE16 >> 3] = call_gate(SEL_CODE16T, 0, 0x4, 3, 1, 3);
    gdt[SEL_CODE16T >> 3] = seg_desc((uint32_t)gate16_target, 0xffff, CODE(0), 0x4);
    gdt[SEL_GATE0 >> 3] = call_gate(SEL_KCODE, (uint32_t)gate32_target, 0xc, 0, 1, 3);
    gdt[SEL_GATENP >> 3] = call_gate(SEL_KCODE, (uint32_t)gate32_target, 0xc, 3, 0, 3);
    gdt[SEL_GATEU >> 3] = call_gate(SEL_UCODE, (uint32_t)cg_ret32, 0xc, 3, 1, 0);
    gdt[SEL_GATER1 >> 3] = call_gate(SEL_R1CODE, (uint32_t)r1_target, 0xc, 3, 1, 0);
    gdt[SEL_R1CODE >> 3] = seg_desc(0, 0xfffff, CODE(1), 0xc);
    gdt[SEL_R1DATA >> 3] = seg_desc(0, 0xfffff, DATA(1), 0xc);
    gdt[SEL_R1DATANP >> 3] = seg_desc(0, 0xfffff, DATA(1) & 0x7f, 0xc);
    gdt[SEL_KCODENP >> 3] = seg_desc(0, 0xfffff, CODE(0) & 0x7f, 0xc);
    gdt[SEL_GATECNP >> 3] = call_gate(SEL_KCODENP, (uint32_t)gate32_target, 0xc, 3, 1, 3);
    gdt[SEL_UCODE16 >> 3] = seg_desc((uint32_t)u_call16, 0xffff, CODE(3), 0x4);
    gdt[SEL_KDATANP >> 3] = seg_desc(0, 0xfffff, DATA(0) & 0x7f, 0xc);
    gdt[SEL_R1STK >> 3] = seg_desc((uint32_t)kstack1, 0xfff, DATA(1), 0x4);
    gdt[SEL_GATEDATA >> 3] = call_gate(SEL_KDATA, (uint32_t)gate32_target, 0xc, 3, 1, 3);
    gdt[SEL_GATENULL >> 3] = call_gate(0, (uint32_t)gate32_target, 0xc, 3, 1, 3);
    gdt[SEL_GATEFAR >> 3] = call_gate(SEL_BEYOND, (uint32_t)gate32_target, 0xc, 3, 1, 3);
    gdt[SEL_GATELIM >> 3] = call_gate(SEL_CODE16T, 0x10000, 0xc, 3, 1, 3);
    gdt[SEL_USTK >> 3] = seg_desc((uint32_t)ustack, 0xfff, DATA(3), 0x4);
    gdt[SEL_CONF16 >> 3] = seg_desc(0, 0xffff, CODE(0) | 4, 0x4);
    gdt[SEL_GATECLIM >> 3] = call_gate(SEL_CONF16, 0x10000, 0xc, 3, 1, 0);
    gdt[SEL_R1CODE16 >> 3] = seg_desc(0, 0xffff, CODE(1), 0x4);
    gdt[SEL_GATER1LIM >> 3] = call_gate(SEL_R1CODE16, 0x10000, 0xc, 3, 1, 0);
    gdt[SEL_CONF >> 3] = seg_desc(0, 0xfffff, CODE(0) | 4, 0xc);
    gdt[SEL_GATECONF >> 3] = call_gate(SEL_CONF, (uint32_t)conf_target, 0xc, 3, 1, 3);
    gdt[SEL_GATEJCONF >> 3] = call_gate(SEL_CONF, (uint32_t)conf_jmp_target, 0xc, 3, 1, 0);
    gdt[SEL_GATERPL >> 3] = call_gate(SEL_KCODE | 3, (uint32_t)gate32_target, 0xc, 3, 1, 3);
    struct __attribute__((packed)) { uint16_t limit; uint32_t base; } g = {
        sizeof gdt - 1, (uint32_t)gdt
    }, i = { sizeof idt - 1, (uint32_t)idt };
    /* Same selectors and descriptors as start32.S: no reload needed, but
     * reload anyway so nothing depends on start32's table any more. */
    __asm__ volatile("lgdt %0\n\tljmp $0x08, $1f\n1:\tmovl %1, %%ds\n\tmovl %1, %%es\n\t"
                     "movl %1, %%ss" : : "m"(g), "r"(SEL_KDATA) : "memory");

    for (int v = 0; v < 32; v++)
        set_int_gate(v, SEL_KCODE, exc32_table[v], 0);
    set_int_gate(0x81, SEL_KCODE, (uint32_t)lg_user_exit, 3);
    __asm__ volatile("lidt %0" : : "m"(i));
}

/* PROBE("insn", outputs : inputs : clobbers): an exception in insn resumes
 * after it. */
#define PROBE(body, ...)                                                      \
    __asm__ volatile("movl $8f, trap_resume\n\t" body                         \
                     "\n8:\tmovl $0, trap_resume" __VA_ARGS__)

static void expect_fault(const char *what, uint32_t vec, uint32_t err)
{
    puts_e9(what);
    puts_e9(":\n");
    check_eq("  vector", trap.vector, vec);
    check_eq("  error code", trap.error, err);
    trap.vector = 0xff;
    trap.error = 0xffffffffu;
}

/* TSS dwords (§8.2.1 figure 8-2): ESP0 1, SS0 2, ESP1 3, SS1 4. */
#define TSS_ESP0 1
#define TSS_SS0 2
#define TSS_ESP1 3
#define TSS_SS1 4

static void user(void (*fn)(void), uint32_t cs, uint32_t eflags, uint32_t ebx)
{
    uint32_t eip = (uint32_t)fn;
    if (cs == (SEL_UCODE16 | 3))
        eip = 0;                 /* CS base is fn */
    lg_enter_user(cs, eip, USTACK_TOP, eflags, ebx);
}

/* A ring-3 far CALL (or JMP) through sel that must fault with (vec, err)
 * and leave CS and ESP as they were (the instruction is a fault). */
static void user_far_fault(const char *what, uint16_t sel, int jmp, uint32_t vec, uint32_t err)
{
    trap.vector = 0xff;
    trap.cs = 0;
    trap.esp = 0;
    user(u_far_probe, SEL_UCODE | 3, 0x2, (uint32_t)(sel | 3) | (jmp ? 0x10000u : 0));
    expect_fault(what, vec, err);
    check_eq("  faulting CS is the caller's", trap.cs, SEL_UCODE | 3);
    check_eq("  caller ESP unchanged", trap.esp, USTACK_TOP);
}

/* ---- call gates ---- */

static void test_same_privilege(void)
{
    uint32_t esp_call, esp_after, eax, ret;
    /* Three dwords on the stack that a same-privilege call must not copy;
     * the target's RET 12 pops them (Vol.2B RET, "near/same privilege"). */
    __asm__ volatile("pushl $0x44444444\n\tpushl $0x55555555\n\tpushl $0x66666666\n\t"
                     "movl $1f, %3\n\tmovl %%esp, %0\n\t"
                     "lcall $0x30, $0\n1:\tmovl %%esp, %1"
                     : "=&r"(esp_call), "=&r"(esp_after), "=a"(eax), "=&r"(ret) : : "memory");
    puts_e9("CPL 0 far CALL through a call gate to CPL 0 code (5.8.5):\n");
    check_eq("  target ran", eax, 0x600d);
    check_eq("  CS in the target", cg_k_cs, SEL_KCODE);
    check_eq("  SS unchanged", cg_k_ss, SEL_KDATA);
    check_eq("  no stack switch: 8 bytes pushed", cg_k_esp, esp_call - 8);
    check_eq("  pushed EIP", cg_k_frame[0], ret);
    check_eq("  pushed CS", cg_k_frame[1], SEL_KCODE);
    check_eq("  next slot is the caller's own parameter", cg_k_frame[2], 0x66666666);
    check_eq("  RET 12: ESP = caller ESP + 12", esp_after, esp_call + 12);
}

static void test_call32(uint16_t gate)
{
    memset(kstack0, 0, sizeof kstack0);
    user(u_call32, SEL_UCODE | 3, 0x2, gate | 3u);
    puts_e9("CPL 3 far CALL through a 32-bit gate with 3 parameters to CPL 0 (5.8.5, figure 5-13)");
    puts_e9(gate == SEL_GATERPL ? ",\n  gate's code selector has RPL 3 (ignored):\n" : ":\n");
    check_eq("  target ran", cg_u_eax, 0x600d);
    check_eq("  CS in the target", cg_k_cs, SEL_KCODE);
    check_eq("  SS = TSS.SS0", cg_k_ss, SEL_KDATA);
    check_eq("  ESP = TSS.ESP0 - 28", cg_k_esp, KSTACK0_TOP - 28);
    check_eq("  [ESP+0]  caller EIP", cg_k_frame[0], (uint32_t)cg_ret32);
    check_eq("  [ESP+4]  caller CS", cg_k_frame[1], SEL_UCODE | 3);
    check_eq("  [ESP+8]  parameter 3", cg_k_frame[2], 0x33333333);
    check_eq("  [ESP+12] parameter 2", cg_k_frame[3], 0x22222222);
    check_eq("  [ESP+16] parameter 1", cg_k_frame[4], 0x11111111);
    check_eq("  [ESP+20] caller ESP", cg_k_frame[5], cg_u_esp);
    check_eq("  [ESP+24] caller SS", cg_k_frame[6], SEL_UDATA | 3);
    check_eq("  caller ESP as expected", cg_u_esp, USTACK_TOP - 12);
    puts_e9("RET 12 to CPL 3:\n");
    check_eq("  ESP = caller ESP + 12", cg_u_esp_after, cg_u_esp + 12);
    check_eq("  CS", cg_u_cs, SEL_UCODE | 3);
    check_eq("  SS", cg_u_ss, SEL_UDATA | 3);
    check_eq("  DS (DPL 3) kept", cg_u_ds, SEL_UDATA | 3);
    check_eq("  ES (DPL 0) nulled", cg_u_es, 0);
    check_eq("  FS (DPL 0) nulled", cg_u_fs, 0);
}

/* Conforming code through a gate: no privilege change, CS.RPL = CPL
 * (§5.8.4 table 5-1; Vol.2A CALL, CALL-GATE, SAME-PRIVILEGE). */
static void test_conforming(void)
{
    memset(kstack0, 0, sizeof kstack0);
    cg_k_ss = 0;
    user(u_call32, SEL_UCODE | 3, 0x2, SEL_GATECONF | 3);
    puts_e9("CPL 3 far CALL through a gate to conforming DPL 0 code:\n");
    check_eq("  target ran", cg_u_eax, 0x600d);
    check_eq("  CS = conforming selector, RPL = CPL 3", cg_k_cs, SEL_CONF | 3);
    check_eq("  SS unchanged", cg_k_ss, SEL_UDATA | 3);
    check_eq("  no stack switch: 8 bytes pushed", cg_k_esp, cg_u_esp - 8);
    check_eq("  [ESP+0] caller EIP", cg_k_frame[0], (uint32_t)cg_ret32);
    check_eq("  [ESP+4] caller CS", cg_k_frame[1], SEL_UCODE | 3);
    check_eq("  [ESP+8] the caller's own parameter 3", cg_k_frame[2], 0x33333333);
    check_eq("  RET 12: ESP = caller ESP + 12", cg_u_esp_after, cg_u_esp + 12);
    check_eq("  CS after RET", cg_u_cs, SEL_UCODE | 3);
    /* CALL-GATE, SAME-PRIVILEGE: room for 8 bytes (#SS(0)) is checked
     * before the gate's EIP (#GP(0)). */
    static const struct { const char *what; uint16_t gate; uint32_t esp, vec; } st[] = {
        { "same privilege, 4 bytes of stack room: #SS(0)", SEL_GATECONF, 4, 12 },
        { "same privilege, no room and EIP beyond the limit: #SS(0) first", SEL_GATECLIM, 4, 12 },
        { "same privilege, EIP beyond the code limit: #GP(0)", SEL_GATECLIM, 8, 13 },
    };
    for (unsigned k = 0; k < sizeof st / sizeof st[0]; k++) {
        trap.vector = 0xff;
        trap.esp = 0;
        user(u_small_stack_probe, SEL_UCODE | 3, 0x2, (st[k].esp << 16) | st[k].gate | 3u);
        expect_fault(st[k].what, st[k].vec, 0);
        check_eq("  caller ESP unchanged", trap.esp, st[k].esp);
    }
    cg_k_cs = 0;
    user(u_jmp_conf, SEL_UCODE | 3, 0x2, 0);
    puts_e9("CPL 3 far JMP through a gate to conforming DPL 0 code:\n");
    check_eq("  CS = conforming selector, RPL = CPL 3", cg_k_cs, SEL_CONF | 3);
    check_eq("  ESP unchanged", cg_k_esp, USTACK_TOP);
}

static void test_call16(void)
{
    memset(kstack0, 0, sizeof kstack0);
    user(u_call16, SEL_UCODE16 | 3, 0x2, 0);
    puts_e9("CPL 3 far CALL through a 16-bit gate with 3 word parameters to CPL 0:\n");
    check_eq("  target ran", cg_u_eax, 0x600d);
    check_eq("  CS in the target", cg_k_cs, SEL_CODE16T);
    check_eq("  SS = TSS.SS0", cg_k_ss, SEL_KDATA);
    check_eq("  ESP = TSS.ESP0 - 14", cg_k_esp, KSTACK0_TOP - 14);
    check_eq("  [ESP+0]  caller IP", cg_k_frame16[0], cg_ret16_off);
    check_eq("  [ESP+2]  caller CS", cg_k_frame16[1], SEL_UCODE16 | 3);
    check_eq("  [ESP+4]  parameter 3", cg_k_frame16[2], 0x3333);
    check_eq("  [ESP+6]  parameter 2", cg_k_frame16[3], 0x2222);
    check_eq("  [ESP+8]  parameter 1", cg_k_frame16[4], 0x1111);
    check_eq("  [ESP+10] caller SP", cg_k_frame16[5], cg_u_esp & 0xffff);
    check_eq("  [ESP+12] caller SS", cg_k_frame16[6], SEL_UDATA | 3);
    check_eq("  caller ESP as expected", cg_u_esp, USTACK_TOP - 6);
    puts_e9("16-bit RET 6 to CPL 3:\n");
    check_eq("  SP = caller SP + 6", cg_u_esp_after & 0xffff, (cg_u_esp + 6) & 0xffff);
    check_eq("  CS", cg_u_cs, SEL_UCODE16 | 3);
    check_eq("  SS", cg_u_ss, SEL_UDATA | 3);
}

static void test_call_ring1(void)
{
    user(u_call_r1, SEL_UCODE | 3, 0x2, 0);
    puts_e9("CPL 3 far CALL through a parameterless gate to CPL 1:\n");
    check_eq("  target ran", cg_u_eax, 0x1ead);
    check_eq("  CS in the target", cg_k_cs, SEL_R1CODE | 1);
    check_eq("  SS = TSS.SS1", cg_k_ss, SEL_R1DATA | 1);
    check_eq("  ESP = TSS.ESP1 - 16", cg_k_esp, KSTACK1_TOP - 16);
    check_eq("  [ESP+0]  caller EIP", cg_k_frame[0], (uint32_t)cg_ret_r1);
    check_eq("  [ESP+4]  caller CS", cg_k_frame[1], SEL_UCODE | 3);
    check_eq("  [ESP+8]  caller ESP", cg_k_frame[2], USTACK_TOP);
    check_eq("  [ESP+12] caller SS", cg_k_frame[3], SEL_UDATA | 3);
    puts_e9("RET to CPL 3:\n");
    check_eq("  ESP restored", cg_u_esp_after, cg_u_esp);
    check_eq("  CS", cg_u_cs, SEL_UCODE | 3);
    check_eq("  SS", cg_u_ss, SEL_UDATA | 3);
    check_eq("  CS descriptor marked accessed", (uint32_t)(gdt[SEL_R1CODE >> 3] >> 40) & 1, 1);
    check_eq("  SS descriptor marked accessed", (uint32_t)(gdt[SEL_R1DATA >> 3] >> 40) & 1, 1);

    /* The new stack's limit must hold the 16 bytes (Vol.2A CALL,
     * MORE-PRIVILEGE: "room for parameters plus 16 bytes"). */
    tss32[TSS_SS1] = SEL_R1STK | 1;
    tss32[TSS_ESP1] = 16;
    user(u_call_r1, SEL_UCODE | 3, 0x2, 0);
    puts_e9("CPL 1 stack with exactly 16 bytes of room:\n");
    check_eq("  target ran", cg_u_eax, 0x1ead);
    check_eq("  SS = TSS.SS1", cg_k_ss, SEL_R1STK | 1);
    check_eq("  ESP = 0", cg_k_esp, 0);
    check_eq("  [ESP+0]  caller EIP", cg_k_frame[0], (uint32_t)cg_ret_r1);
    check_eq("  [ESP+12] caller SS", cg_k_frame[3], SEL_UDATA | 3);
    check_eq("  RET: ESP restored", cg_u_esp_after, cg_u_esp);
    tss32[TSS_ESP1] = 12;
    user_far_fault("CPL 1 stack with 12 bytes of room: #SS(SS1)", SEL_GATER1, 0, 12, SEL_R1STK);
    /* Vol.2A CALL, MORE-PRIVILEGE: the SS checks and the room check come
     * before the gate's EIP is checked against the code limit. */
    user_far_fault("no room and EIP beyond the code limit: #SS(SS1) first", SEL_GATER1LIM, 0, 12,
                   SEL_R1STK);
    tss32[TSS_SS1] = 0;
    user_far_fault("NULL SS1 and EIP beyond the code limit: #TS(0) first", SEL_GATER1LIM, 0, 10, 0);
    tss32[TSS_SS1] = SEL_R1DATA | 1;
    tss32[TSS_ESP1] = KSTACK1_TOP;
    user_far_fault("CPL 1 gate EIP beyond the code limit: #GP(0)", SEL_GATER1LIM, 0, 13, 0);
    tss32[TSS_ESP1] = KSTACK1_TOP;
    tss32[TSS_SS1] = SEL_R1DATA | 1;
}

/* A bad TSS.SS0: #TS/#SS go to CPL 1 handlers (a CPL 0 handler would need
 * that very stack), which put SS0 back. */
static void ring0_stack_fault(const char *what, uint16_t ss0, uint32_t vec, uint32_t err)
{
    set_int_gate(10, SEL_R1CODE, (uint32_t)r1_exc_ts, 0);
    set_int_gate(12, SEL_R1CODE, (uint32_t)r1_exc_ss, 0);
    r1_exc_cs = 0;
    tss32[TSS_SS0] = ss0;
    user_far_fault(what, SEL_GATE32, 0, vec, err);
    check_eq("  TSS.SS0 restored by the CPL 1 handler", tss32[TSS_SS0], SEL_KDATA);
    check_eq("  handler ran at CPL 1", r1_exc_cs, SEL_R1CODE | 1);
    tss32[TSS_SS0] = SEL_KDATA;
    set_int_gate(10, SEL_KCODE, exc32_table[10], 0);
    set_int_gate(12, SEL_KCODE, exc32_table[12], 0);
}

static void ring1_stack_fault(const char *what, uint16_t ss1, uint32_t vec, uint32_t err)
{
    tss32[TSS_SS1] = ss1;
    user_far_fault(what, SEL_GATER1, 0, vec, err);
    tss32[TSS_SS1] = SEL_R1DATA | 1;
}

static void test_gate_faults(void)
{
    /* Vol.2A CALL, CALL-GATE: gate DPL < CPL or < RPL -> #GP(gate). */
    user_far_fault("CPL 3 CALL through a DPL 0 gate: #GP(gate)", SEL_GATE0, 0, 13, SEL_GATE0);
    user_far_fault("CPL 3 CALL through a not-present gate: #NP(gate)", SEL_GATENP, 0, 11, SEL_GATENP);
    user_far_fault("CPL 3 CALL through a gate to not-present code: #NP(code)", SEL_GATECNP, 0, 11,
                   SEL_KCODENP);
    /* Vol.2A JMP: through a gate, non-conforming code must have DPL = CPL. */
    user_far_fault("CPL 3 JMP through a gate to CPL 0 code: #GP(code)", SEL_GATE32, 1, 13, SEL_KCODE);

    /* The new stack from the TSS (Vol.2A CALL, MORE-PRIVILEGE). */
    ring1_stack_fault("TSS.SS1 NULL: #TS(0)", 0, 10, 0);
    ring1_stack_fault("TSS.SS1 a code segment: #TS(SS1)", SEL_KCODE | 1, 10, SEL_KCODE);
    ring1_stack_fault("TSS.SS1 RPL != new CPL: #TS(SS1)", SEL_R1DATA, 10, SEL_R1DATA);
    ring1_stack_fault("TSS.SS1 DPL != new CPL: #TS(SS1)", SEL_KDATA | 1, 10, SEL_KDATA);
    ring1_stack_fault("TSS.SS1 not present: #SS(SS1)", SEL_R1DATANP | 1, 12, SEL_R1DATANP);
    ring0_stack_fault("TSS.SS0 NULL: #TS(0)", 0, 10, 0);
    ring0_stack_fault("TSS.SS0 RPL != 0: #TS(SS0)", SEL_KDATA | 3, 10, SEL_KDATA);
    ring0_stack_fault("TSS.SS0 DPL 3 data: #TS(SS0)", SEL_UDATA, 10, SEL_UDATA);
    ring0_stack_fault("TSS.SS0 a code segment: #TS(SS0)", SEL_KCODE, 10, SEL_KCODE);
    ring0_stack_fault("TSS.SS0 not present: #SS(SS0)", SEL_KDATANP, 12, SEL_KDATANP);

    /* The gate's target selector (Vol.2A CALL, CALL-GATE). */
    user_far_fault("gate to a data segment: #GP(target)", SEL_GATEDATA, 0, 13, SEL_KDATA);
    user_far_fault("gate with a NULL target: #GP(0)", SEL_GATENULL, 0, 13, 0);
    user_far_fault("gate target beyond the GDT limit: #GP(target)", SEL_GATEFAR, 0, 13, SEL_BEYOND);
    user_far_fault("gate offset beyond the code limit: #GP(0)", SEL_GATELIM, 0, 13, 0);
    user_far_fault("CALL to a selector beyond the GDT limit: #GP(selector)", SEL_BEYOND, 0, 13,
                   SEL_BEYOND);

    /* From CPL 0: target code DPL > CPL, and gate DPL < RPL. */
    trap.vector = 0xff;
    PROBE("lcall $0x58, $0", : : : "memory");
    expect_fault("CPL 0 CALL through a gate to DPL 3 code: #GP(code)", 13, SEL_UCODE);
    PROBE("lcall $0x4b, $0", : : : "memory");
    expect_fault("CPL 0 CALL through a DPL 0 gate with RPL 3: #GP(gate)", 13, SEL_GATE0);
}

/* ---- SYSENTER / SYSEXIT ---- */

/* hi: bits 63:32 of IA32_SYSENTER_ESP/EIP, which outside IA-32e mode
 * SYSENTER ignores (Vol.2B SYSENTER: ESP <- IA32_SYSENTER_ESP[31:0]). */
static void test_sysenter(uint32_t msr_cs, uint32_t hi)
{
    wrmsr(MSR_SYSENTER_CS, msr_cs);
    wrmsr(MSR_SYSENTER_ESP, ((uint64_t)hi << 32) | SE_STACK_TOP);
    wrmsr(MSR_SYSENTER_EIP, ((uint64_t)hi << 32) | (uint32_t)se_target);
    se_k_cs = se_k_ss = se_u_cs = se_u_ss = 0;
    /* IF = 1 at CPL 3, so that SYSENTER clearing it is visible. */
    user(u_sysenter, SEL_UCODE | 3, 0x202, 0);
    puts_e9("SYSENTER from CPL 3, IA32_SYSENTER_CS = ");
    put_hex(msr_cs);
    if (hi) {
        puts_e9(", ESP/EIP MSR bits 63:32 = ");
        put_hex(hi);
    }
    puts_e9(":\n");
    check_eq("  IF was set at CPL 3", se_u_eflags & F_IF, F_IF);
    check_eq("  CS = SYSENTER_CS & 0xfffc", se_k_cs, msr_cs & 0xfffc);
    check_eq("  SS = CS + 8", se_k_ss, (msr_cs & 0xfffc) + 8);
    check_eq("  ESP = IA32_SYSENTER_ESP", se_k_esp, SE_STACK_TOP);
    check_eq("  IF and VM cleared", se_k_eflags & (F_IF | F_VM), 0);
    check_eq("  flat SS: push seen at ESP - 4 through DS", se_k_stack_probe, 0x5eed1234);
    check_eq("  CPL 0: MOV from CR0 ran (PE)", se_k_cr0 & 1, 1);
    puts_e9("SYSEXIT to CPL 3:\n");
    check_eq("  CS = (SYSENTER_CS + 16) | 3", se_u_cs, ((msr_cs + 16) | 3) & 0xffff);
    check_eq("  SS = CS + 8", se_u_ss, ((msr_cs + 16) | 3) + 8);
    check_eq("  ESP = ECX", se_u_esp_after, se_want_esp);
    check_eq("  ECX was caller ESP - 16", se_want_esp, se_u_esp - 16);
    check_eq("  EFLAGS unchanged by SYSEXIT (IF still 0)", se_u_eflags_after & F_IF, 0);
    check_eq("  flat user stack works", se_u_stack_probe, 0x0badcafe);
}

/* SYSENTER from virtual-8086 mode clears VM (Vol.2B SYSENTER). */
static void test_sysenter_vm86(void)
{
    uint32_t lin = (uint32_t)vm86_blob;
    puts_e9("SYSENTER from virtual-8086 mode:\n");
    if (lin < 0xffff0 || lin - 0xffff0 > 0xffff) {
        check_eq("  VM86 code reachable with CS 0xffff", lin, 0);
        return;
    }
    wrmsr(MSR_SYSENTER_CS, SEL_KCODE);
    wrmsr(MSR_SYSENTER_EIP, (uint32_t)se_vm_target);
    lg_enter_vm86(0xffff, lin - 0xffff0);
    wrmsr(MSR_SYSENTER_EIP, (uint32_t)se_target);
    check_eq("  CS = SYSENTER_CS", se_vm_cs, SEL_KCODE);
    check_eq("  SS = SYSENTER_CS + 8", se_vm_ss, SEL_KDATA);
    check_eq("  ESP = IA32_SYSENTER_ESP", se_vm_esp, SE_STACK_TOP);
    check_eq("  IF cleared", se_vm_eflags & F_IF, 0);
    check_eq("  VM cleared: DS load is a protected-mode load", se_vm_magic, 0x600dc0de);
    check_eq("  DS left as VM86 had it", se_vm_ds, 0x42);
}

static void test_fast_faults(void)
{
    wrmsr(MSR_SYSENTER_CS, 0);
    trap.vector = 0xff;
    trap.cs = 0;
    user(u_fast_probe, SEL_UCODE | 3, 0x2, 0);
    expect_fault("SYSENTER at CPL 3 with IA32_SYSENTER_CS = 0: #GP(0)", 13, 0);
    check_eq("  faulted at CPL 3", trap.cs, SEL_UCODE | 3);
    PROBE("sysenter", : : : "memory");
    expect_fault("SYSENTER at CPL 0 with IA32_SYSENTER_CS = 0: #GP(0)", 13, 0);
    wrmsr(MSR_SYSENTER_CS, 3);
    PROBE("sysenter", : : : "memory");
    expect_fault("SYSENTER with IA32_SYSENTER_CS[15:2] = 0 (CS = 3): #GP(0)", 13, 0);
    PROBE("sysexit", : : : "memory");
    expect_fault("SYSEXIT with IA32_SYSENTER_CS[15:2] = 0 (CS = 3): #GP(0)", 13, 0);
    wrmsr(MSR_SYSENTER_CS, 0);
    PROBE("sysexit", : : : "memory");
    expect_fault("SYSEXIT at CPL 0 with IA32_SYSENTER_CS = 0: #GP(0)", 13, 0);
    wrmsr(MSR_SYSENTER_CS, SEL_KCODE);
    trap.cs = 0;
    user(u_fast_probe, SEL_UCODE | 3, 0x2, 1);
    expect_fault("SYSEXIT at CPL 3: #GP(0)", 13, 0);
    check_eq("  faulted at CPL 3", trap.cs, SEL_UCODE | 3);
}

int guest_main32(const void *start_info)
{
    (void)start_info;
    tables_init();
    tss32[TSS_ESP0] = KSTACK0_TOP;
    tss32[TSS_SS0] = SEL_KDATA;
    tss32[TSS_ESP1] = KSTACK1_TOP;
    tss32[TSS_SS1] = SEL_R1DATA | 1;

    test_same_privilege();
    test_call32(SEL_GATE32);
    test_call32(SEL_GATERPL);
    test_conforming();
    test_call16();
    test_call_ring1();
    test_gate_faults();

    uint32_t r[4];
    __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(1), "c"(0));
    check_eq("CPUID.1:EDX.SEP", (r[3] >> 11) & 1, 1);
    wrmsr(MSR_SYSENTER_ESP, SE_STACK_TOP);
    wrmsr(MSR_SYSENTER_EIP, (uint32_t)se_target);
    check_eq("IA32_SYSENTER_ESP reads back", (uint32_t)rdmsr(MSR_SYSENTER_ESP), SE_STACK_TOP);
    check_eq("IA32_SYSENTER_EIP reads back", (uint32_t)rdmsr(MSR_SYSENTER_EIP), (uint32_t)se_target);
    test_sysenter(SEL_KCODE, 0);
    test_sysenter(SEL_KCODE | 3, 0xffffffffu);   /* RPL bits of the MSR are ignored */
    wrmsr(MSR_SYSENTER_ESP, SE_STACK_TOP);
    wrmsr(MSR_SYSENTER_EIP, (uint32_t)se_target);
    test_sysenter_vm86();
    test_fast_faults();

    if (failures) {
        puts_e9("legacy32: ");
        put_dec(failures);
        puts_e9(" of ");
        put_dec(checks);
        puts_e9(" checks failed\n");
        return 1;
    }
    puts_e9("legacy32: all checks passed (");
    put_dec(checks);
    puts_e9(" checks)\n");
    return 0;
}
