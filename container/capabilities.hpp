// Capabilities: which of root's powers the box keeps. By default the set Docker, containerd
// and runc's libcontainer give a container (14 of 41): enough to chown, bind a low port or
// change user, not enough to mount, load a module, trace another process or change the clock.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "container/container_config.hpp"

namespace glassvm::container {

// Capability number of "CAP_CHOWN"-style names (the OCI spelling), or nullopt.
std::optional<int> capability_number(std::string_view name);
// "CAP_CHOWN" for 0, … ; "CAP_<n>" for numbers this table does not know.
std::string capability_name(int number);

// Docker/containerd/libcontainer's default set less MKNOD: CHOWN DAC_OVERRIDE FSETID FOWNER
// NET_RAW SETGID SETUID SETFCAP SETPCAP NET_BIND_SERVICE SYS_CHROOT KILL AUDIT_WRITE (an OCI
// bundle gets exactly the capabilities it lists, CAP_MKNOD included if it asks).
uint64_t default_capability_mask();
CapabilitySets default_capability_sets();

// Switches to uid/gid (and supplementary groups) while keeping the permitted capabilities, so
// apply_capabilities can still choose them (what runc does before it sets capabilities).
void switch_user(uint32_t uid, uint32_t gid, const std::vector<uint32_t>& additional_gids);

// Drops every capability outside `sets.bounding` from the bounding set (so no later execve can
// regain it), then sets effective/permitted/inheritable with capset(2) and raises the ambient
// ones. Raw prctl/capset system calls; no libcap.
void apply_capabilities(const CapabilitySets& sets);

}  // namespace glassvm::container
