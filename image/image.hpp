// What an image is: an ordered list of layers (bottom first) and a configuration (the command,
// its environment, and for VM images the guest kernel, init and boot settings), with its JSON
// form. The JSON is parsed strictly: an unknown or missing field, or one of the wrong type, is
// an Error naming it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace glassvm::image {

enum class InstanceKind {
    Box,
    Vm
};

// How a VM image boots: paths inside the image's layers (resolve them with layer_path.hpp).
struct VmSettings {
    std::string kernel_layer_path;   // KERNEL: the guest kernel ELF
    std::string init_path;           // INIT: the program the guest kernel runs as init
    std::string cmdline;             // CMDLINE: the guest kernel's command line
    std::uint64_t memory_bytes = 0;  // MEMORY (0: glassvm run's default)
    unsigned cpus = 1;               // CPUS
};

struct ImageConfig {
    InstanceKind kind = InstanceKind::Box;
    std::vector<std::string> command;  // CMD
    std::vector<std::string> env;      // "KEY=value"
    std::string working_dir = "/";
    VmSettings vm;  // used when kind == Vm
};

struct Image {
    std::string id;                   // "sha256:…" of canonical_json(layers, config)
    std::string name;                 // "name:tag" or empty
    std::vector<std::string> layers;  // digests, bottom first
    ImageConfig config;
    std::string created;  // RFC 3339 UTC
};

nlohmann::json to_json(const ImageConfig& config);
ImageConfig image_config_from_json(const nlohmann::json& json);
nlohmann::json to_json(const Image& image);
Image image_from_json(const nlohmann::json& json);

// The bytes an image id is the digest of: {"config": …, "layers": […]} with sorted keys and
// no whitespace (nlohmann's dump()).
std::string canonical_json(const std::vector<std::string>& layers, const ImageConfig& config);
std::string image_id(const std::vector<std::string>& layers, const ImageConfig& config);

// "box" / "vm", and back (BadInput for anything else).
std::string kind_name(InstanceKind kind);
InstanceKind parse_kind(const std::string& text);

// "name" → "name:latest"; "name:tag" unchanged. BadInput for an empty name, one that is not
// UTF-8 or holds whitespace or control characters, one with '/' at either end, or one starting
// with "sha256:" (the message quotes the name as JSON would, so it stays one printable line).
std::string normalize_name(const std::string& name);

// The current time as RFC 3339 UTC: "2026-11-28T23:40:00Z".
std::string now_rfc3339();

}  // namespace glassvm::image
