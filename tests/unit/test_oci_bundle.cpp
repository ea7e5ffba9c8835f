// Unit tests for OCI bundles (container/oci_bundle.cpp): a stock `runc spec` config.json is
// taken whole; each honoured field lands in the ContainerConfig; an unsupported field is an
// error naming its JSON path; malformed JSON names the line and column.
#include <sched.h>
#include <sys/resource.h>

#include <catch2/catch.hpp>

#include <string>

#include "base/error.hpp"
#include "container/capabilities.hpp"
#include "container/oci_bundle.hpp"

using glassvm::container::ContainerConfig;
using glassvm::container::parse_oci_config;

namespace {

// What `runc spec` (runc 1.1) writes, trimmed of nothing.
const char* const kRuncSpec = R"({
	"ociVersion": "1.0.2-dev",
	"process": {
		"terminal": true,
		"user": {"uid": 0, "gid": 0},
		"args": ["sh"],
		"env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"],
		"cwd": "/",
		"capabilities": {
			"bounding": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
			"effective": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
			"permitted": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
			"ambient": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
		},
		"rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}],
		"noNewPrivileges": true
	},
	"root": {"path": "rootfs", "readonly": true},
	"hostname": "runc",
	"mounts": [
		{"destination": "/proc", "type": "proc", "source": "proc"},
		{"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
		{"destination": "/dev/pts", "type": "devpts", "source": "devpts", "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]},
		{"destination": "/dev/shm", "type": "tmpfs", "source": "shm", "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
		{"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue", "options": ["nosuid", "noexec", "nodev"]},
		{"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "noexec", "nodev", "ro"]},
		{"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup", "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]}
	],
	"linux": {
		"resources": {"devices": [{"allow": false, "access": "rwm"}]},
		"namespaces": [{"type": "pid"}, {"type": "network"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"}],
		"maskedPaths": ["/proc/acpi", "/proc/kcore", "/sys/firmware"],
		"readonlyPaths": ["/proc/bus", "/proc/sys"]
	}
})";

ContainerConfig parse(const std::string& text) { return parse_oci_config(text, "/bundles/b", "b/config.json"); }

// The stock spec with `fragment` replacing `original` (which must occur in it).
std::string edited(const std::string& original, const std::string& fragment) {
    std::string text = kRuncSpec;
    size_t at = text.find(original);
    REQUIRE(at != std::string::npos);
    return text.replace(at, original.size(), fragment);
}

std::string error_of(const std::string& text) {
    try {
        parse(text);
    } catch (const glassvm::Error& error) {
        CHECK(error.kind() == glassvm::ErrorKind::BadInput);
        return error.what();
    }
    FAIL("no error for: " << text);
    return {};
}

}  // namespace

TEST_CASE("oci bundle: a stock runc spec config is taken whole", "[oci]") {
    ContainerConfig config = parse(kRuncSpec);
    CHECK(config.args == std::vector<std::string>{"sh"});
    CHECK(config.env.size() == 3);  // PATH, TERM, and HOME added as runc adds it
    CHECK(config.env.back() == "HOME=/root");
    CHECK(config.cwd == "/");
    CHECK(config.rootfs == "/bundles/b/rootfs");
    CHECK(config.readonly_root);
    CHECK(config.hostname == "runc");
    CHECK(config.namespaces == (CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNS));
    CHECK(config.mounts.size() == 7);
    CHECK(config.mounts[1].destination == "/dev");
    CHECK(config.mounts[1].options.size() == 4);
    CHECK(config.masked_paths.size() == 3);
    CHECK(config.readonly_paths.size() == 2);
    CHECK(config.no_new_privileges);
    uint64_t three = (1ull << 29) | (1ull << 5) | (1ull << 10);  // AUDIT_WRITE, KILL, NET_BIND_SERVICE
    CHECK(config.capabilities.bounding == three);
    CHECK(config.capabilities.effective == three);
    CHECK(config.capabilities.inheritable == 0);
    REQUIRE(config.rlimits.size() == 1);
    CHECK(config.rlimits[0].resource == RLIMIT_NOFILE);
    CHECK(config.rlimits[0].soft == 1024);
    CHECK_FALSE(config.resources.memory_bytes);
    CHECK_FALSE(config.resources.pids);
}

TEST_CASE("oci bundle: resource limits, user and id mappings are honoured", "[oci]") {
    ContainerConfig config = parse(edited(R"("resources": {"devices": [{"allow": false, "access": "rwm"}]})",
                                          R"("resources": {"memory": {"limit": 33554432}, "pids": {"limit": 20},
                                              "cpu": {"quota": 50000, "period": 100000}},
                                             "uidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}])"));
    CHECK(config.resources.memory_bytes == 33554432u);
    CHECK(config.resources.pids == 20u);
    REQUIRE(config.resources.cpu);
    CHECK(config.resources.cpu->quota_us == 50000);
    REQUIRE(config.uid_mappings.size() == 1);
    CHECK(config.uid_mappings[0].host_id == 1000);

    ContainerConfig user = parse(
        edited(R"("user": {"uid": 0, "gid": 0})", R"("user": {"uid": 1000, "gid": 100, "additionalGids": [5, 6]})"));
    CHECK(user.uid == 1000);
    CHECK(user.gid == 100);
    CHECK(user.additional_gids == std::vector<uint32_t>{5, 6});
    CHECK(user.env.back() == "HOME=/");
}

TEST_CASE("oci bundle: an unsupported field is an error naming its JSON path", "[oci]") {
    CHECK_THAT(error_of(edited(R"("maskedPaths")", R"("seccomp": {"defaultAction": "SCMP_ACT_ALLOW"}, "maskedPaths")")),
               Catch::Contains("b/config.json: linux.seccomp is not supported by glassvm box") &&
                   Catch::Contains("its own filter"));
    CHECK_THAT(error_of(edited(R"("noNewPrivileges": true)", R"("noNewPrivileges": true, "oomScoreAdj": 5)")),
               Catch::Contains("process.oomScoreAdj is not supported"));
    CHECK_THAT(error_of(edited(R"("hostname": "runc",)", R"("hostname": "runc", "hooks": {},)")),
               Catch::Contains(": hooks is not supported") && Catch::Contains("runs no hooks"));
    CHECK_THAT(error_of(edited(R"({"type": "pid"})", R"({"type": "pid", "path": "/proc/1/ns/pid"})")),
               Catch::Contains("linux.namespaces[0].path is not supported"));
}

TEST_CASE("oci bundle: wrong types and values name the field", "[oci]") {
    CHECK_THAT(error_of(edited(R"("args": ["sh"])", R"("args": ["sh", 5])")),
               Catch::Contains("process.args[1] must be a string"));
    CHECK_THAT(error_of(edited(R"("args": ["sh"])", R"("args": "sh")")),
               Catch::Contains("process.args must be an array"));
    CHECK_THAT(error_of(edited(R"("cwd": "/")", R"("cwd": "tmp")")),
               Catch::Contains("process.cwd must be an absolute path"));
    CHECK_THAT(error_of(edited(R"("CAP_KILL", "CAP_NET_BIND_SERVICE"],
			"effective")",
                               R"("CAP_KILLER", "CAP_NET_BIND_SERVICE"],
			"effective")")),
               Catch::Contains("process.capabilities.bounding[1] names an unknown capability 'CAP_KILLER'"));
    CHECK_THAT(error_of(edited(R"({"type": "uts"})", R"({"type": "time"})")),
               Catch::Contains("linux.namespaces[3].type names a namespace glassvm box cannot create: 'time'"));
    CHECK_THAT(error_of(edited(R"({"type": "mount"})", R"({"type": "cgroup"})")),
               Catch::Contains("must include a mount namespace"));
    CHECK_THAT(error_of(edited(R"("allow": false)", R"("allow": true)")),
               Catch::Contains("linux.resources.devices[0] is not supported"));
    CHECK_THAT(error_of(edited(R"("ociVersion": "1.0.2-dev")", R"("ociVersion": "0.9")")),
               Catch::Contains("ociVersion must be 1.x"));
    CHECK_THAT(error_of(edited(R"("root": {"path": "rootfs", "readonly": true},)", "")),
               Catch::Contains("root is missing"));
}

// Found by fuzzing (fuzz/fuzz_oci_config.cpp; the input is fuzz/corpus/oci_config/missing_fields.json):
// a required member that is absent escaped as nlohmann::json's out_of_range, not as BadInput.
TEST_CASE("oci bundle: a missing required field is a BadInput error naming its path", "[oci][fuzz]") {
    CHECK_THAT(error_of(edited(R"({"destination": "/proc", "type": "proc", "source": "proc"})", R"({"type": "proc"})")),
               Catch::Contains("mounts[0].destination is missing"));
    CHECK_THAT(error_of(edited(R"({"type": "pid"})", "{}")), Catch::Contains("linux.namespaces[0].type is missing"));
    CHECK_THAT(error_of(edited(R"("hard": 1024, "soft": 1024)", R"("hard": 1024)")),
               Catch::Contains("process.rlimits[0].soft is missing"));
    CHECK_THAT(error_of(edited(R"({"allow": false, "access": "rwm"})", R"({"access": "rwm"})")),
               Catch::Contains("linux.resources.devices[0].allow is missing"));
    CHECK_THAT(error_of(edited(R"("readonlyPaths")", R"("uidMappings": [{"hostID": 1, "size": 1}], "readonlyPaths")")),
               Catch::Contains("linux.uidMappings[0].containerID is missing"));
}

TEST_CASE("oci bundle: malformed JSON names the line and column", "[oci]") {
    // Line 4 of the stock spec is `"terminal": true,`; break it.
    std::string broken = edited("\"terminal\": true,", "\"terminal\": tru,");
    CHECK_THAT(error_of(broken),
               Catch::StartsWith("b/config.json: line 4, column") && Catch::Contains("malformed JSON"));
    CHECK_THAT(error_of("{\n  \"ociVersion\": \"1.0.0\",\n}\n"),
               Catch::StartsWith("b/config.json: line 3, column 1: malformed JSON"));
    CHECK_THAT(error_of(""), Catch::Contains("line 1, column 1: malformed JSON"));
}

// Found by fuzzing (fuzz/corpus/oci_config/crash-number-overflow.json): a number too large for a
// double made nlohmann::json throw out_of_range, which escaped parse_oci_config.
TEST_CASE("oci bundle: a number too large for JSON is a BadInput error", "[oci][fuzz]") {
    CHECK_THAT(error_of(edited(R"("hard": 1024)", R"("hard": 1e400)")),
               Catch::Contains("b/config.json: malformed JSON: number overflow parsing '1e400'"));
}

TEST_CASE("capabilities: the default set is Docker's fourteen less CAP_MKNOD", "[oci]") {
    using namespace glassvm::container;
    CHECK(default_capability_mask() == 0x00000000a00425fbull);
    CHECK(capability_number("CAP_SYS_ADMIN") == 21);
    CHECK(capability_name(40) == "CAP_CHECKPOINT_RESTORE");
    CHECK_FALSE(capability_number("CAP_NOPE"));
}
