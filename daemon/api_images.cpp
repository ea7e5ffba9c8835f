// The image routes:
//   GET    /images                       list
//   GET    /images/{name-or-id}          inspect
//   POST   /images/import?name=N&config=JSON   body: a root filesystem tar → a one-layer image
//   POST   /images/build                 {"context": DIR, "name": N} → an image from DIR/Glassfile (glassvm build)
//   DELETE /images/{name-or-id}          remove (409 while an instance uses it)
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <span>
#include <sstream>
#include <string_view>

#include "base/error.hpp"
#include "base/fd.hpp"
#include "base/file.hpp"
#include "base/subprocess.hpp"
#include "daemon/api_context.hpp"
#include "daemon/api_error.hpp"

namespace glassvm::daemon {

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

constexpr std::string_view kImportPrefix = "import-";

// ?config={"kind", "command", "env", "working_dir", "vm": {"kernel", "init", "cmdline", "memory", "cpus"}},
// every field optional.
image::ImageConfig import_config(const std::string& text) {
    image::ImageConfig config;
    if (text.empty()) return config;
    json object;
    try {
        object = json::parse(text);
    } catch (const json::exception& error) {
        throw_bad_input("config is not valid JSON: {}", error.what());
    }
    require_known_fields(object, {"kind", "command", "env", "working_dir", "vm"}, "config");
    if (object.contains("kind")) config.kind = image::parse_kind(object.at("kind").get<std::string>());
    if (object.contains("command")) config.command = object.at("command").get<std::vector<std::string>>();
    if (object.contains("env")) config.env = object.at("env").get<std::vector<std::string>>();
    if (object.contains("working_dir")) config.working_dir = object.at("working_dir").get<std::string>();
    if (object.contains("vm")) {
        const json& vm = object.at("vm");
        require_known_fields(vm, {"kernel", "init", "cmdline", "memory", "cpus"}, "config.vm");
        config.vm.kernel_layer_path = vm.value("kernel", "");
        config.vm.init_path = vm.value("init", "");
        config.vm.cmdline = vm.value("cmdline", "");
        config.vm.memory_bytes = vm.value("memory", std::uint64_t{0});
        config.vm.cpus = vm.value("cpus", 1u);
    }
    return config;
}

image::Image find_image(ApiContext& context, const std::string& key) {
    std::lock_guard lock(context.images_mutex);
    auto found = context.images.find(key);
    if (!found) throw_not_found("no image {}", key);
    return *found;
}

// The uploaded tar, in a file for the store to read: <root>/tmp/import-XXXXXX.tar, mode 0600
// (mkstemps, whatever the umask: the tar may hold secrets), removed when the import is done —
// and, if the daemon is killed meanwhile, at its next start (remove_stale_imports).
class ImportTar {
public:
    ImportTar(const fs::path& root, const std::string& bytes) {
        fs::create_directories(root / "tmp");
        std::string pattern = (root / "tmp" / (std::string(kImportPrefix) + "XXXXXX.tar")).string();
        Fd fd(check_syscall("mkstemps " + pattern, ::mkostemps(pattern.data(), 4, O_CLOEXEC)));
        m_path = pattern;
        write_all(fd.get(), std::span(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()),
                  "write " + m_path.string());
    }
    ~ImportTar() {
        std::error_code ignored;
        fs::remove(m_path, ignored);
    }
    ImportTar(const ImportTar&) = delete;
    ImportTar& operator=(const ImportTar&) = delete;
    const fs::path& path() const { return m_path; }

private:
    fs::path m_path;
};

void import_image(ApiContext& context, const httplib::Request& request, httplib::Response& response) {
    if (request.body.empty()) throw_bad_input("the request body must be the root filesystem tar");
    image::ImageConfig config = import_config(request.get_param_value("config"));
    ImportTar tar(context.root, request.body);
    std::lock_guard lock(context.images_mutex);
    image::Image image = context.images.import_rootfs_tar(request.get_param_value("name"), tar.path(), config);
    reply_json(response, image::to_json(image), 201);
}

// The build runs in `glassvm build --store ROOT --json` (subprocess.hpp says why), under the
// image lock; its stderr is the progress, or the error.
void build_image(ApiContext& context, const httplib::Request& request, httplib::Response& response) {
    json body = json_body(request);
    require_known_fields(body, {"context", "name"}, "the request");
    std::string directory = body.at("context").get<std::string>();
    std::string name = body.value("name", "");
    if (!fs::path(directory).is_absolute()) throw_bad_input("context must be an absolute directory path");
    std::vector<std::string> argv = {context.glassvm_program.string(), "build", "--store", context.root.string(),
                                     "--json"};
    if (!name.empty()) argv.insert(argv.end(), {"-t", name});
    argv.push_back(directory);
    std::lock_guard lock(context.images_mutex);
    ProgramResult result = run_program(argv);
    if (result.status != 0) {
        std::string message = result.err.substr(0, result.err.find_last_not_of('\n') + 1);
        message = message.substr(message.rfind('\n') + 1);  // the last line: "glassvm: Glassfile:2: …"
        if (message.starts_with("glassvm: ")) message = message.substr(9);
        throw Error(result.status == 2 ? ErrorKind::BadInput : ErrorKind::Internal, message);
    }
    json built = json::parse(result.out);
    reply_json(response, {{"image", built.at("image")}, {"steps", built.at("steps")}, {"progress", result.err}}, 201);
}

void remove_image(ApiContext& context, const std::string& key, httplib::Response& response) {
    std::lock_guard lock(context.images_mutex);  // held across the check: no instance of it can be created meanwhile
    auto image = context.images.find(key);
    if (!image) throw_not_found("no image {}", key);
    if (context.instances.uses_image(image->id))
        throw_conflict("image {} is used by an instance: remove the instance first", key);
    context.images.remove(image->id);
    response.status = 204;
}

}  // namespace

void remove_stale_imports(const fs::path& root) {
    std::error_code error;
    for (const auto& entry : fs::directory_iterator(root / "tmp", error)) {
        std::string name = entry.path().filename().string();
        if (name.starts_with(kImportPrefix) && name.ends_with(".tar")) fs::remove(entry.path(), error);
    }
}

void add_image_routes(httplib::Server& server, ApiContext& context) {
    server.Get("/images", guarded([&context](const httplib::Request&, httplib::Response& response) {
                   json list = json::array();
                   std::lock_guard lock(context.images_mutex);
                   for (const image::Image& image : context.images.list()) list.push_back(image::to_json(image));
                   reply_json(response, list);
               }));
    // A name may hold '/' ("library/busybox"): everything after /images/ is the name or id.
    server.Get("/images/(.+)", guarded([&context](const httplib::Request& request, httplib::Response& response) {
                   reply_json(response, image::to_json(find_image(context, request.matches[1])));
               }));
    server.Post("/images/import", guarded([&context](const httplib::Request& request, httplib::Response& response) {
                    import_image(context, request, response);
                }));
    server.Post("/images/build", guarded([&context](const httplib::Request& request, httplib::Response& response) {
                    build_image(context, request, response);
                }));
    server.Delete("/images/(.+)", guarded([&context](const httplib::Request& request, httplib::Response& response) {
                      remove_image(context, request.matches[1], response);
                  }));
}

}  // namespace glassvm::daemon
