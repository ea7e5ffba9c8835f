// A move-only owner of one mmap()ed region: guest RAM, a vCPU's kvm_run page.
#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <cstdint>
#include <utility>

#include "base/error.hpp"

namespace glassvm {

class Mapping {
public:
    Mapping() = default;

    // mmap(nullptr, length, protection, flags, fd, offset); throws Error naming `what`.
    static Mapping create(std::string_view what, size_t length, int protection, int flags, int fd = -1,
                          off_t offset = 0) {
        void* address = ::mmap(nullptr, length, protection, flags, fd, offset);
        if (address == MAP_FAILED) throw Error::from_errno(what, errno);
        return Mapping(static_cast<uint8_t*>(address), length);
    }

    Mapping(Mapping&& other) noexcept
            : m_address(std::exchange(other.m_address, nullptr)), m_length(std::exchange(other.m_length, 0)) {}
    Mapping& operator=(Mapping&& other) noexcept {
        if (this != &other) {
            reset();
            m_address = std::exchange(other.m_address, nullptr);
            m_length = std::exchange(other.m_length, 0);
        }
        return *this;
    }
    Mapping(const Mapping&) = delete;
    Mapping& operator=(const Mapping&) = delete;
    ~Mapping() { reset(); }

    uint8_t* data() const { return m_address; }
    size_t size() const { return m_length; }

    void reset() {
        if (m_address) ::munmap(m_address, m_length);
        m_address = nullptr;
        m_length = 0;
    }

private:
    Mapping(uint8_t* address, size_t length) : m_address(address), m_length(length) {}

    uint8_t* m_address = nullptr;
    size_t m_length = 0;
};

}  // namespace glassvm
