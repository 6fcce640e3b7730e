/* A 16550A UART that transmits at once and never receives yet: enough for
 * kernels' early serial consoles (register map per the 16550A datasheet). */
#include <string.h>

#include "xenemu/devices.h"

enum { RBR_THR = 0, IER = 1, IIR_FCR = 2, LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7 };
enum { LCR_DLAB = 0x80, LSR_THRE = 0x20, LSR_TEMT = 0x40, IIR_NONE = 0x01, IIR_FIFO = 0xc0 };

static uint32_t uart_read(void *opaque, uint16_t port, unsigned size)
{
    uart16550_t *u = opaque;
    (void)size;
    bool dlab = u->lcr & LCR_DLAB;
    switch (port & 7) {
    case RBR_THR: return dlab ? u->dll : 0;
    case IER: return dlab ? u->dlm : u->ier;
    case IIR_FCR: return IIR_FIFO | IIR_NONE;
    case LCR: return u->lcr;
    case MCR: return u->mcr;
    case LSR: return LSR_THRE | LSR_TEMT;
    case MSR: return 0xb0;            /* CTS, DSR, DCD asserted */
    default: return u->scr;
    }
}

static void uart_write(void *opaque, uint16_t port, unsigned size, uint32_t value)
{
    uart16550_t *u = opaque;
    uint8_t v = (uint8_t)value;
    (void)size;
    bool dlab = u->lcr & LCR_DLAB;
    switch (port & 7) {
    case RBR_THR:
        if (dlab)
            u->dll = v;
        else
            conout_write(u->out, &v, 1);
        break;
    case IER:
        if (dlab)
            u->dlm = v;
        else
            u->ier = v & 0x0f;
        break;
    case LCR: u->lcr = v; break;
    case MCR: u->mcr = v & 0x1f; break;
    case SCR: u->scr = v; break;
    default: break;
    }
}

static const io_port_ops_t uart_ops = { uart_read, uart_write };

int uart16550_init(uart16550_t *u, iobus_t *bus, uint16_t base, conout_t *out)
{
    memset(u, 0, sizeof *u);
    u->out = out;
    return iobus_add(bus, base, (uint16_t)(base + 7), &uart_ops, u);
}
