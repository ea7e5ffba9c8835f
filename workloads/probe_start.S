// The probe's process entry: the kernel starts it with RSP at argc (System V AMD64 psABI
// §3.4.1). Pass that address to probe_main, which never returns (it calls exit_group).
    .text
    .globl _start
_start:
    xor     %ebp, %ebp              // outermost frame
    mov     %rsp, %rdi              // uint64_t* initial stack: argc, argv..., NULL, envp...
    and     $-16, %rsp              // the psABI's call alignment
    call    probe_main
    ud2
