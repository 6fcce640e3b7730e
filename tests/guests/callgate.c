/* Far CALL through a 64-bit call gate to a more privileged code segment
 * with a stack switch from TSS.RSP0, far RET to the outer ring, and the
 * faults of the gate checks (SDM Vol.3A §5.8.3-5.8.6, Vol.2A CALL, JMP). */
#include "desc.h"

#define SEL_GATE3 0x48      /* DPL 3 gate to SEL_KCODE:gate_target */
#define SEL_GATE0 0x58      /* DPL 0 gate */
#define SEL_GATENP 0x68     /* DPL 3 gate, not present */

void gate_target(void);
extern volatile uint64_t cg_rsp, cg_frame[4], cg_cs, cg_ss;

struct farptr { uint32_t off; uint16_t sel; } __attribute__((packed));

static volatile uint64_t u_rsp, u_rsp_after, u_cs, u_ss, u_rax, u_ret;
static volatile uint64_t u_gp_vec, u_gp_err, u_np_vec, u_np_err, u_jmp_vec, u_jmp_err;

static void set_gate(int sel, uint64_t target, int dpl, int present)
{
    gdt[sel >> 3] = (target & 0xffff) | ((uint64_t)SEL_KCODE << 16) |
                    ((uint64_t)((present ? 0x80 : 0) | (dpl << 5) | GATE_CALL) << 40) |
                    ((target >> 16 & 0xffff) << 48);
    gdt[(sel >> 3) + 1] = target >> 32;
}

static void user_main(void)
{
    static struct farptr fp = { 0, SEL_GATE3 | 3 };
    static struct farptr fp0 = { 0, SEL_GATE0 | 3 };
    static struct farptr fpnp = { 0, SEL_GATENP | 3 };
    uint64_t rsp, rsp2, cs, ss, rax, ret;
    __asm__ volatile("mov %%rsp, %0\n\tlea 1f(%%rip), %5\n\tlcall *(%6)\n1:\n\t"
                     "mov %%rsp, %1\n\tmov %%cs, %2\n\tmov %%ss, %3"
                     : "=&r"(rsp), "=&r"(rsp2), "=&r"(cs), "=&r"(ss), "=a"(rax), "=&r"(ret)
                     : "r"(&fp) : "memory");
    u_rsp = rsp;
    u_rsp_after = rsp2;
    u_cs = cs;
    u_ss = ss;
    u_rax = rax;
    u_ret = ret;
    PROBE("lcall *(%0)", : : "r"(&fp0) : "memory");
    u_gp_vec = trap.vector;
    u_gp_err = trap.error;
    PROBE("lcall *(%0)", : : "r"(&fpnp) : "memory");
    u_np_vec = trap.vector;
    u_np_err = trap.error;
    PROBE("ljmp *(%0)", : : "r"(&fp) : "memory");
    u_jmp_vec = trap.vector;
    u_jmp_err = trap.error;
    __asm__ volatile("int %0" : : "i"(VEC_USER_EXIT) : "memory");
}

int guest_main(const void *start_info)
{
    (void)start_info;
    desc_init();
    paging_all_user();
    set_gate(SEL_GATE3, (uint64_t)gate_target, 3, 1);
    set_gate(SEL_GATE0, (uint64_t)gate_target, 0, 1);
    set_gate(SEL_GATENP, (uint64_t)gate_target, 3, 0);

    /* Same privilege: no stack switch, CS:RIP pushed as two quadwords. */
    static struct farptr fpk = { 0, SEL_GATE3 };
    uint64_t rsp, rax;
    __asm__ volatile("mov %%rsp, %0\n\tlcall *(%2)" : "=&r"(rsp), "=a"(rax) : "r"(&fpk) : "memory");
    puts_e9("CPL 0 far CALL through the gate:\n");
    check_eq("  target ran", rax, 0x6a7e);
    check_eq("  no stack switch: 16 bytes pushed", cg_rsp, rsp - 16);
    check_eq("  pushed CS", cg_frame[1], SEL_KCODE);
    check_eq("  CS in the target", cg_cs, SEL_KCODE);

    enter_user((uint64_t)user_main, USER_STACK_TOP - 8, 0x202, SEL_UCODE | 3);
    puts_e9("CPL 3 far CALL through a DPL 3 gate to CPL 0:\n");
    check_eq("  target ran", u_rax, 0x6a7e);
    check_eq("  CS in the target", cg_cs, SEL_KCODE);
    check_eq("  SS in the target is NULL (5.8.6)", cg_ss, 0);
    check_eq("  stack from TSS.RSP0, 4 quadwords pushed", cg_rsp, tss.rsp[0] - 32);
    check_eq("  pushed RIP", cg_frame[0], u_ret);
    check_eq("  pushed CS", cg_frame[1], SEL_UCODE | 3);
    check_eq("  pushed RSP", cg_frame[2], u_rsp);
    check_eq("  pushed SS", cg_frame[3], SEL_UDATA | 3);
    puts_e9("far RET to CPL 3:\n");
    check_eq("  CS", u_cs, SEL_UCODE | 3);
    check_eq("  SS", u_ss, SEL_UDATA | 3);
    check_eq("  RSP restored", u_rsp_after, u_rsp);
    puts_e9("CPL 3 far CALL through a DPL 0 gate:\n");
    check_eq("  #GP", u_gp_vec, 13);
    check_eq("  error code = gate selector", u_gp_err, SEL_GATE0);
    puts_e9("CPL 3 far CALL through a not-present gate:\n");
    check_eq("  #NP", u_np_vec, 11);
    check_eq("  error code = gate selector", u_np_err, SEL_GATENP);
    puts_e9("CPL 3 far JMP through the gate to non-conforming DPL 0 code:\n");
    check_eq("  #GP", u_jmp_vec, 13);
    check_eq("  error code = code segment selector", u_jmp_err, SEL_KCODE);
    return finish("callgate");
}
