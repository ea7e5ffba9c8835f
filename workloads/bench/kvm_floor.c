/* kvm_floor: the least a program can do with KVM, as the floor no VMM can beat.
 *
 *   kvm_floor                      open /dev/kvm, create a VM with one vCPU and one small memory
 *                                  slot, run three real-mode instructions to HLT, exit 0.
 *   kvm_floor exits N [--mmio] [--real-mode]
 *                                  run a guest loop of N exits (port I/O by default: the same
 *                                  `out %al,%dx; dec %ecx; jnz` as workloads/bench/exit_loop.S,
 *                                  in 64-bit long mode at ring 0 like it; --mmio writes a byte to
 *                                  an address no memory slot covers instead; --real-mode runs
 *                                  `out %al,$0x80; dec; jnz` in real mode). Each exit is answered
 *                                  by doing nothing and calling KVM_RUN again. Prints
 *                                  "kvm_floor exits iterations=N cycles=C tsc_khz=K host_ns=H mode=M"
 *                                  where C is the guest's own RDTSC difference around the loop
 *                                  (guest-side) and H the host's CLOCK_MONOTONIC around the
 *                                  KVM_RUN calls of the loop (host-side, includes the entry and
 *                                  the final HLT exit).
 *
 * No irqchip, no PIT, no CPUID set-up, no threads, no devices: any VMM does at least this.
 * Statically linked, so no dynamic loader runs either. The KVM API: Documentation/virt/kvm/api.rst. */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

/* Guest-physical layout of the one memory slot (1 MiB at 0). */
#define MEMORY_SIZE 0x100000
#define CODE_ADDRESS 0x1000
#define PML4_ADDRESS 0x8000
#define PDPT_ADDRESS 0x9000
#define PD_ADDRESS 0xa000
#define PD_HOLE_ADDRESS 0xb000 /* maps the 2 MiB page of MMIO_ADDRESS */
#define STACK_TOP 0x7000
/* Mapped by the guest's page tables but by no memory slot: an MMIO exit (mmio_loop.S's address). */
#define MMIO_ADDRESS 0xd0000000u
#define EXIT_LOOP_PORT 0x3ff /* exit_loop.S's port: COM1's scratch register */
#define TSS_ADDRESS 0xfffbd000

/* The guest code, assembled by the host compiler and copied into guest memory. Each piece is
 * position-independent; the host passes its inputs in registers. */
__asm__(".pushsection .rodata.guest, \"a\"\n"
        /* Three real-mode instructions to HLT. */
        ".code16\n"
        "guest_boot: xor %ax, %ax\n"
        "    inc %ax\n"
        "    hlt\n"
        "guest_boot_end:\n"
        /* Real mode: ECX = iterations. Start TSC in EDI:ESI, end in EDX:EAX. */
        "guest_real_loop: rdtsc\n"
        "    mov %eax, %esi\n"
        "    mov %edx, %edi\n"
        "1:  out %al, $0x80\n"
        "    dec %ecx\n"
        "    jnz 1b\n"
        "    rdtsc\n"
        "    hlt\n"
        "guest_real_loop_end:\n"
        /* Long mode, ring 0: ECX = iterations, DX = port. R13 = cycles. (exit_loop.S's loop.) */
        ".code64\n"
        "guest_port_loop: mov %rdx, %rbx\n"
        "    rdtsc\n"
        "    shl $32, %rdx\n"
        "    or %rax, %rdx\n"
        "    mov %rdx, %r12\n"
        "    mov %rbx, %rdx\n"
        "2:  out %al, %dx\n"
        "    dec %ecx\n"
        "    jnz 2b\n"
        "    rdtsc\n"
        "    shl $32, %rdx\n"
        "    or %rax, %rdx\n"
        "    sub %r12, %rdx\n"
        "    mov %rdx, %r13\n"
        "    hlt\n"
        "guest_port_loop_end:\n"
        /* Long mode, ring 0: ECX = iterations, RDI = MMIO address. R13 = cycles. */
        "guest_mmio_loop: rdtsc\n"
        "    shl $32, %rdx\n"
        "    or %rax, %rdx\n"
        "    mov %rdx, %r12\n"
        "3:  movb %al, (%rdi)\n"
        "    dec %ecx\n"
        "    jnz 3b\n"
        "    rdtsc\n"
        "    shl $32, %rdx\n"
        "    or %rax, %rdx\n"
        "    sub %r12, %rdx\n"
        "    mov %rdx, %r13\n"
        "    hlt\n"
        "guest_mmio_loop_end:\n"
        ".popsection\n");
extern const unsigned char guest_boot[], guest_boot_end[], guest_real_loop[], guest_real_loop_end[],
    guest_port_loop[], guest_port_loop_end[], guest_mmio_loop[], guest_mmio_loop_end[];

enum mode { MODE_BOOT, MODE_REAL_PORT, MODE_LONG_PORT, MODE_LONG_MMIO };

struct machine {
    int kvm, vm, vcpu;
    uint8_t *memory;
    struct kvm_run *run;
};

static void die(const char *what) {
    fprintf(stderr, "kvm_floor: %s: %s\n", what, strerror(errno));
    exit(1);
}

static int checked_ioctl(int fd, unsigned long request, unsigned long argument, const char *name) {
    int result = ioctl(fd, request, argument);
    if (result < 0) die(name);
    return result;
}
#define IOCTL(fd, request, argument) checked_ioctl(fd, request, (unsigned long)(argument), #request)

static struct machine create_machine(void) {
    struct machine m;
    m.kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (m.kvm < 0) die("open /dev/kvm");
    m.vm = IOCTL(m.kvm, KVM_CREATE_VM, 0);
    /* Intel VT-x without unrestricted guest runs real mode through a TSS KVM keeps here. */
    IOCTL(m.vm, KVM_SET_TSS_ADDR, TSS_ADDRESS);
    m.memory = mmap(NULL, MEMORY_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m.memory == MAP_FAILED) die("mmap guest memory");
    struct kvm_userspace_memory_region region = {
        .slot = 0, .guest_phys_addr = 0, .memory_size = MEMORY_SIZE, .userspace_addr = (uint64_t)m.memory};
    IOCTL(m.vm, KVM_SET_USER_MEMORY_REGION, &region);
    m.vcpu = IOCTL(m.vm, KVM_CREATE_VCPU, 0);
    int run_size = IOCTL(m.kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
    m.run = mmap(NULL, (size_t)run_size, PROT_READ | PROT_WRITE, MAP_SHARED, m.vcpu, 0);
    if (m.run == MAP_FAILED) die("mmap kvm_run");
    return m;
}

/* Real mode at CODE_ADDRESS: CS base 0. */
static void enter_real_mode(struct machine *m) {
    struct kvm_sregs sregs;
    IOCTL(m->vcpu, KVM_GET_SREGS, &sregs);
    sregs.cs.base = 0;
    sregs.cs.selector = 0;
    IOCTL(m->vcpu, KVM_SET_SREGS, &sregs);
}

/* 64-bit long mode at ring 0 with the first 2 MiB and MMIO_ADDRESS's 2 MiB identity-mapped by
 * large pages (Intel SDM vol. 3A, 4.5): the state glassvm's direct boot leaves, minus the GDT in
 * memory and the rest of the 4 GiB identity map. */
static void enter_long_mode(struct machine *m) {
    uint64_t *pml4 = (uint64_t *)(m->memory + PML4_ADDRESS);
    uint64_t *pdpt = (uint64_t *)(m->memory + PDPT_ADDRESS);
    uint64_t *pd = (uint64_t *)(m->memory + PD_ADDRESS);
    pml4[0] = PDPT_ADDRESS | 0x3; /* present, writable */
    pdpt[0] = PD_ADDRESS | 0x3;
    pd[0] = 0x83; /* present, writable, 2 MiB page at 0 */
    uint64_t *pd_hole = (uint64_t *)(m->memory + PD_HOLE_ADDRESS);
    pdpt[MMIO_ADDRESS >> 30] = PD_HOLE_ADDRESS | 0x3;
    pd_hole[(MMIO_ADDRESS >> 21) & 511] = (MMIO_ADDRESS & ~0x1fffffu) | 0x83;

    struct kvm_sregs sregs;
    IOCTL(m->vcpu, KVM_GET_SREGS, &sregs);
    sregs.cr3 = PML4_ADDRESS;
    sregs.cr4 = 1u << 5;                            /* PAE */
    sregs.cr0 = 1u | (1u << 4) | (1u << 5) | (1u << 31); /* PE, ET, NE, PG */
    sregs.efer = (1u << 8) | (1u << 10);            /* LME, LMA */
    struct kvm_segment code = {.base = 0, .limit = 0xffffffff, .selector = 0x8, .type = 11, .present = 1,
                               .dpl = 0, .db = 0, .s = 1, .l = 1, .g = 1};
    struct kvm_segment data = code;
    data.type = 3;
    data.l = 0;
    data.selector = 0x10;
    sregs.cs = code;
    sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = data;
    IOCTL(m->vcpu, KVM_SET_SREGS, &sregs);
}

static void load_code(struct machine *m, const unsigned char *start, const unsigned char *end) {
    memcpy(m->memory + CODE_ADDRESS, start, (size_t)(end - start));
}

static void set_registers(struct machine *m, uint64_t rcx, uint64_t rdx, uint64_t rdi) {
    struct kvm_regs regs = {0};
    regs.rip = CODE_ADDRESS;
    regs.rflags = 0x2;
    regs.rsp = STACK_TOP;
    regs.rcx = rcx;
    regs.rdx = rdx;
    regs.rdi = rdi;
    IOCTL(m->vcpu, KVM_SET_REGS, &regs);
}

/* KVM_RUN until HLT; every I/O or MMIO exit is answered by doing nothing. Returns the exits seen. */
static long run_to_halt(struct machine *m) {
    long exits = 0;
    for (;;) {
        IOCTL(m->vcpu, KVM_RUN, 0);
        switch (m->run->exit_reason) {
        case KVM_EXIT_HLT:
            return exits;
        case KVM_EXIT_IO:
        case KVM_EXIT_MMIO:
            ++exits;
            break;
        default:
            fprintf(stderr, "kvm_floor: unexpected exit reason %u\n", m->run->exit_reason);
            exit(1);
        }
    }
}

static double now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static int run_exits(enum mode mode, long iterations) {
    struct machine m = create_machine();
    const char *name;
    if (mode == MODE_REAL_PORT) {
        enter_real_mode(&m);
        load_code(&m, guest_real_loop, guest_real_loop_end);
        set_registers(&m, (uint64_t)iterations, 0, 0);
        name = "real-port";
    } else {
        enter_long_mode(&m);
        if (mode == MODE_LONG_PORT) load_code(&m, guest_port_loop, guest_port_loop_end);
        else load_code(&m, guest_mmio_loop, guest_mmio_loop_end);
        set_registers(&m, (uint64_t)iterations, EXIT_LOOP_PORT, MMIO_ADDRESS);
        name = mode == MODE_LONG_PORT ? "long-port" : "long-mmio";
    }
    double start = now_ns();
    long exits = run_to_halt(&m);
    double host_ns = now_ns() - start;
    if (exits != iterations) {
        fprintf(stderr, "kvm_floor: expected %ld exits, saw %ld\n", iterations, exits);
        return 1;
    }
    struct kvm_regs regs;
    IOCTL(m.vcpu, KVM_GET_REGS, &regs);
    uint64_t cycles = mode == MODE_REAL_PORT
                          ? (((regs.rdx & 0xffffffff) << 32) | (regs.rax & 0xffffffff)) -
                                (((regs.rdi & 0xffffffff) << 32) | (regs.rsi & 0xffffffff))
                          : regs.r13;
    int tsc_khz = IOCTL(m.vcpu, KVM_GET_TSC_KHZ, 0);
    printf("kvm_floor exits iterations=%ld cycles=%llu tsc_khz=%d host_ns=%.0f mode=%s\n", iterations,
           (unsigned long long)cycles, tsc_khz, host_ns, name);
    return 0;
}

static int run_boot(void) {
    struct machine m = create_machine();
    enter_real_mode(&m);
    load_code(&m, guest_boot, guest_boot_end);
    set_registers(&m, 0, 0, 0);
    return run_to_halt(&m) == 0 ? 0 : 1;
}

int main(int argc, char **argv) {
    if (argc == 1) return run_boot();
    if (strcmp(argv[1], "exits") == 0 && argc >= 3) {
        long iterations = strtol(argv[2], NULL, 10);
        enum mode mode = MODE_LONG_PORT;
        for (int i = 3; i < argc; ++i) {
            if (strcmp(argv[i], "--mmio") == 0) mode = MODE_LONG_MMIO;
            else if (strcmp(argv[i], "--real-mode") == 0) mode = MODE_REAL_PORT;
            else iterations = -1;
        }
        if (iterations > 0) return run_exits(mode, iterations);
    }
    fprintf(stderr, "usage: kvm_floor [exits N [--mmio | --real-mode]]\n");
    return 2;
}
