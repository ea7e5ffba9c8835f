// OCI runtime bundles: a directory with config.json and a root filesystem, the format runc
// runs (opencontainers/runtime-spec, config.md and config-linux.md). glassvm box takes the
// fields below and refuses every other one by name, so a bundle never silently means less
// than it says:
//   honoured  ociVersion (1.x), process.{args, env, cwd, user.{uid, gid, umask,
//             additionalGids}, capabilities, rlimits, noNewPrivileges}, root.{path, readonly},
//             hostname, mounts, linux.{namespaces, uidMappings, gidMappings, maskedPaths,
//             readonlyPaths}, linux.resources.{memory.limit, pids.limit, cpu.quota, cpu.period},
//             linux.resources.devices (only the deny-all rule `runc spec` writes; the box's /dev
//             is fixed: null zero full random urandom tty)
//   accepted  process.terminal: glassvm passes its own stdin/stdout/stderr through (a terminal
//             when glassvm runs in one) instead of allocating a new pseudo-terminal;
//             annotations: metadata, for tools, by the spec's definition
// `runc spec`'s default config.json uses only these, so a stock bundle runs as it is.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "container/container_config.hpp"

namespace glassvm::container {

// Reads BUNDLE/config.json. Throws BadInput naming the file and the field (as a JSON path,
// e.g. "linux.seccomp" or "process.args[2]"), or the line and column of malformed JSON.
ContainerConfig load_oci_bundle(const std::filesystem::path& bundle);

// The same, from config.json's text; `file` names it in errors; relative paths are resolved
// against `bundle`.
ContainerConfig parse_oci_config(std::string_view text, const std::filesystem::path& bundle, std::string_view file);

}  // namespace glassvm::container
