// glassvm box with bad input: each is a clear sentence on stderr and a shell-like status.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "test_box_support.hpp"

using namespace glassvm::test;

namespace {

// A bundle directory whose config.json is `text` and whose rootfs is the test rootfs.
std::string bundle_with(const std::string& name, const std::string& text) {
    std::filesystem::path bundle = build_path("box-test-bundles") + "/" + name;
    std::filesystem::create_directories(bundle);
    std::ofstream(bundle / "config.json") << text;
    return bundle.string();
}

ProcessResult run_bundle(const std::string& bundle) {
    return run_process({build_path("glassvm"), "box", "run", "--bundle", bundle});
}

}  // namespace

TEST_CASE("box errors: a missing rootfs", "[box]") {
    require_root();
    ProcessResult result =
        run_process({build_path("glassvm"), "box", "run", "--rootfs", "/nonexistent/rootfs", "--", "sh"});
    CHECK(result.exit_status == 2);
    CHECK(result.err ==
          "glassvm: rootfs /nonexistent/rootfs does not exist (make one with scripts/make-rootfs "
          "/nonexistent/rootfs)\n");
}

TEST_CASE("box errors: neither --rootfs nor --bundle", "[box]") {
    ProcessResult result = run_process({build_path("glassvm"), "box", "run", "--", "/probe"});
    CHECK(result.exit_status == 2);
    CHECK_THAT(result.err, Catch::Contains("needs --rootfs DIR or --bundle DIR"));
}

TEST_CASE("box errors: a command that does not exist is status 127, one that cannot run 126", "[box]") {
    require_root();
    ProcessResult missing = run_box({}, {"no-such-command"});
    CHECK(missing.exit_status == 127);
    CHECK(missing.err == "glassvm: box: no-such-command: command not found in the box's PATH\n");
    ProcessResult path = run_box({}, {"/bin/no-such-command"});
    CHECK(path.exit_status == 127);
    CHECK(path.err == "glassvm: box: /bin/no-such-command: No such file or directory\n");
    ProcessResult not_executable = run_box({}, {"/etc/passwd"});
    CHECK(not_executable.exit_status == 126);
    CHECK(not_executable.err == "glassvm: box: /etc/passwd: Permission denied\n");
}

TEST_CASE("box errors: a non-root user without --user", "[box]") {
    require_root();
    ProcessResult result = run_process({"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                                        build_path("glassvm"), "box", "run", "--rootfs", box_rootfs(), "--", "true"});
    INFO(result.err);
    CHECK(result.exit_status == 2);
    CHECK_THAT(result.err, Catch::StartsWith("glassvm: glassvm box needs root") && Catch::Contains("add --user"));
}

TEST_CASE("box errors: a bundle with malformed JSON names the line", "[box]") {
    require_root();
    std::string bundle =
        bundle_with("bad-json", "{\n  \"ociVersion\": \"1.0.2\",\n  \"root\": {\"path\": \"rootfs\"\n}\n");
    ProcessResult result = run_bundle(bundle);
    CHECK(result.exit_status == 2);
    CHECK_THAT(result.err, Catch::StartsWith("glassvm: " + bundle + "/config.json: line 5, column 1: malformed JSON"));
}

TEST_CASE("box errors: a bundle with an unsupported field names it", "[box]") {
    require_root();
    std::string bundle = bundle_with("seccomp", R"({"ociVersion": "1.0.2", "root": {"path": ")" + box_rootfs() +
                                                    R"("}, "process": {"args": ["true"]},
        "linux": {"namespaces": [{"type": "mount"}], "seccomp": {"defaultAction": "SCMP_ACT_ALLOW"}}})");
    ProcessResult result = run_bundle(bundle);
    CHECK(result.exit_status == 2);
    CHECK_THAT(result.err, Catch::Contains("config.json: linux.seccomp is not supported by glassvm box"));
}

TEST_CASE("box errors: a bundle without config.json", "[box]") {
    require_root();
    std::filesystem::path bundle = build_path("box-test-bundles/empty");
    std::filesystem::create_directories(bundle);
    ProcessResult result = run_bundle(bundle.string());
    CHECK(result.exit_status == 2);
    CHECK_THAT(result.err, Catch::Contains("config.json: cannot be read"));
}
