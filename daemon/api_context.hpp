// What the API's request handlers share, and the helpers every handler uses: the JSON error
// body, strict request-body parsing, and the wrapper that turns exceptions into status codes.
#pragma once

#include <filesystem>
#include <functional>
#include <mutex>
#include <semaphore>
#include <stop_token>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "daemon/instance_manager.hpp"
#include "image/image_store.hpp"

namespace glassvm::daemon {

// The largest JSON request body; a bigger one is answered 413 (image tars have their own,
// larger limit: kMaxUploadBytes in api_server.cpp).
constexpr std::size_t kMaxJsonBodyBytes = 1 << 20;

// Waits and log follows hold their connection, and its thread, for as long as an instance runs;
// at most this many at once (more are answered 503), so that they can never take every
// connection the server serves (kMaxConnections in api_server.cpp is twice as many).
constexpr std::ptrdiff_t kMaxLongRequests = 256;

struct ApiContext {
    std::filesystem::path root;
    std::filesystem::path socket;
    std::filesystem::path glassvm_program;  // glassvm build runs as this program
    image::ImageStore& images;
    std::mutex& images_mutex;  // one image change (import, build, remove) at a time
    InstanceManager& instances;
    std::counting_semaphore<kMaxLongRequests> long_requests{kMaxLongRequests};
    std::stop_source stopping{};  // requested when the daemon stops: long requests end
};

// One of the kMaxLongRequests places, held for its lifetime; ApiError 503 when none is free.
class LongRequest {
public:
    explicit LongRequest(ApiContext& context);
    ~LongRequest() { m_context.long_requests.release(); }
    LongRequest(const LongRequest&) = delete;
    LongRequest& operator=(const LongRequest&) = delete;

private:
    ApiContext& m_context;
};

using Handler = std::function<void(const httplib::Request&, httplib::Response&)>;

// Runs `handler`, answering {"message": …} with 400 (bad input, malformed JSON), 404 / 409
// (ApiError) or 500 (anything else) when it throws.
Handler guarded(Handler handler);

void reply_json(httplib::Response& response, const nlohmann::json& body, int status = 200);
void reply_error(httplib::Response& response, int status, const std::string& message);

// The request body as a JSON object: 413 when over kMaxJsonBodyBytes, 400 when malformed.
nlohmann::json json_body(const httplib::Request& request);

// Removes the temporary import tars (import-*.tar in <root>/tmp) a daemon killed mid-import left.
void remove_stale_imports(const std::filesystem::path& root);

void add_info_routes(httplib::Server& server, ApiContext& context);
void add_image_routes(httplib::Server& server, ApiContext& context);
void add_instance_routes(httplib::Server& server, ApiContext& context);

}  // namespace glassvm::daemon
