/* The x87 FPU instructions D8-DF and WAIT/FWAIT (9B): decoding of the
 * escape opcodes (SDM Vol.2 Appendix A.4, Tables ), the #NM
 * checks of CR0.EM/TS/MP (SDM Vol.3A §2.5, Table 2-2) and the #MF of a
 * pending exception. The families live in x87_*.c. */
#include "x87.h"

/* With CR0.NE = 1 a pending unmasked exception is reported as #MF before
 * the next waiting x87 instruction (SDM Vol.1 §8.6). With CR0.NE = 0 the
 * hardware would assert FERR# for an external interrupt (IRQ 13 through
 * the PIC, SDM Vol.1 §8.7 and Appendix D); this model raises #MF in both
 * cases. */
_Noreturn void x87_raise_pending(cpu_t *cpu)
{
    cpu_raise(cpu, EXC_MF);
}

/* Device not available (SDM Vol.3A §2.5 CR0.EM/TS, Table 2-2). */
static void x87_nm(cpu_t *cpu, const insn_t *in)
{
    (void)in;
    cpu_raise(cpu, EXC_NM);
}

typedef struct x87_form {
    insn_fn fn;
    uint8_t aux;
} x87_form_t;

#define F(fn, aux) { fn, aux }
#define UD { NULL, 0 }
/* The arithmetic rows: ModRM.reg 0 ADD, 1 MUL, 2 COM, 3 COMP, 4 SUB,
 * 5 SUBR, 6 DIV, 7 DIVR (for ST(i) destinations 4-7 are reversed). */
#define ARITH_ROW(fn, cmp, cmpaux, sub, subr, div, divr)                          \
    { F(fn, SF_X87_ADD), F(fn, SF_X87_MUL), F(cmp, cmpaux), F(cmp, (cmpaux) | CMP_POP), \
      F(fn, sub), F(fn, subr), F(fn, div), F(fn, divr) }

/* Memory forms by escape byte and ModRM.reg. */
static const x87_form_t mem_forms[8][8] = {
    /* D8 */ ARITH_ROW(x87_arith_m32, x87_fcom_m32, 0, SF_X87_SUB, SF_X87_SUBR, SF_X87_DIV, SF_X87_DIVR),
    /* D9 */ { F(x87_fld_m32, 0), UD, F(x87_fst_m32, 0), F(x87_fst_m32, 1),
               F(x87_fldenv, 0), F(x87_fldcw, 0), F(x87_fnstenv, 0), F(x87_fnstcw, 0) },
    /* DA */ ARITH_ROW(x87_arith_m32i, x87_ficom_m32, 0, SF_X87_SUB, SF_X87_SUBR, SF_X87_DIV, SF_X87_DIVR),
    /* DB */ { F(x87_fild_m32, 0), F(x87_fist_m32, IST_POP | IST_TRUNC), F(x87_fist_m32, 0),
               F(x87_fist_m32, IST_POP), UD, F(x87_fld_m80, 0), UD, F(x87_fstp_m80, 0) },
    /* DC */ ARITH_ROW(x87_arith_m64, x87_fcom_m64, 0, SF_X87_SUB, SF_X87_SUBR, SF_X87_DIV, SF_X87_DIVR),
    /* DD */ { F(x87_fld_m64, 0), F(x87_fist_m64, IST_POP | IST_TRUNC), F(x87_fst_m64, 0),
               F(x87_fst_m64, 1), F(x87_frstor, 0), UD, F(x87_fnsave, 0), F(x87_fnstsw_m16, 0) },
    /* DE */ ARITH_ROW(x87_arith_m16i, x87_ficom_m16, 0, SF_X87_SUB, SF_X87_SUBR, SF_X87_DIV, SF_X87_DIVR),
    /* DF */ { F(x87_fild_m16, 0), F(x87_fist_m16, IST_POP | IST_TRUNC), F(x87_fist_m16, 0),
               F(x87_fist_m16, IST_POP), F(x87_fbld, 0), F(x87_fild_m64, 0), F(x87_fbstp, 0),
               F(x87_fist_m64, IST_POP) },
};

/* Register forms by escape byte and ModRM.reg; NULL rows with a
 * non-zero aux are decoded per ModRM byte (reg_byte_form). Aliases the
 * host executes: D9 D8-DF (FSTP, see x87_fstp_nce), DC D0-DF (FCOM/FCOMP), DD C8-CF and
 * DF C8-CF (FXCH), DE D0-D7 (FCOMP), DF D0-DF (FSTP), DF C0-C7 FFREEP. */
#define BYTE_ROW { NULL, 1 }
static const x87_form_t reg_forms[8][8] = {
    /* D8 */ ARITH_ROW(x87_arith_st0_sti, x87_fcom_sti, 0, SF_X87_SUB, SF_X87_SUBR, SF_X87_DIV, SF_X87_DIVR),
    /* D9 */ { F(x87_fld_sti, 0), F(x87_fxch, 0), BYTE_ROW, F(x87_fstp_nce, 0),
               BYTE_ROW, BYTE_ROW, BYTE_ROW, BYTE_ROW },
    /* DA */ { F(x87_fcmov, 2), F(x87_fcmov, 4), F(x87_fcmov, 6), F(x87_fcmov, 10),
               UD, BYTE_ROW, UD, UD },
    /* DB */ { F(x87_fcmov, 3), F(x87_fcmov, 5), F(x87_fcmov, 7), F(x87_fcmov, 11),
               BYTE_ROW, F(x87_fcomi, CMP_UNORD), F(x87_fcomi, 0), UD },
    /* DC */ ARITH_ROW(x87_arith_sti_st0, x87_fcom_sti, 0, SF_X87_SUBR, SF_X87_SUB, SF_X87_DIVR, SF_X87_DIV),
    /* DD */ { F(x87_ffree, 0), F(x87_fxch, 0), F(x87_fst_sti, 0), F(x87_fst_sti, 1),
               F(x87_fcom_sti, CMP_UNORD), F(x87_fcom_sti, CMP_UNORD | CMP_POP), UD, UD },
    /* DE */ { F(x87_arith_sti_pop, SF_X87_ADD), F(x87_arith_sti_pop, SF_X87_MUL),
               F(x87_fcom_sti, CMP_POP), BYTE_ROW, F(x87_arith_sti_pop, SF_X87_SUBR),
               F(x87_arith_sti_pop, SF_X87_SUB), F(x87_arith_sti_pop, SF_X87_DIVR),
               F(x87_arith_sti_pop, SF_X87_DIV) },
    /* DF */ { F(x87_ffree, 1), F(x87_fxch, 0), F(x87_fst_sti, 1), F(x87_fst_sti, 1),
               BYTE_ROW, F(x87_fcomi, CMP_UNORD | CMP_POP), F(x87_fcomi, CMP_POP), UD },
};

/* D9 E0-FF (SDM Vol.2 Table A-10). */
static const x87_form_t d9_e0[32] = {
    F(x87_fchs, 0), F(x87_fabs, 0), UD, UD, F(x87_ftst, 0), F(x87_fxam, 0), UD, UD,
    F(x87_fld_const, 0), F(x87_fld_const, 1), F(x87_fld_const, 2), F(x87_fld_const, 3),
    F(x87_fld_const, 4), F(x87_fld_const, 5), F(x87_fld_const, 6), UD,
    F(x87_f2xm1, 0), F(x87_fyl2x, 0), F(x87_fptan, 0), F(x87_fpatan, 0),
    F(x87_fxtract, 0), F(x87_fprem, 1), F(x87_fincstp, 1), F(x87_fincstp, 0),
    F(x87_fprem, 0), F(x87_fyl2x, 1), F(x87_fsqrt, 0), F(x87_fsincos, 0),
    F(x87_frndint, 0), F(x87_fscale, 0), F(x87_fsin, 0), F(x87_fsin, 1),
};

/* DB E0-E7: FNENI, FNDISI and FNSETPM are no-ops since the 80387. */
static const x87_form_t db_e0[8] = {
    F(x87_nop_legacy, 0), F(x87_nop_legacy, 0), F(x87_fnclex, 0), F(x87_fninit, 0),
    F(x87_nop_legacy, 0), UD, UD, UD,
};

static x87_form_t reg_byte_form(unsigned esc, uint8_t modrm)
{
    static const x87_form_t ud = UD;
    switch (esc) {
    case 1:
        if (modrm >= 0xe0)
            return d9_e0[modrm - 0xe0];
        return modrm == 0xd0 ? (x87_form_t)F(x87_fnop, 0) : ud;
    case 2:
        return modrm == 0xe9 ? (x87_form_t)F(x87_fcom_sti, CMP_UNORD | CMP_POP2) : ud;
    case 3:
        return db_e0[modrm & 7];
    case 6:
        return modrm == 0xd9 ? (x87_form_t)F(x87_fcom_sti, CMP_POP2) : ud;
    case 7:
        return modrm == 0xe0 ? (x87_form_t)F(x87_fnstsw_ax, 0) : ud;
    default:
        return ud;
    }
}

/* 9B: #NM only when CR0.MP and CR0.TS are both set (Table 2-2). */
static void sel_fwait(dctx_t *d, insn_t *in)
{
    uint64_t cr0 = d->cpu->cr0;
    in->fn = ((cr0 & CR0_MP) && (cr0 & CR0_TS)) ? x87_nm : x87_fwait;
}

void sel_x87(dctx_t *d, insn_t *in)
{
    if (in->op == 0x9b) {
        sel_fwait(d, in);
        return;
    }
    unsigned esc = in->op & 7;
    x87_form_t f;
    if (in->flags & INF_MEM) {
        f = mem_forms[esc][d->regf];
    } else {
        f = reg_forms[esc][d->regf];
        if (!f.fn && f.aux)
            f = reg_byte_form(esc, in->modrm);
        in->rm = d->rmf;            /* ST(i): REX.B does not apply */
    }
    if (!f.fn) {
        in->fn = insn_ud;           /* #UD comes before #NM (SDM Vol.3A §6.9) */
        return;
    }
    in->aux = f.aux;
    in->fn = (d->cpu->cr0 & (CR0_EM | CR0_TS)) ? x87_nm : f.fn;
}
