// `glassvm run --step-exits`: the interactive exit stepper. Before each VM exit is handled it
// shows the exit, the registers and the instruction at rip, and waits for a command (see
// stepper_commands.hpp): step to the next exit, continue for N exits or to an exit reason,
// look at registers and guest memory, or quit. Commands come from a terminal or a pipe; the end
// of input continues the VM to its end, so a piped script never leaves it hanging.
//
// With several vCPUs, one stop is shown at a time: a vCPU that exits while another is stopped
// here waits its turn (it is stopped too: it is inside its own exit).
#pragma once

#include <cstdio>
#include <mutex>
#include <string>

#include "vmm/debug/line_reader.hpp"
#include "vmm/debug/stepper_commands.hpp"
#include "vmm/run/vcpu_observer.hpp"

namespace glassvm {

class ExitStats;

class ExitStepper final : public VcpuObserver {
public:
    // Reads commands from `input_fd`, writes to `output`; `stats` (may be null) answers `stats`.
    ExitStepper(int input_fd, std::FILE* output, const ExitStats* stats);

    bool may_pause() const override { return true; }
    ExitVerdict before_exit(VcpuContext& context, const ExitEvent& event) override;
    void after_exit(VcpuContext& context, const ExitEvent& event, const HandledExit& handled) override;

private:
    // Where the stepper is stopped: the vCPU and its exit.
    struct Stop {
        VcpuContext& context;
        const ExitEvent& event;
    };
    enum class Mode {
        Step,         // stop at every exit
        CountExits,   // let m_exits_to_skip exits pass, then stop
        UntilReason,  // stop at the next exit named m_reason
        ToEnd,        // never stop again
    };
    enum class Next {
        Prompt,
        Resume
    };

    bool should_stop_at(const ExitEvent& event);
    void show(const Stop& stop);
    void prompt_until_resumed(const Stop& stop);
    Next run(const StepperCommand& command, const Stop& stop);
    Next run(const command::Next&, const Stop&);
    Next run(const command::Continue& command, const Stop&);
    Next run(const command::Registers&, const Stop& stop);
    Next run(const command::Examine& command, const Stop& stop);
    Next run(const command::Disassemble& command, const Stop& stop);
    Next run(const command::Stats&, const Stop&);
    Next run(const command::Help&, const Stop&);
    Next run(const command::Quit&, const Stop& stop);
    void print(const std::string& text);

    std::mutex m_mutex;  // one vCPU at the prompt at a time; guards everything below
    LineReader m_input;
    std::FILE* m_output;
    bool m_echo_commands;  // input is not a terminal: echo each command after the prompt
    const ExitStats* m_stats;
    Mode m_mode = Mode::Step;
    uint64_t m_exits_to_skip = 0;
    std::string m_reason;
    uint64_t m_shown_sequence = 0;  // the last exit shown at the prompt
};

}  // namespace glassvm
