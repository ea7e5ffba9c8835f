// The errors the API answers with their own HTTP status: 404 for an unknown image or
// instance, 409 for a request the resource's state forbids (removing a running instance).
// A glassvm::Error of kind BadInput answers 400 and any other failure 500 (api_server.cpp).
#pragma once

#include <stdexcept>
#include <string>

#include <fmt/format.h>

namespace glassvm::daemon {

class ApiError : public std::runtime_error {
public:
    ApiError(int http_status, std::string message)
            : std::runtime_error(std::move(message)), m_http_status(http_status) {}
    int http_status() const { return m_http_status; }

private:
    int m_http_status;
};

template <typename... Args>
[[noreturn]] void throw_not_found(fmt::format_string<Args...> format, Args&&... args) {
    throw ApiError(404, fmt::format(format, std::forward<Args>(args)...));
}

template <typename... Args>
[[noreturn]] void throw_conflict(fmt::format_string<Args...> format, Args&&... args) {
    throw ApiError(409, fmt::format(format, std::forward<Args>(args)...));
}

}  // namespace glassvm::daemon
