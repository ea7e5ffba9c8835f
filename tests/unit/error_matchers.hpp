// Catch2 matchers for glassvm::Error, shared by the unit tests.
#pragma once

#include <catch2/catch.hpp>

#include <string>

#include "base/error.hpp"

namespace glassvm::test {

// Matches a glassvm::Error of kind BadInput whose message contains `text`.
class IsBadInput : public Catch::MatcherBase<glassvm::Error> {
public:
    explicit IsBadInput(std::string text) : m_text(std::move(text)) {}
    bool match(const glassvm::Error& error) const override {
        return error.kind() == ErrorKind::BadInput && std::string(error.what()).find(m_text) != std::string::npos;
    }
    std::string describe() const override { return "is a BadInput error containing \"" + m_text + "\""; }

private:
    std::string m_text;
};

}  // namespace glassvm::test
