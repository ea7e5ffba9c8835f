/* Test guest: writes one line to the UART's THR with `rep outsb`, then spins forever with
   interrupts off and no further exit. Where KVM queues THR writes (coalesced), the line can only
   reach stdout because glassvm's main thread performs the queued writes while the guest runs;
   --timeout ends the VM. */
    .code64
    .globl _start
_start:
    cli
    lea     message(%rip), %rsi
    mov     $message_end - message, %ecx
    mov     $0x3f8, %dx
    rep outsb
1:  jmp 1b

message:
    .ascii  "queued output reaches stdout while the guest spins\n"
message_end:
