// Guest RAM: one anonymous host mapping that the guest sees as physical [0, size). Every
// access from the VMM is bounds-checked here, so a guest-supplied address can never make the
// VMM touch host memory outside the mapping.
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <type_traits>

#include "base/mapping.hpp"

namespace glassvm {

class GuestMemory {
public:
    // Reserves `size` bytes with MAP_NORESERVE: a 1 GiB guest costs only the pages it touches.
    static GuestMemory allocate(uint64_t size);

    uint64_t size() const { return m_mapping.size(); }
    uint8_t* host_base() const { return m_mapping.data(); }

    // True when guest-physical [address, address + length) lies inside RAM.
    bool contains(uint64_t address, uint64_t length) const { return address <= size() && length <= size() - address; }

    // The host view of guest-physical [address, address + length), or nullopt when any of it
    // lies outside RAM.
    std::optional<std::span<uint8_t>> try_slice(uint64_t address, uint64_t length) const {
        if (!contains(address, length)) return std::nullopt;
        return std::span<uint8_t>(host_base() + address, length);
    }
    // As try_slice, but a range outside RAM is an Error (a VMM bug: callers check first).
    std::span<uint8_t> slice(uint64_t address, uint64_t length) const;

    // Makes guest-physical [address, address + length) read as zeros without writing the whole
    // pages in it: those go back to the kernel (MADV_DONTNEED; RAM is private and anonymous, so
    // the next read sees the zero page and the next write a fresh zeroed page), and only the
    // partial pages at the ends are cleared byte by byte. A kernel's .bss and stacks (~0.5 MiB
    // of the bundled guest) then cost no page faults until the guest uses them. Throws as slice.
    void zero(uint64_t address, uint64_t length) const;

    template <typename T>
    void write_object(uint64_t address, const T& value) const {
        static_assert(std::is_trivially_copyable_v<T>);
        std::memcpy(slice(address, sizeof(T)).data(), &value, sizeof(T));
    }
    template <typename T>
    T read_object(uint64_t address) const {
        static_assert(std::is_trivially_copyable_v<T>);
        T value;
        std::memcpy(&value, slice(address, sizeof(T)).data(), sizeof(T));
        return value;
    }

private:
    explicit GuestMemory(Mapping mapping) : m_mapping(std::move(mapping)) {}

    Mapping m_mapping;
};

}  // namespace glassvm
