// The API handlers' shared helpers: JSON replies, errors as {"message": …}, strict bodies.
#include "daemon/api_context.hpp"

#include "base/error.hpp"
#include "daemon/api_error.hpp"

namespace glassvm::daemon {

using nlohmann::json;

void reply_json(httplib::Response& response, const json& body, int status) {
    response.status = status;
    // Bytes that are not UTF-8 (a path's, echoed in a message) become U+FFFD instead of throwing.
    response.set_content(body.dump(2, ' ', false, json::error_handler_t::replace) + "\n", "application/json");
}

void reply_error(httplib::Response& response, int status, const std::string& message) {
    reply_json(response, {{"message", message}}, status);
}

LongRequest::LongRequest(ApiContext& context) : m_context(context) {
    if (!context.long_requests.try_acquire())
        throw ApiError(503, fmt::format("{} waits and log follows are under way, the most the daemon serves at once: "
                                        "try again later",
                                        kMaxLongRequests));
}

json json_body(const httplib::Request& request) {
    if (request.body.size() > kMaxJsonBodyBytes)
        throw ApiError(413, fmt::format("the request body is {} bytes; at most {} are accepted", request.body.size(),
                                        kMaxJsonBodyBytes));
    try {
        return json::parse(request.body.empty() ? std::string("{}") : request.body);
    } catch (const json::exception& error) {
        throw Error(ErrorKind::BadInput, std::string("the request body is not valid JSON: ") + error.what());
    }
}

Handler guarded(Handler handler) {
    return [handler = std::move(handler)](const httplib::Request& request, httplib::Response& response) {
        try {
            handler(request, response);
        } catch (const ApiError& error) {
            reply_error(response, error.http_status(), error.what());
        } catch (const Error& error) {
            reply_error(response, error.kind() == ErrorKind::BadInput ? 400 : 500, error.what());
        } catch (const json::exception& error) {
            reply_error(response, 400, error.what());
        } catch (const std::exception& error) {
            reply_error(response, 500, error.what());
        }
    };
}

}  // namespace glassvm::daemon
