// `glassvm build` (build.hpp): the Glassfile's steps in order, each COPY or RUN in an overlay
// over the layers so far, its upper directory stored as the step's layer; cached by key.
#include "image/build.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <functional>
#include <optional>

#include <fmt/format.h>

#include "base/error.hpp"
#include "base/fd.hpp"
#include "base/file.hpp"
#include "base/size.hpp"
#include "container/box.hpp"
#include "container/container_config.hpp"
#include "image/context_source.hpp"
#include "image/digest.hpp"
#include "image/glassfile.hpp"
#include "image/image_store.hpp"
#include "image/layer_path.hpp"
#include "image/overlay.hpp"

namespace glassvm::image {

namespace fs = std::filesystem;

namespace {

// What the steps so far have made.
struct BuildState {
    std::vector<std::string> layers;
    ImageConfig config;
    std::string chain_key;  // the cache key of the last step (or of FROM)
};

std::string read_glassfile(const Fd& context, const fs::path& context_dir) {
    std::optional<std::string> text = read_context_file(context, "Glassfile");
    if (!text)
        throw_bad_input("{} does not exist (glassvm build DIR reads DIR/Glassfile)",
                        (context_dir / "Glassfile").string());
    return *text;
}

// Runs `work` the way a process in the image would see the file system, absolute symlinks and
// all, so that nothing is written outside the image: in a child chrooted into the overlay.
// COPY's source is read through the descriptors of context_source.hpp, which the child keeps
// across the chroot; no path outside the image is ever resolved in it.
void in_image(const fs::path& root, const GlassfileStep& step, const std::function<void()>& work) {
    pid_t child = check_syscall("fork", ::fork());
    if (child == 0) {
        int status = 0;
        try {
            check_syscall(fmt::format("chroot {}", root.string()), ::chroot(root.c_str()));
            check_syscall("chdir", ::chdir("/"));
            work();
        } catch (const std::exception& error) {
            std::fprintf(stderr, "glassvm: Glassfile:%d: %s\n", step.line, error.what());
            status = 1;
        }
        std::fflush(stderr);
        ::_exit(status);
    }
    int status = 0;
    check_syscall("waitpid", ::waitpid(child, &status, 0));
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        throw_bad_input("Glassfile:{}: {} failed", step.line, step.text);
}

void copy_into(const ContextSource& source, const fs::path& merged, const BuildState& state,
               const GlassfileStep& step) {
    const std::string& destination = step.arguments[1];
    fs::path target = (fs::path(state.config.working_dir) / destination).lexically_normal();
    IntoDirectory into = destination.ends_with('/') ? IntoDirectory::Yes : IntoDirectory::No;
    in_image(merged, step, [&] { copy_context_source(source, target, into); });
}

void run_in_box(const fs::path& merged, const BuildState& state, const GlassfileStep& step) {
    container::ContainerConfig box = container::default_container_config();
    box.rootfs = merged;
    box.args = step.arguments;
    box.hostname = "glassvm-build";
    box.cwd = state.config.working_dir;
    in_image(merged, step, [&] { fs::create_directories(state.config.working_dir); });
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
std::string layer_from_change(ImageStore& store, const BuildState& state, std::uint64_t layer_size_limit,
                              const std::function<void(const fs::path&)>& change) {
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
    return store.layers().import_directory_diff(work.path() / "upper", layer_size_limit);
}

void apply_config(BuildState& state, const GlassfileStep& step) {
    const std::string& argument = step.arguments.front();
    ImageConfig& config = state.config;
    switch (step.instruction) {
        case Instruction::Cmd:
            config.command = step.arguments;
            break;
        case Instruction::Env: {
            std::string key = argument.substr(0, argument.find('=') + 1);
            std::erase_if(config.env, [&](const std::string& existing) { return existing.starts_with(key); });
            config.env.push_back(argument);
            break;
        }
        case Instruction::Workdir:
            config.working_dir = (fs::path(config.working_dir) / argument).lexically_normal().string();
            break;
        case Instruction::Kind:
            config.kind = parse_kind(argument);
            break;
        case Instruction::Kernel:
            config.vm.kernel_layer_path = argument;
            break;
        case Instruction::Init:
            config.vm.init_path = argument;
            break;
        case Instruction::Cmdline:
            config.vm.cmdline = argument;
            break;
        case Instruction::Memory:
            config.vm.memory_bytes = parse_size(argument, fmt::format("Glassfile:{}: MEMORY", step.line));
            break;
        case Instruction::Cpus:
            if (argument.find_first_not_of("0123456789") != std::string::npos || argument.size() > 2 ||
                std::stoul(argument) == 0)
                throw_bad_input("Glassfile:{}: CPUS must be a whole number from 1, not '{}'", step.line, argument);
            config.vm.cpus = static_cast<unsigned>(std::stoul(argument));
            break;
        default:
            break;
    }
}

class Builder {
public:
    Builder(ImageStore& store, Fd context, std::uint64_t layer_size_limit)
            : m_store(store), m_context(std::move(context)), m_layer_size_limit(layer_size_limit) {}

    void start(const GlassfileStep& from) {
        const std::string& base = from.arguments[0];
        if (base == "scratch") {
            m_state.chain_key = sha256_bytes("FROM scratch");
            return;
        }
        std::optional<Image> image = m_store.find(base);
        if (!image)
            throw_bad_input("Glassfile:{}: FROM {}: no such image in the store at {}", from.line, base,
                            m_store.root().string());
        m_state.layers = image->layers;
        m_state.config = image->config;
        m_state.chain_key = image->id;
    }

    BuildStep step(const GlassfileStep& step) {
        bool makes_layer = step.instruction == Instruction::Copy || step.instruction == Instruction::Run;
        std::string key_text = m_state.chain_key + "\n" + step.text;
        std::optional<ContextSource> source;
        if (step.instruction == Instruction::Copy) {
            source = resolve_context_source(m_context, step.arguments[0], fmt::format("Glassfile:{}", step.line));
            key_text += "\n" + sha256_context_source(*source);
        }
        BuildStep result{step.text, sha256_bytes(key_text), "", false};
        m_state.chain_key = result.cache_key;
        if (!makes_layer) {
            apply_config(m_state, step);
            return result;
        }
        fs::path cache_file = m_store.root() / "cache" / digest_hex(result.cache_key);
        std::string cached = read_text_file(cache_file).value_or("");
        if (m_store.layers().contains(cached)) {
            result.layer = cached;
            result.cached = true;
        } else {
            result.layer = layer_from_change(m_store, m_state, m_layer_size_limit, [&](const fs::path& merged) {
                if (step.instruction == Instruction::Copy)
                    copy_into(*source, merged, m_state, step);
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
        if (vm.kernel_layer_path.empty())
            throw_bad_input("Glassfile: a vm image needs KERNEL (the guest kernel's path in the image)");
        std::vector<fs::path> layers = m_store.layer_directories(m_state.layers);
        for (const std::string& path : {vm.kernel_layer_path, vm.init_path}) {
            if (path.empty()) continue;
            std::optional<fs::path> found = find_in_layers(layers, path);
            if (!found || !fs::is_regular_file(fs::symlink_status(*found)))
                throw_bad_input("Glassfile: {} is not a regular file in the image's layers", path);
        }
    }

    ImageStore& m_store;
    Fd m_context;  // the build context directory (context_source.hpp reads it)
    std::uint64_t m_layer_size_limit;
    BuildState m_state;
};

}  // namespace

BuildResult build_image(ImageStore& store, const fs::path& context_dir, std::string name, std::ostream& progress,
                        std::uint64_t layer_size_limit) {
    if (!name.empty()) name = normalize_name(name);  // a bad name is refused before any work
    Fd context = open_context(context_dir);
    std::vector<GlassfileStep> steps = parse_glassfile(read_glassfile(context, context_dir), "Glassfile");
    StoreLock lock(store.root(), LockMode::Shared);  // no image removal takes layers from under the build
    Builder builder(store, std::move(context), layer_size_limit);
    builder.start(steps.front());
    BuildResult result;
    progress << fmt::format("step 1/{}: {}\n", steps.size(), steps.front().text) << std::flush;
    for (size_t index = 1; index < steps.size(); ++index) {
        BuildStep done = builder.step(steps[index]);
        progress << fmt::format("step {}/{}: {}{}\n", index + 1, steps.size(), done.instruction,
                                done.layer.empty()
                                    ? ""
                                    : fmt::format(" → {}{}", done.layer.substr(0, 19), done.cached ? " (cached)" : ""))
                 << std::flush;
        result.steps.push_back(std::move(done));
    }
    result.image = builder.finish(std::move(name));
    return result;
}

}  // namespace glassvm::image
