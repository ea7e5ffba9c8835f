// What the API's request handlers share, and the helpers every handler uses: the JSON error
// body, strict request-body parsing, and the wrapper that turns exceptions into status codes.
#pragma once

#include <filesystem>
#include <functional>
#include <mutex>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "daemon/instance_manager.hpp"
#include "image/image_store.hpp"

namespace glassvm::daemon {

// The largest JSON request body; a bigger one is answered 413 (image tars have their own,
// larger limit: kMaxUploadBytes in api_server.cpp).
constexpr std::size_t kMaxJsonBodyBytes = 1 << 20;

struct ApiContext {
    std::filesystem::path root;
    std::filesystem::path socket;
    std::filesystem::path glassvm_program;  // glassvm build runs as this program
    image::ImageStore& images;
    std::mutex& images_mutex;  // one image change (import, build, remove) at a time
    InstanceManager& instances;
};

using Handler = std::function<void(const httplib::Request&, httplib::Response&)>;

// Runs `handler`, answering {"message": …} with 400 (bad input, malformed JSON), 404 / 409
// (ApiError) or 500 (anything else) when it throws.
Handler guarded(Handler handler);

void reply_json(httplib::Response& response, const nlohmann::json& body, int status = 200);
void reply_error(httplib::Response& response, int status, const std::string& message);

// The request body as a JSON object: 413 when over kMaxJsonBodyBytes, 400 when malformed.
nlohmann::json json_body(const httplib::Request& request);

void add_info_routes(httplib::Server& server, ApiContext& context);
void add_image_routes(httplib::Server& server, ApiContext& context);
void add_instance_routes(httplib::Server& server, ApiContext& context);

}  // namespace glassvm::daemon
