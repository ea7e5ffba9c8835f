// The image tests' shared helpers: see test_image_support.hpp.
#include "test_image_support.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "test_box_support.hpp"

namespace glassvm::test {

namespace fs = std::filesystem;

fs::path fresh_image_test_directory(const std::string& name) {
    fs::path directory = fs::temp_directory_path() / "glassvm-image-tests" / name;
    fs::remove_all(directory);
    fs::create_directories(directory / "context");
    return directory;
}

void write_text(const fs::path& path, const std::string& text) {
    fs::create_directories(path.parent_path());
    std::ofstream(path) << text;
}

std::string read_text(const fs::path& path) {
    std::ifstream file(path);
    std::stringstream text;
    text << file.rdbuf();
    return text.str();
}

void make_context(const fs::path& context, const std::string& glassfile, CopyRootfs copy_rootfs) {
    write_text(context / "Glassfile", glassfile);
    if (copy_rootfs == CopyRootfs::Yes)
        fs::copy(box_rootfs(), context / "rootfs", fs::copy_options::recursive | fs::copy_options::copy_symlinks);
}

ProcessResult glassvm_with_store(const fs::path& store, std::vector<std::string> arguments) {
    arguments.insert(arguments.begin(), build_path("glassvm"));
    arguments.push_back("--store");
    arguments.push_back(store.string());
    return run_process(arguments, {}, std::chrono::seconds(60));
}

nlohmann::json build_json(const fs::path& store, const fs::path& context, const std::string& name) {
    ProcessResult result = glassvm_with_store(store, {"build", context.string(), "-t", name, "--json"});
    INFO(result.out << result.err);
    REQUIRE(result.exit_status == 0);
    return nlohmann::json::parse(result.out);
}

ProcessResult run_in_image(const fs::path& store, const std::string& image, const std::string& script,
                           const std::vector<std::string>& options) {
    std::vector<std::string> argv = {build_path("glassvm"), "box", "run", "--image", image, "--store", store.string()};
    argv.insert(argv.end(), options.begin(), options.end());
    argv.insert(argv.end(), {"--", "sh", "-c", script});
    return run_process(argv, {}, std::chrono::seconds(30));
}

}  // namespace glassvm::test
