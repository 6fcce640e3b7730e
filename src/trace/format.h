/* The binary trace format (.xtr), version 1. All integers little-endian.
 *
 *   header (32 bytes, uncompressed):
 *     0  magic "XENEMUTR"       8  u16 version      10 u8 guest model (TM_*)
 *     11 u8 0                   12 u16 vCPU count   14 u16 0
 *     16 u64 virtual TSC Hz     24 u64 virtual instructions per second
 *   then one zlib stream (RFC 1950/1951 deflate) of records:
 *     0  u64 time   8 u8 kind   9 u8 vcpu   10 u8 model   11 u8 nv
 *     12 u16 ndata  14 u16 0    16 u32 regmask  20 u64 addr
 *     28 nv x u64 values, popcount(regmask) x u64 registers, ndata bytes
 */
#ifndef XENEMU_TRACE_FORMAT_H
#define XENEMU_TRACE_FORMAT_H

#include <stdint.h>
#include <string.h>

#define XTR_MAGIC "XENEMUTR"
#define XTR_VERSION 1
#define XTR_HEADER_SIZE 32
#define XTR_REC_HEAD 28
#define XTR_REC_MAX (XTR_REC_HEAD + 8 * (8 + 17) + 256)

static inline void xtr_put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static inline void xtr_put32(uint8_t *p, uint32_t v)
{
    xtr_put16(p, (uint16_t)v);
    xtr_put16(p + 2, (uint16_t)(v >> 16));
}

static inline void xtr_put64(uint8_t *p, uint64_t v)
{
    xtr_put32(p, (uint32_t)v);
    xtr_put32(p + 4, (uint32_t)(v >> 32));
}

static inline uint16_t xtr_get16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t xtr_get32(const uint8_t *p)
{
    return xtr_get16(p) | (uint32_t)xtr_get16(p + 2) << 16;
}

static inline uint64_t xtr_get64(const uint8_t *p)
{
    return xtr_get32(p) | (uint64_t)xtr_get32(p + 4) << 32;
}

#endif
