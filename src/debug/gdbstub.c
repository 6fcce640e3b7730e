/* The GDB remote serial protocol on a localhost TCP port (GDB manual,
 * "Remote Protocol"): registers of every vCPU as threads, memory by guest
 * linear address through the guest's page tables, software/hardware
 * breakpoints, single-step, continue and Ctrl-C. The machine asks
 * gdb_before_insn whether it may run the next instruction. */
#define _GNU_SOURCE     /* accept4 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "xenemu/gdbstub.h"
#include "xenemu/mmu.h"

#define PACKET_MAX 8192

static const char hexd[] = "0123456789abcdef";

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* ---- transport ---- */

static int send_raw(gdb_t *g, const char *s, size_t n)
{
    while (n) {
        ssize_t w = send(g->fd, s, n, MSG_NOSIGNAL);
        if (w <= 0)
            return -1;
        s += w;
        n -= (size_t)w;
    }
    return 0;
}

static int send_packet(gdb_t *g, const char *body)
{
    size_t n = strlen(body);
    char *buf = malloc(n + 5);
    if (!buf)
        return -1;
    uint8_t sum = 0;
    for (size_t i = 0; i < n; i++)
        sum = (uint8_t)(sum + (uint8_t)body[i]);
    buf[0] = '$';
    memcpy(buf + 1, body, n);
    buf[n + 1] = '#';
    buf[n + 2] = hexd[sum >> 4];
    buf[n + 3] = hexd[sum & 15];
    int rc = send_raw(g, buf, n + 4);
    free(buf);
    return rc;
}

static int read_byte(gdb_t *g, int timeout_ms)
{
    struct pollfd p = { .fd = g->fd, .events = POLLIN };
    int r = poll(&p, 1, timeout_ms);
    if (r <= 0)
        return r == 0 ? -2 : -1;
    unsigned char c;
    if (recv(g->fd, &c, 1, 0) != 1)
        return -1;
    return c;
}

/* One packet into buf (NUL-terminated); -1 on a closed connection, -3 for
 * a Ctrl-C seen outside a packet. Acknowledges with '+'. */
static int recv_packet(gdb_t *g, char *buf, size_t size)
{
    for (;;) {
        int c;
        do {
            c = read_byte(g, -1);
            if (c == 0x03)
                return -3;
        } while (c >= 0 && c != '$');
        if (c < 0)
            return -1;
        size_t n = 0;
        uint8_t sum = 0;
        while ((c = read_byte(g, -1)) >= 0 && c != '#') {
            if (n + 1 < size)
                buf[n++] = (char)c;
            sum = (uint8_t)(sum + c);
        }
        int h = read_byte(g, -1), l = read_byte(g, -1);
        if (c < 0 || h < 0 || l < 0)
            return -1;
        buf[n] = 0;
        if (hexval(h) * 16 + hexval(l) == sum) {
            send_raw(g, "+", 1);
            return (int)n;
        }
        send_raw(g, "-", 1);
    }
}

/* ---- registers: GDB's amd64 layout (gdb/features/i386/64bit-core.xml,
 * 64bit-sse.xml; segment bases from 64bit-segments.xml) ---- */

static const uint8_t gpr_order[16] = { R_RAX, R_RBX, R_RCX, R_RDX, R_RSI, R_RDI, R_RBP, R_RSP,
                                       R_R8, R_R9, R_R10, R_R11, R_R12, R_R13, R_R14, R_R15 };

static char *put_hex(char *p, const void *v, size_t n)
{
    const uint8_t *b = v;
    for (size_t i = 0; i < n; i++) {
        *p++ = hexd[b[i] >> 4];
        *p++ = hexd[b[i] & 15];
    }
    return p;
}

static void regs_to_hex(cpu_t *cpu, char *out)
{
    char *p = out;
    for (int i = 0; i < 16; i++)
        p = put_hex(p, &cpu->r[gpr_order[i]], 8);
    p = put_hex(p, &cpu->r[R_RIP], 8);
    uint32_t fl = (uint32_t)cpu_get_rflags(cpu);
    p = put_hex(p, &fl, 4);
    static const int segs[6] = { SEG_CS, SEG_SS, SEG_DS, SEG_ES, SEG_FS, SEG_GS };
    for (int i = 0; i < 6; i++) {
        uint32_t sel = cpu->seg[segs[i]].sel;
        p = put_hex(p, &sel, 4);
    }
    unsigned top = (cpu->fpu.fsw >> 11) & 7;
    for (int i = 0; i < 8; i++) {
        const x87reg_t *r = &cpu->fpu.st[(top + i) & 7];
        p = put_hex(p, &r->sig, 8);
        p = put_hex(p, &r->se, 2);
    }
    uint32_t fx[8] = { cpu->fpu.fcw, cpu->fpu.fsw, cpu->fpu.ftw, cpu->fpu.fcs, (uint32_t)cpu->fpu.fip,
                       cpu->fpu.fds, (uint32_t)cpu->fpu.fdp, cpu->fpu.fop };
    for (int i = 0; i < 8; i++)
        p = put_hex(p, &fx[i], 4);
    for (int i = 0; i < 16; i++)
        p = put_hex(p, &cpu->xmm[i], 16);
    p = put_hex(p, &cpu->mxcsr, 4);
    p = put_hex(p, &cpu->seg[SEG_FS].base, 8);
    p = put_hex(p, &cpu->seg[SEG_GS].base, 8);
    *p = 0;
}

/* GDB register number n: a pointer to its bytes and its size. */
static void *reg_ref(cpu_t *cpu, unsigned n, size_t *size, uint32_t *tmp)
{
    if (n < 16) {
        *size = 8;
        return &cpu->r[gpr_order[n]];
    }
    if (n == 16) {
        *size = 8;
        return &cpu->r[R_RIP];
    }
    if (n == 17) {
        *tmp = (uint32_t)cpu_get_rflags(cpu);
        *size = 4;
        return tmp;
    }
    if (n >= 40 && n < 56) {
        *size = 16;
        return &cpu->xmm[n - 40];
    }
    if (n == 56) {
        *size = 4;
        return &cpu->mxcsr;
    }
    if (n == 57 || n == 58) {
        *size = 8;
        return &cpu->seg[n == 57 ? SEG_FS : SEG_GS].base;
    }
    return NULL;
}

static void write_reg(cpu_t *cpu, unsigned n, const char *hex)
{
    size_t size;
    uint32_t tmp;
    uint8_t *dst = reg_ref(cpu, n, &size, &tmp);
    if (!dst || strlen(hex) < 2 * size)
        return;
    for (size_t i = 0; i < size; i++)
        dst[i] = (uint8_t)(hexval(hex[2 * i]) * 16 + hexval(hex[2 * i + 1]));
    if (n == 17)
        cpu_set_rflags(cpu, (cpu->rflags & ~0xffffffffull) | tmp);
    if (n == 57 || n == 58)
        cpu_update_mode(cpu);
}

/* ---- breakpoints ---- */

static bool bp_add(gdb_t *g, uint64_t addr)
{
    for (int i = 0; i < g->nbp; i++)
        if (g->bp[i] == addr)
            return true;
    if (g->nbp == GDB_MAX_BREAKPOINTS)
        return false;
    g->bp[g->nbp++] = addr;
    return true;
}

static void bp_remove(gdb_t *g, uint64_t addr)
{
    for (int i = 0; i < g->nbp; i++)
        if (g->bp[i] == addr) {
            g->bp[i] = g->bp[--g->nbp];
            return;
        }
}

static bool bp_hit(const gdb_t *g, uint64_t rip)
{
    for (int i = 0; i < g->nbp; i++)
        if (g->bp[i] == rip)
            return true;
    return false;
}

/* Write watchpoints compare the watched bytes before every instruction
 * (the machine runs one at a time while any is set): a change stops the
 * guest right after the instruction that made it. */
static bool wp_add(gdb_t *g, cpu_t *cpu, uint64_t addr, unsigned len)
{
    uint64_t v = 0;
    if (g->nwp == GDB_MAX_WATCHPOINTS || len == 0 || len > 8 || mmu_read_linear(cpu, addr, &v, len) < 0)
        return false;
    g->wp[g->nwp].addr = addr;
    g->wp[g->nwp].len = len;
    g->wp[g->nwp].old = v;
    g->nwp++;
    return true;
}

static void wp_remove(gdb_t *g, uint64_t addr, unsigned len)
{
    for (int i = 0; i < g->nwp; i++)
        if (g->wp[i].addr == addr && g->wp[i].len == len) {
            g->wp[i] = g->wp[--g->nwp];
            return;
        }
}

/* The first watched location that changed, or -1. */
static int wp_changed(gdb_t *g, cpu_t *cpu)
{
    for (int i = 0; i < g->nwp; i++) {
        uint64_t v = 0;
        if (mmu_read_linear(cpu, g->wp[i].addr, &v, g->wp[i].len) == 0 && v != g->wp[i].old) {
            g->wp[i].old = v;
            return i;
        }
    }
    return -1;
}

/* ---- commands ---- */

static cpu_t *thread_cpu(gdb_t *g, int tid)
{
    if (tid <= 0 || tid > g->m->ncpu)
        return g->m->cpu[g->cur];
    return g->m->cpu[tid - 1];
}

static void stop_reply(gdb_t *g, char *out)
{
    snprintf(out, 64, "T05thread:%x;", g->cur + 1);
}

static void read_memory(gdb_t *g, const char *args, char *out)
{
    uint64_t addr, len;
    if (sscanf(args, "%" SCNx64 ",%" SCNx64, &addr, &len) != 2 || len > (PACKET_MAX - 16) / 2) {
        strcpy(out, "E01");
        return;
    }
    uint8_t buf[PACKET_MAX / 2];
    if (mmu_read_linear(g->m->cpu[g->cur], addr, buf, len) < 0) {
        strcpy(out, "E14");
        return;
    }
    *put_hex(out, buf, len) = 0;
}

static void write_memory(gdb_t *g, const char *args, char *out)
{
    uint64_t addr, len;
    const char *colon = strchr(args, ':');
    if (!colon || sscanf(args, "%" SCNx64 ",%" SCNx64, &addr, &len) != 2 || len > PACKET_MAX / 2 ||
        strlen(colon + 1) < 2 * len) {
        strcpy(out, "E01");
        return;
    }
    uint8_t buf[PACKET_MAX / 2];
    for (uint64_t i = 0; i < len; i++)
        buf[i] = (uint8_t)(hexval(colon[1 + 2 * i]) * 16 + hexval(colon[2 + 2 * i]));
    strcpy(out, mmu_write_linear(g->m->cpu[g->cur], addr, buf, len) < 0 ? "E14" : "OK");
}

static void thread_list(gdb_t *g, char *out)
{
    char *p = out;
    *p++ = 'm';
    for (int i = 0; i < g->m->ncpu; i++)
        p += sprintf(p, "%s%x", i ? "," : "", i + 1);
    *p = 0;
}

/* Answer one packet. Returns GDB_RUN_CONT/STEP when the guest should run,
 * else 0 (stay stopped), or -1 when gdb detached or killed. */
static int command(gdb_t *g, char *pkt, char *out)
{
    out[0] = 0;
    cpu_t *cpu = g->m->cpu[g->cur];
    switch (pkt[0]) {
    case '?': stop_reply(g, out); break;
    case 'g': regs_to_hex(cpu, out); break;
    case 'p': {
        unsigned n = (unsigned)strtoul(pkt + 1, NULL, 16);
        size_t size;
        uint32_t tmp;
        void *r = reg_ref(cpu, n, &size, &tmp);
        if (r)
            *put_hex(out, r, size) = 0;
        else
            strcpy(out, "xxxxxxxxxxxxxxxx");
        break;
    }
    case 'P': {
        char *eq = strchr(pkt, '=');
        if (eq)
            write_reg(cpu, (unsigned)strtoul(pkt + 1, NULL, 16), eq + 1);
        strcpy(out, "OK");
        break;
    }
    case 'm': read_memory(g, pkt + 1, out); break;
    case 'M': write_memory(g, pkt + 1, out); break;
    case 'H': {
        int tid = (int)strtol(pkt + 2, NULL, 16);
        if (tid > 0 && tid <= g->m->ncpu)
            g->cur = tid - 1;
        strcpy(out, "OK");
        break;
    }
    case 'T': {
        int tid = (int)strtol(pkt + 1, NULL, 16);
        strcpy(out, tid > 0 && tid <= g->m->ncpu ? "OK" : "E01");
        break;
    }
    case 'Z': case 'z': {
        unsigned type, kind = 0;
        uint64_t addr;
        if (sscanf(pkt + 1, "%u,%" SCNx64 ",%x", &type, &addr, &kind) < 2 || type > 2)
            break;      /* read/access watchpoints: not supported (empty reply) */
        if (type == 2) {
            if (pkt[0] == 'Z')
                strcpy(out, wp_add(g, cpu, addr, kind) ? "OK" : "E28");
            else {
                wp_remove(g, addr, kind);
                strcpy(out, "OK");
            }
        } else if (pkt[0] == 'Z')
            strcpy(out, bp_add(g, addr) ? "OK" : "E28");
        else {
            bp_remove(g, addr);
            strcpy(out, "OK");
        }
        break;
    }
    case 'c': return GDB_RUN_CONT;
    case 's': return GDB_RUN_STEP;
    case 'v':
        if (!strncmp(pkt, "vCont?", 6)) {
            strcpy(out, "vCont;c;s");
        } else if (!strncmp(pkt, "vCont;s", 7)) {
            const char *t = strchr(pkt + 7, ':');
            if (t)
                g->cur = (int)thread_cpu(g, (int)strtol(t + 1, NULL, 16))->id;
            return GDB_RUN_STEP;
        } else if (!strncmp(pkt, "vCont;c", 7)) {
            return GDB_RUN_CONT;
        } else if (!strncmp(pkt, "vKill", 5)) {
            return -1;
        }
        break;
    case 'q':
        if (!strncmp(pkt, "qSupported", 10))
            snprintf(out, 128, "PacketSize=%x;vContSupported+", PACKET_MAX);
        else if (!strcmp(pkt, "qfThreadInfo"))
            thread_list(g, out);
        else if (!strcmp(pkt, "qsThreadInfo"))
            strcpy(out, "l");
        else if (!strcmp(pkt, "qC"))
            snprintf(out, 32, "QC%x", g->cur + 1);
        else if (!strcmp(pkt, "qAttached"))
            strcpy(out, "1");
        break;
    case 'D': send_packet(g, "OK"); return -1;
    case 'k': return -1;
    default: break;
    }
    return 0;
}

/* Serve packets until gdb resumes the guest. */
static int serve(gdb_t *g)
{
    char *pkt = malloc(PACKET_MAX), *out = malloc(2 * PACKET_MAX);
    int rc = -1;
    while (pkt && out) {
        int n = recv_packet(g, pkt, PACKET_MAX);
        if (n == -3)
            continue;               /* Ctrl-C while already stopped */
        if (n < 0)
            break;
        int r = command(g, pkt, out);
        if (r != 0) {
            rc = r;
            break;
        }
        if (send_packet(g, out) < 0)
            break;
    }
    free(pkt);
    free(out);
    return rc;
}

int gdb_listen(gdb_t *g, machine_t *m, int port, char *err, size_t errlen)
{
    memset(g, 0, sizeof *g);
    g->m = m;
    g->fd = -1;
    g->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (g->lfd < 0) {
        snprintf(err, errlen, "cannot create the gdb socket: %s", strerror(errno));
        return -1;
    }
    int one = 1;
    setsockopt(g->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    if (bind(g->lfd, (struct sockaddr *)&a, sizeof a) < 0 || listen(g->lfd, 1) < 0) {
        snprintf(err, errlen, "cannot listen for gdb on localhost:%d: %s", port, strerror(errno));
        close(g->lfd);
        return -1;
    }
    return 0;
}

/* Wait for gdb to connect and stop the guest for it. */
static int accept_gdb(gdb_t *g)
{
    fprintf(stderr, "xenemu: waiting for gdb on localhost (target remote :<port>)\n");
    g->fd = accept4(g->lfd, NULL, NULL, SOCK_CLOEXEC);
    if (g->fd < 0)
        return -1;
    int one = 1;
    setsockopt(g->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return 0;
}

int gdb_start(gdb_t *g, bool wait)
{
    if (!wait)
        return 0;
    if (accept_gdb(g) < 0)
        return -1;
    g->stopped = g->quiet = true;
    return 0;
}

/* A connection arriving while the guest runs stops it at once, as does a
 * Ctrl-C from a connected gdb. */
void gdb_poll(gdb_t *g)
{
    struct pollfd p = { .fd = g->fd >= 0 ? g->fd : g->lfd, .events = POLLIN };
    if (poll(&p, 1, 0) != 1)
        return;
    if (g->fd < 0) {
        if (accept_gdb(g) == 0)
            g->stopped = g->quiet = true;
        return;
    }
    int c = read_byte(g, 0);
    if (c == 0x03)
        g->stopped = true;
}

int gdb_before_insn(gdb_t *g, cpu_t *cpu)
{
    if (g->fd < 0)
        return GDB_RUN_CONT;
    uint64_t rip = cpu->r[R_RIP];
    int wp = g->nwp ? wp_changed(g, cpu) : -1;
    bool stop = g->stopped || g->stepping || bp_hit(g, rip) || wp >= 0;
    if (!stop && ++g->polls % 4096 == 0) {
        struct pollfd p = { .fd = g->fd, .events = POLLIN };
        if (poll(&p, 1, 0) == 1) {
            int c = read_byte(g, 0);
            if (c == 0x03)
                stop = true;
            else if (c < 0)
                return GDB_DETACHED;
        }
    }
    if (!stop)
        return GDB_RUN_CONT;
    g->cur = cpu->id;
    if (!g->quiet) {
        char reply[64];
        stop_reply(g, reply);
        if (wp >= 0)
            snprintf(reply, sizeof reply, "T05watch:%" PRIx64 ";thread:%x;", g->wp[wp].addr, g->cur + 1);
        if (send_packet(g, reply) < 0)
            return GDB_DETACHED;
    }
    g->stopped = g->quiet = false;
    g->stepping = false;
    int r = serve(g);
    if (r < 0)
        return GDB_DETACHED;
    g->stepping = r == GDB_RUN_STEP;
    return r;
}

bool gdb_active(const gdb_t *g)
{
    return g->fd >= 0 && (g->nbp > 0 || g->nwp > 0 || g->stepping || g->stopped);
}

void gdb_exited(gdb_t *g, int status)
{
    if (g->fd < 0)
        return;
    char buf[16];
    snprintf(buf, sizeof buf, "W%02x", status & 0xff);
    send_packet(g, buf);
}

void gdb_close(gdb_t *g)
{
    if (g->fd >= 0)
        close(g->fd);
    if (g->lfd >= 0)
        close(g->lfd);
    g->fd = g->lfd = -1;
}
