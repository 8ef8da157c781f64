/* CPU benchmark run as /init in the reference guest (tools/bench-cpu builds
 * it with gcc -m32 -ffreestanding -nostdlib and appends it to the initrd).
 * No libc: Linux i386 system calls through int 0x80.
 *
 * Loops whose instruction counts are known exactly (written in assembly),
 * timed with gettimeofday, and a sieve in C timed per round:
 *   reg    6 register instructions per iteration
 *   ldst   7 instructions per iteration, a load and a store among them
 *   crc32  bitwise CRC-32 of a 16 KiB buffer, branch-free: 52 instructions
 *          per byte (the result is printed and checked by the script)
 *   sieve  primes below 1,000,000 (C), milliseconds per round
 * Output lines: WIREBOX-BENCH <name> insns=<N> usec=<T> [value=<V>], then the
 * program reboots (the emulator runs with -no-reboot and exits). */

typedef unsigned int u32;

static int sys3(int nr, int a, int b, int c)
{
    int r;
    __asm__ volatile("int $0x80" : "=a"(r) : "a"(nr), "b"(a), "c"(b), "d"(c) : "memory");
    return r;
}
static int sys5(int nr, int a, int b, int c, int d, int e)
{
    int r;
    __asm__ volatile("int $0x80"
                     : "=a"(r)
                     : "a"(nr), "b"(a), "c"(b), "d"(c), "S"(d), "D"(e)
                     : "memory");
    return r;
}

enum { NR_write = 4, NR_open = 5, NR_gettimeofday = 78, NR_reboot = 88, NR_mount = 21 };

static int out = 1;

static u32 slen(const char *s)
{
    u32 n = 0;
    while (s[n])
        n++;
    return n;
}
static void puts_(const char *s)
{
    sys3(NR_write, out, (int)s, (int)slen(s));
}
static void putu(u32 v)
{
    char b[12];
    int i = 11;
    b[i] = 0;
    do {
        b[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    puts_(b + i);
}
static void puthex(u32 v)
{
    char b[9];
    for (int i = 7; i >= 0; i--, v >>= 4)
        b[i] = "0123456789abcdef"[v & 15];
    b[8] = 0;
    puts_(b);
}

static u32 usec_now(void)
{
    u32 tv[2];
    sys3(NR_gettimeofday, (int)tv, 0, 0);
    return tv[0] * 1000000u + tv[1];
}

static void report(const char *name, u32 insns, u32 usec, int has_value, u32 value)
{
    puts_("WIREBOX-BENCH ");
    puts_(name);
    puts_(" insns=");
    putu(insns);
    puts_(" usec=");
    putu(usec);
    if (has_value) {
        puts_(" value=");
        puthex(value);
    }
    puts_("\n");
}

/* 6 instructions per iteration: add, xor, lea, sub, dec, jnz */
static u32 bench_reg(u32 n)
{
    u32 a = 1, b = 3, c = 5;
    __asm__ volatile("1:\n\t"
                     "add %%ebx, %%eax\n\t"
                     "xor %%eax, %%ecx\n\t"
                     "lea 1(%%ecx,%%ebx,2), %%ebx\n\t"
                     "sub %%ecx, %%eax\n\t"
                     "dec %%edx\n\t"
                     "jnz 1b"
                     : "+a"(a), "+b"(b), "+c"(c), "+d"(n));
    return a ^ b ^ c;
}

static u32 buf[4096 + 1];

/* 7 instructions per iteration: load, add, store, add, and, dec, jnz over a
 * 16 KiB buffer (the index wraps at 4096). */
static u32 bench_ldst(u32 n)
{
    u32 i = 0, k = 7;
    __asm__ volatile("1:\n\t"
                     "mov (%%esi,%%edi,4), %%eax\n\t"
                     "add %%ecx, %%eax\n\t"
                     "mov %%eax, 4(%%esi,%%edi,4)\n\t"
                     "add $1, %%edi\n\t"
                     "and $4095, %%edi\n\t"
                     "dec %%edx\n\t"
                     "jnz 1b"
                     : "+D"(i), "+d"(n)
                     : "S"(buf), "c"(k)
                     : "eax", "memory");
    return buf[5];
}

/* CRC-32 (reflected, 0xEDB88320) of len bytes, 8 x 6 instructions per bit
 * round plus xor, inc, dec, jnz per byte: 52 per byte. */
static u32 bench_crc(const unsigned char *p, u32 len, u32 crc)
{
    __asm__ volatile("1:\n\t"
                     "xorb (%%esi), %%al\n\t"
                     ".rept 8\n\t"
                     "mov %%eax, %%edx\n\t"
                     "and $1, %%edx\n\t"
                     "neg %%edx\n\t"
                     "and $0xEDB88320, %%edx\n\t"
                     "shr $1, %%eax\n\t"
                     "xor %%edx, %%eax\n\t"
                     ".endr\n\t"
                     "inc %%esi\n\t"
                     "dec %%ecx\n\t"
                     "jnz 1b"
                     : "+a"(crc), "+S"(p), "+c"(len)
                     :
                     : "edx", "memory");
    return crc;
}

static unsigned char sieve_buf[1000000];

static u32 sieve(void)
{
    u32 n = sizeof sieve_buf, count = 0;
    for (u32 i = 0; i < n; i++)
        sieve_buf[i] = 1;
    for (u32 i = 2; i * i < n; i++)
        if (sieve_buf[i])
            for (u32 j = i * i; j < n; j += i)
                sieve_buf[j] = 0;
    for (u32 i = 2; i < n; i++)
        count += sieve_buf[i];
    return count;
}

void _start(void)
{
    sys5(NR_mount, (int)"devtmpfs", (int)"/dev", (int)"devtmpfs", 0, 0);
    int fd = sys3(NR_open, (int)"/dev/console", 2, 0);
    if (fd >= 0)
        out = fd;
    puts_("WIREBOX-BENCH start\n");

    u32 t0, t1, v;
    u32 n = 100000000u;
    t0 = usec_now();
    v = bench_reg(n);
    t1 = usec_now();
    report("reg", 6 * n, t1 - t0, 1, v);

    n = 80000000u;
    t0 = usec_now();
    v = bench_ldst(n);
    t1 = usec_now();
    report("ldst", 7 * n, t1 - t0, 0, v);

    static unsigned char data[16384];
    for (u32 i = 0; i < sizeof data; i++)
        data[i] = (unsigned char)(i * 7 + 3);
    u32 rounds = 400, crc = 0xFFFFFFFFu;
    t0 = usec_now();
    for (u32 r = 0; r < rounds; r++)
        crc = bench_crc(data, sizeof data, crc);
    t1 = usec_now();
    report("crc32", 52u * (u32)sizeof data * rounds, t1 - t0, 1, ~crc);

    rounds = 20;
    t0 = usec_now();
    for (u32 r = 0; r < rounds; r++)
        v = sieve();
    t1 = usec_now();
    puts_("WIREBOX-BENCH sieve rounds=");
    putu(rounds);
    puts_(" usec=");
    putu(t1 - t0);
    puts_(" value=");
    putu(v);
    puts_("\n");

    sys5(NR_reboot, (int)0xfee1dead, 672274793, 0x01234567, 0, 0); /* LINUX_REBOOT_CMD_RESTART */
    for (;;)
        ;
}
