// The daemon verbs of the CLI (see client_commands.hpp).
#include "daemon/client_commands.hpp"

#include <fstream>
#include <iostream>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "base/error.hpp"
#include "daemon/api_client.hpp"
#include "daemon/places.hpp"
#include "vmm/run/accelerator_choice.hpp"

namespace glassvm::daemon {

using nlohmann::json;

namespace {

struct CreateOptions {
    std::string name, kind, memory, accel;
    unsigned pids = 0;
    double cpus = 0;
    std::vector<std::string> env, command;
};

std::string short_id(const std::string& id) {
    std::string hex = id.starts_with("sha256:") ? id.substr(7) : id;
    return hex.substr(0, 12);
}

std::string join(const json& words) {
    std::string text;
    for (const auto& word : words) text += (text.empty() ? "" : " ") + word.get<std::string>();
    return text;
}

std::string status_text(const json& state) {
    std::string status = state["status"];
    if (status == "exited")
        return state["lost"].get<bool>() ? "exited (?)" : fmt::format("exited ({})", state["exit_status"].get<int>());
    return status;
}

void print_instances(const json& list) {
    fmt::print("{:<13} {:<16} {:<4} {:<12} {:<13} {}\n", "ID", "NAME", "KIND", "STATUS", "IMAGE", "COMMAND");
    for (const json& instance : list)
        fmt::print("{:<13} {:<16} {:<4} {:<12} {:<13} {}\n", short_id(instance["id"]),
                   instance["name"].get<std::string>(), instance["kind"].get<std::string>(),
                   status_text(instance["state"]), short_id(instance["image"]), join(instance["command"]));
}

void print_images(const json& list) {
    fmt::print("{:<13} {:<24} {:<4} {:<6} {}\n", "ID", "NAME", "KIND", "LAYERS", "CREATED");
    for (const json& image : list)
        fmt::print("{:<13} {:<24} {:<4} {:<6} {}\n", short_id(image["id"]), image["name"].get<std::string>(),
                   image["config"]["kind"].get<std::string>(), image["layers"].size(),
                   image["created"].get<std::string>());
}

json create_body(const CreateOptions& create, const std::string& image) {
    json body = {{"image", image}};
    if (!create.name.empty()) body["name"] = create.name;
    if (!create.kind.empty()) body["kind"] = create.kind;
    if (!create.command.empty()) body["command"] = create.command;
    if (!create.env.empty()) body["env"] = create.env;
    if (!create.accel.empty()) body["accel"] = create.accel;
    json limits = json::object();
    if (!create.memory.empty()) limits["memory"] = create.memory;
    if (create.pids != 0) limits["pids"] = create.pids;
    if (create.cpus != 0) limits["cpus"] = create.cpus;
    if (!limits.empty()) body["limits"] = limits;
    return body;
}

std::string read_whole_file(const std::string& path) {
    std::ifstream file(path, std::ios::binary);
    if (!file) throw_bad_input("cannot read {}", path);
    std::ostringstream bytes;
    bytes << file.rdbuf();
    return bytes.str();
}

std::string encode(const std::string& text) { return httplib::detail::encode_query_param(text); }

// What every verb shares: the client, printing (JSON or human), the --socket and --json options.
struct Verbs {
    CLI::App& app;
    ClientOptions& options;

    ApiClient client() const { return ApiClient(socket_path(options.socket)); }
    void output(const json& body, const std::function<void(const json&)>& human) const {
        if (options.json)
            fmt::print("{}\n", body.dump(2));
        else
            human(body);
    }
    CLI::App* add(const char* name, const char* help) const {
        CLI::App* command = app.add_subcommand(name, help);
        command->add_option("--socket", options.socket,
                            "The daemon's socket (default: GLASSVM_SOCKET or the system one)");
        command->add_flag("--json", options.json, "Print the daemon's JSON answer");
        return command;
    }
};

void add_listing_verbs(const Verbs& verbs) {
    verbs.add("ps", "List instances")->callback([verbs] {
        verbs.output(verbs.client().get("/instances"), print_instances);
    });
    verbs.add("images", "List images")->callback([verbs] {
        verbs.output(verbs.client().get("/images"), print_images);
    });
    // Without --json, which accelerators this machine offers comes first and needs no daemon.
    verbs
        .add("info",
             "Which accelerators run VMs here and what --accel auto picks; the daemon's version, KVM and "
             "cgroup mode")
        ->callback([verbs] {
            if (verbs.options.json) {
                fmt::print("{}\n", verbs.client().get("/info").dump(2));
                return;
            }
            for (const std::string& line : describe(probe_accelerators())) fmt::print("{}\n", line);
            std::filesystem::path socket = socket_path(verbs.options.socket);
            if (daemon_answers(socket))
                fmt::print("daemon: {}\n", verbs.client().get("/info").dump(2));
            else
                fmt::print("daemon: none answers at {}\n", socket.string());
        });
    auto id = std::make_shared<std::string>();
    CLI::App* inspect = verbs.add("inspect", "Print an instance's JSON");
    inspect->add_option("id", *id)->required();
    inspect->callback([verbs, id] { fmt::print("{}\n", verbs.client().get("/instances/" + *id).dump(2)); });
}

void add_create_verb(const Verbs& verbs) {
    auto create = std::make_shared<CreateOptions>();
    auto image = std::make_shared<std::string>();
    CLI::App* command = verbs.add("create", "Create an instance of an image (box or vm); prints its id");
    command->add_option("--name", create->name, "A unique name");
    command->add_option("--kind", create->kind, "box or vm (default: the image's)");
    command->add_option("--memory", create->memory, "Memory limit (box) or guest RAM (vm), e.g. 64M");
    command->add_option("--pids", create->pids, "Most processes (box)");
    command->add_option("--cpus", create->cpus, "CPU share (box) or vCPUs (vm)");
    command->add_option("--accel", create->accel,
                        "vm: auto, kvm or soft (default: glassvm run's, GLASSVM_ACCEL or auto)");
    command->add_option("-e,--env", create->env, "KEY=VALUE (repeatable)")->allow_extra_args(false);
    command->add_option("image", *image, "Image name or id")->required();
    command->add_option("command", create->command, "Command and arguments (after --)");
    command->callback([verbs, create, image] {
        verbs.output(verbs.client().post("/instances", create_body(*create, *image)),
                     [](const json& body) { fmt::print("{}\n", body["id"].get<std::string>()); });
    });
}

void add_lifecycle_verbs(const Verbs& verbs) {
    auto ids = std::make_shared<std::vector<std::string>>();
    CLI::App* start = verbs.add("start", "Start instances");
    start->add_option("id", *ids)->required();
    start->callback([verbs, ids] {
        for (auto& id : *ids) verbs.client().post("/instances/" + id + "/start");
    });
    auto seconds = std::make_shared<double>(10);
    CLI::App* stop = verbs.add("stop", "Stop instances: SIGTERM, then SIGKILL after -t seconds");
    stop->add_option("-t,--time", *seconds, "Grace period in seconds")->capture_default_str();
    stop->add_option("id", *ids)->required();
    stop->callback([verbs, ids, seconds] {
        for (auto& id : *ids) verbs.client().post(fmt::format("/instances/{}/stop?t={}", id, *seconds));
    });
    auto force = std::make_shared<bool>(false);
    CLI::App* rm = verbs.add("rm", "Remove instances");
    rm->add_flag("-f,--force", *force, "Kill a running instance first");
    rm->add_option("id", *ids)->required();
    rm->callback([verbs, ids, force] {
        for (auto& id : *ids) verbs.client().remove("/instances/" + id + (*force ? "?force=1" : ""));
    });
}

void add_output_verbs(const Verbs& verbs) {
    auto id = std::make_shared<std::string>();
    auto follow = std::make_shared<bool>(false);
    CLI::App* logs = verbs.add("logs", "Print an instance's output");
    logs->add_flag("-f,--follow", *follow, "Keep printing until it exits");
    logs->add_option("id", *id)->required();
    logs->callback([verbs, id, follow] {
        verbs.client().stream("/instances/" + *id + "/logs" + (*follow ? "?follow=1" : ""),
                              [](const char* data, size_t length) {
                                  std::fwrite(data, 1, length, stdout);
                                  std::fflush(stdout);
                              });
    });
    CLI::App* wait = verbs.add("wait", "Wait for an instance to exit; exits with its status");
    wait->add_option("id", *id)->required();
    wait->callback([verbs, id] {
        json body = verbs.client().post("/instances/" + *id + "/wait");
        verbs.output(body, [](const json& answer) { fmt::print("{}\n", answer["status"].dump()); });
        verbs.options.status = body["status"].is_number() ? body["status"].get<int>() : 1;
    });
}

void add_image_verbs(const Verbs& verbs) {
    auto name = std::make_shared<std::string>();
    CLI::App* rmi = verbs.add("rmi", "Remove an image");
    rmi->add_option("image", *name)->required();
    rmi->callback([verbs, name] { verbs.client().remove("/images/" + *name); });

    auto tar = std::make_shared<std::string>();
    auto config = std::make_shared<std::string>();
    CLI::App* import = verbs.add("import", "Import a root filesystem tar as a one-layer image");
    import->add_option("--config", *config,
                       R"(Image config JSON: {"kind","command","env","vm":{"kernel","init","cmdline"}})");
    import->add_option("tar", *tar)->required();
    import->add_option("name", *name, "name:tag");
    import->callback([verbs, tar, config, name] {
        std::string path = "/images/import?name=" + encode(*name) + "&config=" + encode(*config);
    verbs.output(verbs.client().post_file(path, read_whole_file(*tar), "application/x-tar"),
                 [](const json& body) { fmt::print("{}\n", body["id"].get<std::string>()); });
});

auto context = std::make_shared<std::string>();
CLI::App* build = verbs.add("build", "Build an image from DIR/Glassfile");
build->add_option("-t,--tag", *name, "name:tag");
build->add_option("context", *context, "The directory holding the Glassfile")->required();
build->callback([verbs, name, context] {
    json body = {{"context", std::filesystem::absolute(*context).string()}, {"name", *name}};
    verbs.output(verbs.client().post("/images/build", body), [](const json& answer) {
        fmt::print("{}{}\n", answer["progress"].get<std::string>(), answer["image"]["id"].get<std::string>());
    });
});
}  // namespace

}  // namespace glassvm::daemon

void add_client_commands(CLI::App& app, ClientOptions& options) {
    Verbs verbs{app, options};
    add_listing_verbs(verbs);
    add_create_verb(verbs);
    add_lifecycle_verbs(verbs);
    add_output_verbs(verbs);
    add_image_verbs(verbs);
}

}  // namespace glassvm::daemon
