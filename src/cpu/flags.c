/* Computing the arithmetic flags from the lazily recorded operation
 * (SDM Vol.1 §3.4.3.1 and each instruction's "Flags Affected"). */
#include "ops.h"

static uint32_t szp(uint64_t res, uint64_t sb)
{
    return (res == 0 ? F_ZF : 0) | ((res & sb) ? F_SF : 0) | cc_parity(res);
}

static uint32_t add_flags(uint64_t a, uint64_t src, uint64_t res, uint64_t sb, bool cf)
{
    return (cf ? F_CF : 0) | (((a ^ res) & (src ^ res) & sb) ? F_OF : 0) | ((a ^ src ^ res) & F_AF);
}

static uint32_t sub_flags(uint64_t a, uint64_t src, uint64_t res, uint64_t sb, bool cf)
{
    return (cf ? F_CF : 0) | (((a ^ src) & (a ^ res) & sb) ? F_OF : 0) | ((a ^ src ^ res) & F_AF);
}

uint32_t cc_compute(const cpu_t *cpu)
{
    unsigned op = cpu->cc_op;
    if (op == CC_EFLAGS)
        return (uint32_t)cpu->rflags & F_ARITH;
    unsigned bytes = 1u << (op & 3);
    uint64_t m = size_mask(bytes), sb = sign_bit(bytes);
    uint64_t res = cpu->cc_dst & m, src = cpu->cc_src & m;
    uint64_t cin = cpu->cc_src2 & 1;
    uint32_t f = szp(res, sb);
    uint64_t a;
    switch (op & ~3u) {
    case CC_ADD:
        a = (res - src) & m;
        return f | add_flags(a, src, res, sb, res < src);
    case CC_ADC:
        a = (res - src - cin) & m;
        return f | add_flags(a, src, res, sb, cin ? res <= src : res < src);
    case CC_SUB:
        a = (res + src) & m;
        return f | sub_flags(a, src, res, sb, a < src);
    case CC_SBB:
        a = (res + src + cin) & m;
        return f | sub_flags(a, src, res, sb, cin ? a <= src : a < src);
    case CC_LOGIC:
        return f;
    case CC_INC:
        return f | (cin ? F_CF : 0) | (res == sb ? F_OF : 0) | ((res & 0xf) == 0 ? F_AF : 0);
    case CC_DEC:
        return f | (cin ? F_CF : 0) | (res == sb - 1 ? F_OF : 0) | ((res & 0xf) == 0xf ? F_AF : 0);
    case CC_SHL: {
        bool cf = (src & sb) != 0;
        return f | (cf ? F_CF : 0) | ((cf != ((res & sb) != 0)) ? F_OF : 0);
    }
    case CC_SHR:
        return f | ((src & 1) ? F_CF : 0) | ((cpu->cc_src2 & sb) ? F_OF : 0);
    case CC_SAR:
        return f | ((src & 1) ? F_CF : 0);
    case CC_MUL:
        /* ZF is undefined; Intel clears it (measured on the host). */
        return (f & ~(uint32_t)F_ZF) | (src ? F_CF | F_OF : 0);
    case CC_SHLD: {
        /* OF undefined for counts above 1; Intel uses the first step's. */
        uint64_t a = cpu->cc_src2 & m;
        return f | ((src & sb) ? F_CF : 0) | (((a ^ (a << 1)) & sb) ? F_OF : 0);
    }
    case CC_NEG:
        return f | (res ? F_CF : 0) | (res == sb ? F_OF : 0) | ((src ^ res) & F_AF);
    }
    return f;
}

unsigned cc_carry(const cpu_t *cpu)
{
    unsigned op = cpu->cc_op;
    unsigned bytes = 1u << (op & 3);
    uint64_t m = size_mask(bytes);
    uint64_t res = cpu->cc_dst & m, src = cpu->cc_src & m, cin = cpu->cc_src2 & 1;
    switch (op & ~3u) {
    case CC_EFLAGS:
        return cpu->rflags & F_CF;
    case CC_ADD:
        return res < src;
    case CC_ADC:
        return cin ? res <= src : res < src;
    case CC_SUB:
        return ((res + src) & m) < src;
    case CC_SBB: {
        uint64_t a = (res + src + cin) & m;
        return cin ? a <= src : a < src;
    }
    case CC_INC: case CC_DEC:
        return (unsigned)cin;
    case CC_LOGIC:
        return 0;
    case CC_SHL: case CC_SHLD:
        return (unsigned)(src >> (bytes * 8 - 1));
    case CC_SHR: case CC_SAR:
        return (unsigned)(src & 1);
    case CC_MUL:
        return src != 0;
    default:
        return (cc_compute(cpu) & F_CF) != 0;
    }
}

/* Conditions after SUB/CMP are answered from the operands directly, the
 * common case for Jcc; everything else goes through the full flags. */
static int cond_after_sub(const cpu_t *cpu, unsigned cond)
{
    unsigned bytes = 1u << (cpu->cc_op & 3);
    uint64_t m = size_mask(bytes);
    uint64_t res = cpu->cc_dst & m, src = cpu->cc_src & m;
    uint64_t a = (res + src) & m;
    switch (cond >> 1) {
    case 1: return a < src;
    case 2: return res == 0;
    case 3: return a <= src;
    case 4: return (res & sign_bit(bytes)) != 0;
    case 6: return sext(a, bytes) < sext(src, bytes);
    case 7: return sext(a, bytes) <= sext(src, bytes);
    default: return -1;
    }
}

static int cond_after_logic(const cpu_t *cpu, unsigned cond)
{
    unsigned bytes = 1u << (cpu->cc_op & 3);
    int64_t res = sext(cpu->cc_dst, bytes);
    switch (cond >> 1) {
    case 0: return 0;
    case 1: return 0;
    case 2: return res == 0;
    case 3: return res == 0;
    case 4: return res < 0;
    case 6: return res < 0;
    case 7: return res <= 0;
    default: return -1;
    }
}

/* ZF and SF come from the recorded result for every operation but MUL,
 * whose SF/ZF are undefined anyway. */
static int cond_from_result(const cpu_t *cpu, unsigned cond)
{
    unsigned bytes = 1u << (cpu->cc_op & 3);
    if ((cond >> 1) == 2)
        return (cpu->cc_dst & size_mask(bytes)) == 0;
    if ((cond >> 1) == 4)
        return (cpu->cc_dst & sign_bit(bytes)) != 0;
    return -1;
}

bool cc_cond(const cpu_t *cpu, unsigned cond)
{
    int r = -1;
    unsigned base = cpu->cc_op & ~3u;
    if (cpu->cc_op != CC_EFLAGS) {
        if (base == CC_SUB)
            r = cond_after_sub(cpu, cond);
        else if (base == CC_LOGIC)
            r = cond_after_logic(cpu, cond);
        else
            r = cond_from_result(cpu, cond);
    }
    if (r < 0) {
        uint32_t f = cc_compute(cpu);
        bool sf_ne_of = !!(f & F_SF) != !!(f & F_OF);
        switch (cond >> 1) {
        case 0: r = !!(f & F_OF); break;
        case 1: r = !!(f & F_CF); break;
        case 2: r = !!(f & F_ZF); break;
        case 3: r = !!(f & (F_CF | F_ZF)); break;
        case 4: r = !!(f & F_SF); break;
        case 5: r = !!(f & F_PF); break;
        case 6: r = sf_ne_of; break;
        default: r = sf_ne_of || (f & F_ZF); break;
        }
    }
    return (bool)(r ^ (int)(cond & 1));
}

uint64_t cpu_get_rflags(cpu_t *cpu)
{
    return (cpu->rflags & ~(uint64_t)F_ARITH) | cc_compute(cpu) | 2;
}

void cpu_set_rflags(cpu_t *cpu, uint64_t v)
{
    cpu->rflags = v | 2;
    cpu->cc_op = CC_EFLAGS;
}
