/* Benchmark kernel: exit_loop.S's loop aimed at the doorbell port (abi::kDoorbellPort), which
 * glassvm registers as a KVM ioeventfd: each write is counted inside KVM and the guest resumes
 * without a trip to the VMM. Prints "doorbell_loop iterations=N cycles=C tsc_khz=K". */
#include <glassvm/abi.hpp>

#define LOOP_PORT GLASSVM_ABI_DOORBELL_PORT
#define LOOP_NAME "doorbell_loop"
#include "exit_loop.S"
