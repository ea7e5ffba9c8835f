// The instance routes:
//   GET    /instances                    list
//   POST   /instances                    create {"image", "kind", "name", "command", "env", "limits", "accel"}
//   GET    /instances/{id}               inspect
//   POST   /instances/{id}/start         start (409 if running)
//   POST   /instances/{id}/stop?t=SEC    SIGTERM, SIGKILL after SEC (default 10) (409 unless running)
//   POST   /instances/{id}/wait          {"status": N} once it has exited (null when lost)
//   GET    /instances/{id}/logs[?follow=1]   its output; with follow, streamed until it exits
// wait and logs?follow are long requests: at most kMaxLongRequests at once (api_context.hpp).
//   DELETE /instances/{id}[?force=1]     remove (409 if running, unless force)
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <thread>

#include "base/error.hpp"
#include "base/fd.hpp"
#include "base/file.hpp"
#include "daemon/api_context.hpp"

namespace glassvm::daemon {

using nlohmann::json;

namespace {

constexpr double kDefaultStopSeconds = 10;
constexpr auto kFollowInterval = std::chrono::milliseconds(50);

json describe(const Instance& instance, const InstanceState& state) {
    json object = to_json(instance);
    object.erase("lower_layers");
    object["state"] = to_json(state);
    return object;
}

std::chrono::milliseconds stop_grace(const httplib::Request& request) {
    if (!request.has_param("t")) return std::chrono::milliseconds(static_cast<long>(kDefaultStopSeconds * 1000));
    std::string text = request.get_param_value("t");
    double seconds = -1;
    try {
        size_t used = 0;
        seconds = std::stod(text, &used);
        if (used != text.size()) seconds = -1;
    } catch (const std::exception&) {}
    if (!(seconds >= 0 && seconds <= 3600)) throw_bad_input("t={} is not a number of seconds from 0 to 3600", text);
    return std::chrono::milliseconds(std::lround(seconds * 1000));
}

bool flag(const httplib::Request& request, const char* name) {
    std::string value = request.get_param_value(name);
    return value == "1" || value == "true";
}

// Streams the log file from `offset` on; ends (done) once the instance is not running and
// everything written has been sent.
// It holds a LongRequest place while it streams, and breaks off when the daemon stops.
class LogFollower {
public:
    LogFollower(ApiContext& context, std::string id, std::filesystem::path path)
            : m_place(context),
              m_instances(context.instances),
              m_stop(context.stopping.get_token()),
              m_id(std::move(id)),
              m_fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {}

    bool provide(httplib::DataSink& sink) {
        if (m_stop.stop_requested()) return false;
        bool running = m_instances.is_running(m_id);  // read before the file: no final bytes are missed
        char buffer[16384];
        ssize_t count = m_fd ? ::read(m_fd.get(), buffer, sizeof buffer) : 0;
        if (count > 0) return sink.write(buffer, static_cast<size_t>(count));
        if (!running) {
            sink.done();
            return true;
        }
        std::this_thread::sleep_for(kFollowInterval);
        return sink.is_writable();
    }

private:
    LongRequest m_place;
    InstanceManager& m_instances;
    std::stop_token m_stop;
    std::string m_id;
    glassvm::Fd m_fd;
};

void logs(ApiContext& context, const httplib::Request& request, httplib::Response& response) {
    auto [instance, state] = context.instances.inspect(request.matches[1]);
    std::filesystem::path path = context.instances.log_path(instance.id);
    if (!flag(request, "follow")) {
        auto text = read_text_file(path);
        response.set_content(text.value_or(""), "text/plain");
        return;
    }
    auto follower = std::make_shared<LogFollower>(context, instance.id, path);
    response.set_chunked_content_provider(
        "text/plain", [follower](size_t, httplib::DataSink& sink) { return follower->provide(sink); });
}

void add_verbs(httplib::Server& server, ApiContext& context) {
    auto& instances = context.instances;
    server.Post("/instances/([^/]+)/start",
                guarded([&instances](const httplib::Request& request, httplib::Response& response) {
                    instances.start(request.matches[1]);
                    response.status = 204;
                }));
    server.Post("/instances/([^/]+)/stop",
                guarded([&instances](const httplib::Request& request, httplib::Response& response) {
                    instances.stop(request.matches[1], stop_grace(request));
                    response.status = 204;
                }));
    server.Post(
        "/instances/([^/]+)/wait", guarded([&context](const httplib::Request& request, httplib::Response& response) {
            LongRequest place(context);
            std::optional<int> status = context.instances.wait(request.matches[1], context.stopping.get_token());
            reply_json(response, {{"status", status ? json(*status) : json(nullptr)}});
        }));
    server.Get("/instances/([^/]+)/logs",
               guarded([&context](const httplib::Request& request, httplib::Response& response) {
                   logs(context, request, response);
               }));
}

}  // namespace

void add_instance_routes(httplib::Server& server, ApiContext& context) {
    auto& instances = context.instances;
    server.Get("/instances", guarded([&instances](const httplib::Request&, httplib::Response& response) {
                   json list = json::array();
                   for (const auto& [instance, state] : instances.list()) list.push_back(describe(instance, state));
                   reply_json(response, list);
               }));
    server.Post("/instances", guarded([&instances](const httplib::Request& request, httplib::Response& response) {
                    Instance instance = instances.create(create_request_from_json(json_body(request)));
                    reply_json(response, describe(instance, InstanceState{}), 201);
                }));
    server.Get("/instances/([^/]+)",
               guarded([&instances](const httplib::Request& request, httplib::Response& response) {
                   auto [instance, state] = instances.inspect(request.matches[1]);
                   reply_json(response, describe(instance, state));
               }));
    server.Delete("/instances/([^/]+)",
                  guarded([&instances](const httplib::Request& request, httplib::Response& response) {
                      instances.remove(request.matches[1],
                                       flag(request, "force") ? RemoveMode::KillRunning : RemoveMode::RefuseRunning);
                      response.status = 204;
                  }));
    add_verbs(server, context);
}

}  // namespace glassvm::daemon
