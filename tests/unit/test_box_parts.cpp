// Unit tests for the pure parts of glassvm box: cgroup file values (v1 and v2), parsing
// /proc/self/mountinfo and /proc/self/cgroup, OOM counters, mount options, and `box run`'s
// options turned into a ContainerConfig.
#include <sched.h>
#include <sys/mount.h>

#include <catch2/catch.hpp>

#include <CLI/CLI.hpp>

#include "app/box_command.hpp"
#include "base/error.hpp"
#include "container/cgroups.hpp"
#include "container/mounts.hpp"

using namespace glassvm::container;

namespace {

std::string joined(const std::vector<CgroupFileWrite>& writes) {
    std::string text;
    for (const CgroupFileWrite& write : writes)
        text += write.file + "=" + write.value + (write.optional ? "?" : "") + "\n";
    return text;
}

}  // namespace

TEST_CASE("cgroups: limits become v2 files", "[box]") {
    ResourceLimits limits;
    limits.memory_bytes = 64ull << 20;
    limits.pids = 20;
    limits.cpu = CpuQuota{50000, 100000};
    CHECK(joined(limit_writes(limits, CgroupVersion::V2)) ==
          "memory.max=67108864\nmemory.swap.max=0?\npids.max=20\ncpu.max=50000 100000\n");
}

TEST_CASE("cgroups: limits become v1 files, devices restricted", "[box]") {
    ResourceLimits limits;
    limits.memory_bytes = 16ull << 20;
    limits.pids = 5;
    limits.cpu = CpuQuota{25000, 100000};
    std::string text = joined(limit_writes(limits, CgroupVersion::V1));
    CHECK_THAT(text,
               Catch::StartsWith("memory.limit_in_bytes=16777216\nmemory.memsw.limit_in_bytes=16777216?\npids.max=5\n"
                                 "cpu.cfs_period_us=100000\ncpu.cfs_quota_us=25000\ndevices.deny=a\n"));
    CHECK_THAT(text, Catch::Contains("devices.allow=c 1:3 rwm?") && Catch::Contains("devices.allow=c 136:* rwm?"));
    CHECK_THAT(text, !Catch::Contains("*:*"));  // no mknod of any node (device_policy.hpp)
    limits = {};
    limits.restrict_devices = false;
    CHECK(limit_writes(limits, CgroupVersion::V1).empty());
}

TEST_CASE("cgroups: mountinfo of a hybrid host", "[box]") {
    const char* mountinfo =
        "25 31 0:22 / /sys rw,nosuid - sysfs sysfs rw\n"
        "30 25 0:26 / /sys/fs/cgroup ro - tmpfs tmpfs ro,mode=755\n"
        "31 30 0:27 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw,nsdelegate\n"
        "33 30 0:29 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n"
        "34 30 0:30 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"
        "35 30 0:31 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,xattr,name=systemd\n"
        "36 30 0:32 /sub /mnt/with\\040space rw - cgroup cgroup rw,pids\n";
    std::vector<CgroupMount> mounts = parse_cgroup_mounts(mountinfo);
    REQUIRE(mounts.size() == 5);
    CHECK(mounts[0].version == CgroupVersion::V2);
    CHECK(mounts[0].mount_point == "/sys/fs/cgroup/unified");
    CHECK(mounts[1].controllers == std::vector<std::string>{"cpu", "cpuacct"});
    CHECK(mounts[3].controllers == std::vector<std::string>{"name=systemd"});
    CHECK(mounts[4].mount_point == "/mnt/with space");
    CHECK(mounts[4].root == "/sub");
}

TEST_CASE("cgroups: /proc/self/cgroup lines", "[box]") {
    std::vector<CgroupMembership> memberships = parse_proc_cgroup("4:memory:/a/b\n2:cpu,cpuacct:/\n0::/user.slice\n");
    REQUIRE(memberships.size() == 3);
    CHECK(memberships[0].controllers == std::vector<std::string>{"memory"});
    CHECK(memberships[0].path == "/a/b");
    CHECK(memberships[1].controllers.size() == 2);
    CHECK(memberships[2].controllers.empty());
    CHECK(memberships[2].path == "/user.slice");
}

TEST_CASE("cgroups: OOM kill counters from v1 and v2 files", "[box]") {
    CHECK(parse_oom_kills("oom_kill_disable 0\nunder_oom 0\noom_kill 2\n") == 2);
    CHECK(parse_oom_kills("low 0\nhigh 0\nmax 7\noom 1\noom_kill 1\noom_group_kill 0\n") == 1);
    CHECK(parse_oom_kills("") == 0);
}

TEST_CASE("mounts: options become flags and data", "[box]") {
    MountOptions options = parse_mount_options({"nosuid", "strictatime", "mode=755", "size=65536k", "ro"});
    CHECK(options.flags == (MS_NOSUID | MS_STRICTATIME | MS_RDONLY));
    CHECK(options.data == "mode=755,size=65536k");
    CHECK_FALSE(options.bind());
    options = parse_mount_options({"rbind", "ro", "rw", "rprivate"});
    CHECK(options.flags == (MS_BIND | MS_REC));
    CHECK(options.propagation == (MS_PRIVATE | MS_REC));
    CHECK(options.bind());
}

TEST_CASE("mounts: destinations stay inside the root", "[box]") {
    CHECK_THROWS_WITH(path_in_root("/nonexistent-root", "proc"), Catch::Contains("not an absolute path"));
    CHECK_THROWS_WITH(path_in_root("/nonexistent-root", "/../etc"), Catch::Contains("contains '..'"));
}

TEST_CASE("box run: options become a ContainerConfig", "[box]") {
    CLI::App app;
    glassvm::BoxOptions options;
    glassvm::add_box_command(app, options);
    std::vector<std::string> args = {"box",  "run",      "--rootfs", "/r",     "--hostname", "h",      "--workdir",
                                     "/srv", "--memory", "32M",      "--pids", "10",         "--cpus", "0.5",
                                     "-e",   "A=1",      "--",       "sh",     "-c",         "echo hi"};
    std::reverse(args.begin(), args.end());
    app.parse(args);
    ContainerConfig config = glassvm::to_container_config(options);
    CHECK(config.rootfs == "/r");
    CHECK(config.args == std::vector<std::string>{"sh", "-c", "echo hi"});
    CHECK(config.hostname == "h");
    CHECK(config.cwd == "/srv");
    CHECK(config.resources.memory_bytes == 32ull << 20);
    CHECK(config.resources.pids == 10u);
    REQUIRE(config.resources.cpu);
    CHECK(config.resources.cpu->quota_us == 50000);
    CHECK(config.env.back() == "A=1");
    CHECK(config.namespaces ==
          (CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWCGROUP));
    CHECK_FALSE(config.readonly_root);
}

TEST_CASE("box run: unusable options are BadInput errors", "[box]") {
    glassvm::BoxOptions options;
    options.command = {"true"};
    CHECK_THROWS_WITH(glassvm::to_container_config(options), Catch::Contains("needs --rootfs DIR or --bundle DIR"));
    options.rootfs = "/r";
    options.memory = "1K";
    CHECK_THROWS_WITH(glassvm::to_container_config(options), Catch::Contains("too small"));
    options.memory = "";  // given but empty: an error, not "no limit"
    CHECK_THROWS_WITH(glassvm::to_container_config(options), Catch::Contains("--memory: '' is not a size"));
    options.memory.reset();
    options.cpus = 0.0;
    CHECK_THROWS_WITH(glassvm::to_container_config(options), Catch::Contains("--cpus"));
    options.cpus.reset();
    options.command.clear();
    CHECK_THROWS_WITH(glassvm::to_container_config(options), Catch::Contains("no command given"));
    options.command = {"true"};
    options.env = {"NOEQUALS"};
    CHECK_THROWS_WITH(glassvm::to_container_config(options), Catch::Contains("is not KEY=VALUE"));
}
