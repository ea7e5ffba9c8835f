// `glassvm build` (build.hpp): the Glassfile's steps in order, each COPY or RUN in an overlay
// over the layers so far, its upper directory stored as the step's layer; cached by key.
#include "image/build.hpp"

#include <sys/stat.h>

#include <functional>

#include <fmt/format.h>

#include "cli/size.hpp"
#include "container/box.hpp"
#include "container/container_config.hpp"
#include "core/error.hpp"
#include "image/atomic_file.hpp"
#include "image/digest.hpp"
#include "image/glassfile.hpp"
#include "image/layer_path.hpp"
#include "image/overlay.hpp"
#include "image/temporary.hpp"

namespace glassvm::image {

namespace fs = std::filesystem;

namespace {

// What the steps so far have made.
struct BuildState {
    std::vector<std::string> layers;
    ImageConfig config;
    std::string chain_key;  // the cache key of the last step (or of FROM)
};

std::string read_glassfile(const fs::path& context_dir) {
    fs::path file = context_dir / "Glassfile";
    if (!fs::is_regular_file(file)) throw_bad_input("{} does not exist (glassvm build DIR reads DIR/Glassfile)", file.string());
    return read_small_file(file);
}

// A COPY source: a path inside the build context.
fs::path copy_source(const fs::path& context_dir, const GlassfileStep& step) {
    fs::path relative = fs::path(step.arguments[0]).relative_path().lexically_normal();
    if (relative.empty() || *relative.begin() == "..")
        throw_bad_input("Glassfile:{}: COPY source '{}' is outside the build directory", step.line, step.arguments[0]);
    fs::path source = context_dir / relative;
    if (!fs::exists(fs::symlink_status(source)))
        throw_bad_input("Glassfile:{}: COPY source '{}' does not exist in {}", step.line, step.arguments[0], context_dir.string());
    return source;
}

// A path inside the image, relative to WORKDIR when not absolute, as a path under `root`.
// Existing directories on the way must not be symlinks: they would lead out of the image.
fs::path path_in_image(const fs::path& root, const std::string& working_dir, const std::string& path, int line) {
    fs::path in_image = (fs::path(working_dir) / path).lexically_normal().relative_path();
    fs::path host = root;
    for (const fs::path& part : in_image) {
        if (part == "..") throw_bad_input("Glassfile:{}: '{}' leads outside the image", line, path);
        host /= part;
        if (host != root / in_image && fs::is_symlink(host))
            throw_bad_input("Glassfile:{}: '{}' goes through a symlink in the image; glassvm does not follow it", line, path);
    }
    return host;
}

void copy_into(const fs::path& source, const fs::path& merged, const BuildState& state, const GlassfileStep& step) {
    const std::string& destination = step.arguments[1];
    fs::path target = path_in_image(merged, state.config.working_dir, destination, step.line);
    const auto options = fs::copy_options::recursive | fs::copy_options::copy_symlinks | fs::copy_options::overwrite_existing;
    if (fs::is_directory(fs::symlink_status(source))) {
        fs::create_directories(target);
        fs::copy(source, target, options);
        return;
    }
    if (destination.ends_with('/') || fs::is_directory(fs::symlink_status(target))) target /= source.filename();
    fs::create_directories(target.parent_path());
    if (fs::is_symlink(target) || fs::exists(target)) fs::remove(target);
    fs::copy(source, target, options);
}

void run_in_box(const fs::path& merged, const BuildState& state, const GlassfileStep& step) {
    container::ContainerConfig box = container::default_container_config();
    box.rootfs = merged;
    box.args = step.arguments;
    box.hostname = "glassvm-build";
    box.cwd = state.config.working_dir;
    fs::create_directories(path_in_image(merged, "/", state.config.working_dir, step.line));
    for (const std::string& assignment : state.config.env) {
        std::string key = assignment.substr(0, assignment.find('=') + 1);
        std::erase_if(box.env, [&](const std::string& existing) { return existing.starts_with(key); });
        box.env.push_back(assignment);
    }
    container::BoxOutcome outcome = container::run_box(box);
    if (outcome.exit_status != 0)
        throw_bad_input("Glassfile:{}: RUN exited with status {}: {}", step.line, outcome.exit_status, step.text);
}

// Mounts an overlay over the layers so far with a fresh upper directory, lets `change` work
// in it, and stores the upper directory as a layer.
std::string layer_from_change(ImageStore& store, const BuildState& state, const std::function<void(const fs::path&)>& change) {
    TemporaryDirectory work(store.root() / "tmp", "build");
    std::vector<fs::path> lowers = store.layer_directories(state.layers);
    if (lowers.empty()) {
        fs::create_directory(work.path() / "empty");  // overlayfs needs a lower directory
        lowers.push_back(work.path() / "empty");
    }
    {
        OverlayMount mount(lowers, work.path() / "upper", work.path() / "work", work.path() / "merged");
        change(mount.merged());
    }
    return store.layers().import_directory_diff(work.path() / "upper");
}

void apply_config(BuildState& state, const GlassfileStep& step) {
    const std::string& argument = step.arguments.front();
    ImageConfig& config = state.config;
    switch (step.instruction) {
    case Instruction::Cmd: config.command = step.arguments; break;
    case Instruction::Env: {
        std::string key = argument.substr(0, argument.find('=') + 1);
        std::erase_if(config.env, [&](const std::string& existing) { return existing.starts_with(key); });
        config.env.push_back(argument);
        break;
    }
    case Instruction::Workdir: config.working_dir = (fs::path(config.working_dir) / argument).lexically_normal().string(); break;
    case Instruction::Kind: config.kind = parse_kind(argument); break;
    case Instruction::Kernel: config.vm.kernel_layer_path = argument; break;
    case Instruction::Init: config.vm.init_path = argument; break;
    case Instruction::Cmdline: config.vm.cmdline = argument; break;
    case Instruction::Memory: config.vm.memory_bytes = parse_size(argument, fmt::format("Glassfile:{}: MEMORY", step.line)); break;
    case Instruction::Cpus:
        if (argument.find_first_not_of("0123456789") != std::string::npos || argument.size() > 2 || std::stoul(argument) == 0)
            throw_bad_input("Glassfile:{}: CPUS must be a whole number from 1, not '{}'", step.line, argument);
        config.vm.cpus = static_cast<unsigned>(std::stoul(argument));
        break;
    default: break;
    }
}

class Builder {
public:
    Builder(ImageStore& store, fs::path context_dir) : m_store(store), m_context(std::move(context_dir)) {}

    void start(const GlassfileStep& from) {
        const std::string& base = from.arguments[0];
        if (base == "scratch") {
            m_state.chain_key = sha256_bytes("FROM scratch");
            return;
        }
        std::optional<Image> image = m_store.find(base);
        if (!image) throw_bad_input("Glassfile:{}: FROM {}: no such image in the store at {}", from.line, base, m_store.root().string());
        m_state.layers = image->layers;
        m_state.config = image->config;
        m_state.chain_key = image->id;
    }

    BuildStep step(const GlassfileStep& step) {
        bool makes_layer = step.instruction == Instruction::Copy || step.instruction == Instruction::Run;
        std::string key_text = m_state.chain_key + "\n" + step.text;
        fs::path source;
        if (step.instruction == Instruction::Copy) {
            source = copy_source(m_context, step);
            key_text += "\n" + sha256_tree(source);
        }
        BuildStep result{step.text, sha256_bytes(key_text), "", false};
        m_state.chain_key = result.cache_key;
        if (!makes_layer) {
            apply_config(m_state, step);
            return result;
        }
        fs::path cache_file = m_store.root() / "cache" / digest_hex(result.cache_key);
        std::string cached = read_small_file(cache_file);
        if (m_store.layers().contains(cached)) {
            result.layer = cached;
            result.cached = true;
        } else {
            result.layer = layer_from_change(m_store, m_state, [&](const fs::path& merged) {
                if (step.instruction == Instruction::Copy)
                    copy_into(source, merged, m_state, step);
                else
                    run_in_box(merged, m_state, step);
            });
            write_file_atomically(cache_file, result.layer);
        }
        m_state.layers.push_back(result.layer);
        return result;
    }

    Image finish(std::string name) {
        if (m_state.config.kind == InstanceKind::Vm) check_vm_files();
        return m_store.create(std::move(name), m_state.layers, m_state.config);
    }

private:
    void check_vm_files() {
        const VmSettings& vm = m_state.config.vm;
        if (vm.kernel_layer_path.empty()) throw_bad_input("Glassfile: a vm image needs KERNEL (the guest kernel's path in the image)");
        std::vector<fs::path> layers = m_store.layer_directories(m_state.layers);
        for (const std::string& path : {vm.kernel_layer_path, vm.init_path}) {
            if (path.empty()) continue;
            std::optional<fs::path> found = find_in_layers(layers, path);
            if (!found || !fs::is_regular_file(fs::symlink_status(*found)))
                throw_bad_input("Glassfile: {} is not a regular file in the image's layers", path);
        }
    }

    ImageStore& m_store;
    fs::path m_context;
    BuildState m_state;
};

}  // namespace

BuildResult build_image(ImageStore& store, const fs::path& context_dir, std::string name, std::ostream& progress) {
    std::vector<GlassfileStep> steps = parse_glassfile(read_glassfile(context_dir), "Glassfile");
    Builder builder(store, fs::absolute(context_dir));
    builder.start(steps.front());
    BuildResult result;
    progress << fmt::format("step 1/{}: {}\n", steps.size(), steps.front().text) << std::flush;
    for (size_t index = 1; index < steps.size(); ++index) {
        BuildStep done = builder.step(steps[index]);
        progress << fmt::format("step {}/{}: {}{}\n", index + 1, steps.size(), done.instruction,
                                done.layer.empty() ? "" : fmt::format(" → {}{}", done.layer.substr(0, 19), done.cached ? " (cached)" : ""))
                 << std::flush;
        result.steps.push_back(std::move(done));
    }
    result.image = builder.finish(std::move(name));
    return result;
}

}  // namespace glassvm::image
