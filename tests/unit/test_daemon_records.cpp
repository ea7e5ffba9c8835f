// The daemon's records without a daemon: instance.json and the API's request bodies parsed
// strictly, what a box and a vm instance run, and an instance's state from its shim's files.
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "base/file.hpp"
#include "daemon/instance.hpp"
#include "daemon/instance_launch.hpp"
#include "daemon/instance_manager.hpp"
#include "daemon/instance_state.hpp"
#include "daemon/process_identity.hpp"
#include "error_matchers.hpp"

namespace fs = std::filesystem;
using glassvm::test::IsBadInput;
using nlohmann::json;
using namespace glassvm::daemon;
using glassvm::read_text_file;
using glassvm::write_file_atomically;

namespace {

struct TemporaryDirectory {
    TemporaryDirectory() {
        char pattern[] = "/tmp/glassvm-daemon-unit-XXXXXX";
        path = ::mkdtemp(pattern);
    }
    ~TemporaryDirectory() { fs::remove_all(path); }
    fs::path path;
};

Instance sample_instance() {
    Instance instance;
    instance.id = std::string(64, 'a');
    instance.name = "web";
    instance.image = "sha256:" + std::string(64, 'b');
    instance.kind = glassvm::image::InstanceKind::Vm;
    instance.command = {"/probe", "10"};
    instance.limits = {64 << 20, 0, 2};
    instance.created = "2026-11-28T23:00:00Z";
    instance.launch = {"/bin/glassvm", "run"};
    return instance;
}

}  // namespace

TEST_CASE("daemon records: instance.json round-trips and refuses unknown, missing and mistyped fields", "[daemon]") {
    json written = to_json(sample_instance());
    Instance read = instance_from_json(written);
    CHECK(to_json(read) == written);
    CHECK(read.kind == glassvm::image::InstanceKind::Vm);
    CHECK(read.limits.memory_bytes == 64u << 20);

    json unknown = written;
    unknown["colour"] = "blue";
    CHECK_THROWS_MATCHES(instance_from_json(unknown), glassvm::Error, IsBadInput("unknown field \"colour\""));
    json missing = written;
    missing.erase("launch");
    CHECK_THROWS_MATCHES(instance_from_json(missing), glassvm::Error, IsBadInput("\"launch\" is missing"));
    json mistyped = written;
    mistyped["command"] = "sh";
    CHECK_THROWS_MATCHES(instance_from_json(mistyped), glassvm::Error, IsBadInput("\"command\" has the wrong type"));
}

TEST_CASE("daemon records: a create request takes sizes, refuses unknown fields and bad names", "[daemon]") {
    CreateRequest request = create_request_from_json(json::parse(
        R"({"image": "busybox", "kind": "vm", "name": "a.b-c_1", "limits": {"memory": "64M", "pids": 5}})"));
    CHECK(request.image == "busybox");
    CHECK(request.kind == glassvm::image::InstanceKind::Vm);
    CHECK(request.limits.memory_bytes == 64u << 20);
    CHECK(request.limits.pids == 5);
    CHECK_FALSE(create_request_from_json(json::parse(R"({"image": "x"})")).kind.has_value());
    CHECK_THROWS_MATCHES(create_request_from_json(json::parse(R"({"image": "x", "extra": 1})")), glassvm::Error,
                         IsBadInput("unknown field \"extra\""));
    CHECK_THROWS_MATCHES(create_request_from_json(json::parse(R"({"image": "x", "name": "a b"})")), glassvm::Error,
                         IsBadInput("is not 1-64 letters"));
    CHECK_THROWS_MATCHES(create_request_from_json(json::parse(R"({"image": "x", "limits": {"disk": 1}})")),
                         glassvm::Error, IsBadInput("unknown field \"disk\""));
    CHECK_THROWS_MATCHES(create_request_from_json(json::parse(R"({"image": "x", "kind": "zone"})")), glassvm::Error,
                         IsBadInput("zone"));
    CHECK_THROWS(create_request_from_json(json::parse(R"({"kind": "box"})")));  // no image
    CHECK_THROWS(create_request_from_json(json::parse(R"([1, 2])")));
}

TEST_CASE("daemon records: a box runs glassvm box run on its overlay, a vm boots the image's init", "[daemon]") {
    TemporaryDirectory layer;
    std::ofstream(layer.path / "probe") << "not really an ELF";
    glassvm::image::Image image;
    image.id = "sha256:" + std::string(64, 'c');
    image.config.command = {"/probe", "10"};
    image.config.env = {"A=1"};
    image.config.working_dir = "/srv";
    LaunchContext context{"/usr/bin/glassvm", "/state/instances/x", {layer.path}, {"B=2"}};

    Instance box;
    box.id = std::string(64, 'd');
    box.limits = {32 << 20, 10, 0.5};
    // The env goes to a file (the image's, then the request's), never onto the command line.
    CHECK(plan_launch(box, image, context) == "A=1\nB=2\n");
    CHECK(box.launch == std::vector<std::string>{"/usr/bin/glassvm",
                                                 "box",
                                                 "run",
                                                 "--rootfs",
                                                 "/state/instances/x/rootfs",
                                                 "--hostname",
                                                 "dddddddddddd",
                                                 "--workdir",
                                                 "/srv",
                                                 "--memory",
                                                 "33554432",
                                                 "--pids",
                                                 "10",
                                                 "--cpus",
                                                 "0.5",
                                                 "--env-file",
                                                 "/state/instances/x/env",
                                                 "--",
                                                 "/probe",
                                                 "10"});
    CHECK(box.lower_layers == std::vector<std::string>{layer.path.string()});

    Instance vm;
    vm.kind = glassvm::image::InstanceKind::Vm;
    vm.limits.cpus = 2;
    CHECK(plan_launch(vm, image, context).empty());  // a VM gets no environment
    CHECK(vm.launch == std::vector<std::string>{"/usr/bin/glassvm", "run", "--init", (layer.path / "probe").string(),
                                                "--cmdline", "-- 10", "--cpus", "2"});
    CHECK(vm.lower_layers.empty());

    Instance missing;
    missing.kind = glassvm::image::InstanceKind::Vm;
    missing.command = {"/nothing"};
    CHECK_THROWS_MATCHES(plan_launch(missing, image, context), glassvm::Error,
                         IsBadInput("no init program at /nothing"));
}

TEST_CASE("daemon records: an instance's state comes from its shim's files and whether the shim lives", "[daemon]") {
    TemporaryDirectory directory;
    CHECK(read_instance_state(directory.path).status == RunStatus::Created);

    auto self = identify_process(::getpid());
    REQUIRE(self.has_value());
    CHECK(is_alive(*self));
    CHECK_FALSE(is_alive({self->pid, self->start_time + 1}));  // same pid, another process
    CHECK_FALSE(identify_process(0).has_value());

    write_shim_record(directory.path, {*self, *self, "2026-11-28T23:00:00Z", {}});
    InstanceState running = read_instance_state(directory.path);
    CHECK(running.status == RunStatus::Running);
    CHECK(to_json(running)["pid"] == self->pid);

    write_shim_record(directory.path, {{self->pid, self->start_time + 1}, *self, "2026-11-28T23:00:00Z", {}});
    InstanceState lost = read_instance_state(directory.path);
    CHECK(lost.status == RunStatus::Exited);
    CHECK(lost.lost);
    CHECK(to_json(lost)["exit_status"].is_null());

    write_exit_record(directory.path, {7, "2026-11-28T23:00:01Z"});
    InstanceState exited = read_instance_state(directory.path);
    CHECK(exited.status == RunStatus::Exited);
    CHECK(exited.exit_status == 7);
    CHECK_FALSE(exited.lost);

    clear_run_records(directory.path);
    CHECK(read_instance_state(directory.path).status == RunStatus::Created);
}

TEST_CASE("daemon records: files are replaced whole, and a missing file reads as nothing", "[daemon]") {
    TemporaryDirectory directory;
    fs::path file = directory.path / "record.json";
    CHECK_FALSE(read_text_file(file).has_value());
    write_file_atomically(file, "first");
    write_file_atomically(file, "second");
    CHECK(read_text_file(file) == "second");
    CHECK(std::distance(fs::directory_iterator(directory.path), fs::directory_iterator()) == 1);  // no temporaries left
}

// The shim identifies its workload right after forking it; a workload that ends first is a
// zombie until the shim reaps it, and still has the identity it had while it ran.
TEST_CASE("daemon records: an exited child not yet reaped keeps its identity for its parent, but is not alive",
          "[daemon]") {
    int go[2];
    REQUIRE(::pipe(go) == 0);
    pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        ::close(go[1]);
        char byte;
        (void)!::read(go[0], &byte, 1);  // run until the parent has looked (EOF)
        ::_exit(0);
    }
    ::close(go[0]);
    auto running = identify_process(child);
    REQUIRE(running.has_value());
    CHECK(identify_child(child).has_value());

    ::close(go[1]);  // the child ends
    siginfo_t info{};
    REQUIRE(::waitid(P_PID, id_t(child), &info, WEXITED | WNOWAIT) == 0);  // exited, not reaped

    CHECK_FALSE(identify_process(child).has_value());
    CHECK_FALSE(is_alive(*running));
    auto exited = identify_child(child);
    REQUIRE(exited.has_value());
    CHECK(exited->pid == child);
    CHECK(exited->start_time == running->start_time);

    REQUIRE(::waitpid(child, nullptr, 0) == child);
    CHECK_FALSE(identify_child(child).has_value());  // reaped: gone
}

TEST_CASE("daemon records: a vm instance's accel is checked, recorded and passed to glassvm run", "[daemon][accel]") {
    using glassvm::AcceleratorChoice;
    CHECK(create_request_from_json(json::parse(R"({"image": "x", "accel": "soft"})")).accel == AcceleratorChoice::Soft);
    CHECK_FALSE(create_request_from_json(json::parse(R"({"image": "x", "accel": null})")).accel.has_value());
    CHECK_FALSE(create_request_from_json(json::parse(R"({"image": "x"})")).accel.has_value());
    CHECK_THROWS_MATCHES(create_request_from_json(json::parse(R"({"image": "x", "accel": "bogus"})")), glassvm::Error,
                         IsBadInput("accel: 'bogus' is not an accelerator (choose auto, kvm or soft)"));
    CHECK_THROWS_MATCHES(create_request_from_json(json::parse(R"({"image": "x", "accel": ["kvm"]})")), glassvm::Error,
                         IsBadInput("accel: [\"kvm\"] is not an accelerator"));

    // instance.json: recorded by name; a record from before the field reads as "none given".
    Instance instance = sample_instance();
    instance.accel = AcceleratorChoice::Kvm;
    json written = to_json(instance);
    CHECK(written["accel"] == "kvm");
    CHECK(instance_from_json(written).accel == AcceleratorChoice::Kvm);
    json old = to_json(sample_instance());
    CHECK(old["accel"].is_null());
    old.erase("accel");
    CHECK_FALSE(instance_from_json(old).accel.has_value());

    TemporaryDirectory layer;
    std::ofstream(layer.path / "probe") << "not really an ELF";
    glassvm::image::Image image;
    image.id = "sha256:" + std::string(64, 'c');
    image.config.command = {"/probe", "10"};
    LaunchContext context{"/usr/bin/glassvm", "/state/instances/x", {layer.path}, {}};
    Instance vm;
    vm.kind = glassvm::image::InstanceKind::Vm;
    vm.accel = AcceleratorChoice::Soft;
    plan_launch(vm, image, context);
    CHECK(vm.launch == std::vector<std::string>{"/usr/bin/glassvm", "run", "--init", (layer.path / "probe").string(),
                                                "--cmdline", "-- 10", "--accel", "soft"});
    Instance box;
    box.id = std::string(64, 'd');
    box.accel = AcceleratorChoice::Auto;
    CHECK_THROWS_MATCHES(plan_launch(box, image, context), glassvm::Error,
                         IsBadInput("accel: a box runs on the host's kernel"));
}
