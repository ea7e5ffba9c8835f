// Several observers as one, called in the order they were added (trace before stepper, so a
// trace line is written before the stepper stops on the exit).
#pragma once

#include <vector>

#include "vmm/run/vcpu_observer.hpp"

namespace glassvm {

class ObserverList final : public VcpuObserver {
public:
    void add(VcpuObserver& observer) { m_observers.push_back(&observer); }
    bool empty() const { return m_observers.empty(); }

    bool may_pause() const override {
        for (auto* observer : m_observers)
            if (observer->may_pause()) return true;
        return false;
    }
    void on_start(VcpuContext& context) override {
        for (auto* observer : m_observers) observer->on_start(context);
    }
    ExitVerdict before_exit(VcpuContext& context, const ExitEvent& event) override {
        ExitVerdict verdict = ExitVerdict::Handle;
        for (auto* observer : m_observers)
            if (observer->before_exit(context, event) == ExitVerdict::Skip) verdict = ExitVerdict::Skip;
        return verdict;
    }
    void after_exit(VcpuContext& context, const ExitEvent& event, const HandledExit& handled) override {
        for (auto* observer : m_observers) observer->after_exit(context, event, handled);
    }
    void on_interrupted(VcpuContext& context) override {
        for (auto* observer : m_observers) observer->on_interrupted(context);
    }
    void on_finish(VcpuContext& context) override {
        for (auto* observer : m_observers) observer->on_finish(context);
    }

private:
    std::vector<VcpuObserver*> m_observers;
};

}  // namespace glassvm
