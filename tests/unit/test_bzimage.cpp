// Unit tests for the Linux boot protocol: setup-header checks over crafted good and malformed
// bzImages (each refusal's message), the load address, boot_params fields, the 64-bit entry
// state, and — when scripts/fetch-linux has cached it — Debian's real bzImage header.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

#include "error_matchers.hpp"
#include "vmm/accel/guest_memory.hpp"
#include "vmm/loader/bzimage.hpp"
#include "vmm/loader/e820.hpp"
#include "vmm/x86/cpu_state.hpp"
#include "vmm/x86/gdt.hpp"
#include "vmm/x86/layout.hpp"

using namespace glassvm;
using glassvm::test::IsBadInput;

namespace {

constexpr uint64_t kHeaderEnd = 0x26c;  // protocol 2.15's header ends after kernel_info_offset

template <typename T>
void put(std::vector<uint8_t>& file, uint64_t offset, T value) {
    std::memcpy(file.data() + offset, &value, sizeof value);
}

template <typename T>
T get(std::span<const uint8_t> bytes, uint64_t offset) {
    T value;
    std::memcpy(&value, bytes.data() + offset, sizeof value);
    return value;
}

// A bzImage as a protocol-2.15 x86-64 kernel would have it: one setup sector after the boot
// sector, then 0x1000 bytes of "kernel".
std::vector<uint8_t> good_bzimage() {
    std::vector<uint8_t> file(2 * 512 + 0x1000, 0);
    for (size_t i = 1024; i < file.size(); ++i) file[i] = static_cast<uint8_t>(i * 13);
    file[0x1f1] = 1;  // setup_sects
    put<uint16_t>(file, 0x1fe, 0xAA55);
    file[0x200] = 0xEB;
    file[0x201] = kHeaderEnd - 0x202;
    std::memcpy(file.data() + 0x202, "HdrS", 4);
    put<uint16_t>(file, 0x206, 0x020f);
    file[0x211] = 0x01;                      // LOADED_HIGH
    put<uint32_t>(file, 0x22c, 0x7fffffff);  // initrd_addr_max
    put<uint32_t>(file, 0x230, 0x200000);    // kernel_alignment
    file[0x234] = 1;                         // relocatable_kernel
    put<uint16_t>(file, 0x236, 0x0003);      // XLF_KERNEL_64 | XLF_CAN_BE_LOADED_ABOVE_4G
    put<uint32_t>(file, 0x238, 0x7ff);       // cmdline_size
    put<uint64_t>(file, 0x258, 0x1000000);   // pref_address
    put<uint32_t>(file, 0x260, 0x400000);    // init_size
    return file;
}

std::vector<E820Entry> e820() { return build_e820_map(256ull << 20); }

}  // namespace

TEST_CASE("bzimage: a good header is read", "[bzimage]") {
    std::vector<uint8_t> file = good_bzimage();
    REQUIRE(is_bzimage(file));
    BzImage image = parse_bzimage(file, "k");
    CHECK(image.header.version == 0x020f);
    CHECK(image.header.setup_sects == 1);
    CHECK(image.header.relocatable);
    CHECK(image.header.kernel_alignment == 0x200000);
    CHECK(image.header.pref_address == 0x1000000);
    CHECK(image.header.init_size == 0x400000);
    CHECK(image.header.cmdline_size == 0x7ff);
    CHECK(image.header.initrd_addr_max == 0x7fffffff);
    CHECK(image.kernel.data() == file.data() + 1024);
    CHECK(image.kernel.size() == 0x1000);
    CHECK(image.setup_header_bytes.data() == file.data() + 0x1f1);
    CHECK(image.setup_header_bytes.size() == kHeaderEnd - 0x1f1);
    CHECK(kernel_load_address(image.header) == 0x1000000);
}

TEST_CASE("bzimage: setup_sects 0 means 4", "[bzimage]") {
    std::vector<uint8_t> file = good_bzimage();
    file[0x1f1] = 0;
    file.resize(5 * 512 + 16);
    BzImage image = parse_bzimage(file, "k");
    CHECK(image.header.setup_sects == 4);
    CHECK(image.kernel.size() == 16);
}

TEST_CASE("bzimage: the load address honours kernel_alignment", "[bzimage]") {
    SetupHeader header{.setup_sects = 1,
                       .version = 0x020f,
                       .loadflags = 1,
                       .xloadflags = 1,
                       .initrd_addr_max = 0,
                       .kernel_alignment = 0x200000,
                       .relocatable = true,
                       .cmdline_size = 0,
                       .pref_address = 0x1100000,
                       .init_size = 1};
    CHECK(kernel_load_address(header) == 0x1200000);
    header.relocatable = false;  // a fixed kernel goes exactly where it asks
    CHECK(kernel_load_address(header) == 0x1100000);
}

TEST_CASE("bzimage: each malformed header is refused saying why", "[bzimage]") {
    auto refused = [](std::vector<uint8_t> file, const std::string& why) {
        INFO(why);
        CHECK_THROWS_MATCHES(parse_bzimage(file, "kernel k"), Error, IsBadInput(why));
    };
    refused(std::vector<uint8_t>(0x100), "too short to be a bzImage");
    std::vector<uint8_t> file = good_bzimage();
    file[0x202] = 'X';
    refused(file, "not a bzImage (no \"HdrS\" setup header at 0x202)");
    CHECK_FALSE(is_bzimage(file));

    file = good_bzimage();
    put<uint16_t>(file, 0x1fe, 0x1234);
    refused(file, "boot_flag at 0x1fe is 0x1234, not 0xaa55");

    file = good_bzimage();
    put<uint16_t>(file, 0x206, 0x0205);
    refused(file, "boot protocol 2.05 is too old (glassvm needs 2.06 or later)");

    file = good_bzimage();
    file[0x211] = 0;
    refused(file, "LOADED_HIGH is clear");

    file = good_bzimage();
    put<uint16_t>(file, 0x206, 0x020b);
    refused(file, "not 64-bit capable: boot protocol 2.11 predates xloadflags (2.12)");

    file = good_bzimage();
    put<uint16_t>(file, 0x236, 0x0002);
    refused(file, "not 64-bit capable: XLF_KERNEL_64 is clear in xloadflags");

    file = good_bzimage();
    put<uint32_t>(file, 0x260, 0);
    refused(file, "gives no init_size");

    file = good_bzimage();
    put<uint32_t>(file, 0x230, 0x300000);
    refused(file, "kernel_alignment 0x300000 is not a power of two");

    file = good_bzimage();
    put<uint64_t>(file, 0x258, 0x8000);
    file[0x234] = 0;
    refused(file, "pref_address 0x8000 is below 1 MiB");

    // Found by fuzz_bzimage (fuzz/corpus/bzimage/crash-pref-address-wraps): a load address near
    // 2^64 wrapped when rounded to kernel_alignment and when init_size was added to it.
    file = good_bzimage();
    put<uint64_t>(file, 0x258, 0xffff'ffff'ffff'f000);
    refused(file, "pref_address 0xfffffffffffff000 lies above any RAM glassvm can give a guest");
    file = good_bzimage();
    put<uint64_t>(file, 0x258, 0xc000'0000);
    refused(file, "pref_address 0xc0000000 lies above any RAM");

    file = good_bzimage();
    file.resize(1024);
    refused(file, "1 setup sectors leave no kernel");
}

TEST_CASE("boot_params: the header is copied and completed as a boot loader must", "[bzimage]") {
    std::vector<uint8_t> file = good_bzimage();
    BzImage image = parse_bzimage(file, "k");
    auto map = e820();
    BootParams params =
        build_boot_params(image, {.cmdline_address = 0x3000, .initrd_address = 0x7f00000, .initrd_size = 0x12345}, map);
    std::span<const uint8_t> bytes(params);
    CHECK(get<uint32_t>(bytes, 0x202) == 0x53726448);  // "HdrS"
    CHECK(get<uint16_t>(bytes, 0x206) == 0x020f);
    CHECK(get<uint64_t>(bytes, 0x258) == 0x1000000);  // pref_address, copied
    CHECK(bytes[0x1ef] == 0);                         // the sentinel: the header was not copied over
    CHECK(bytes[0x210] == 0xff);                      // type_of_loader: undefined
    CHECK(bytes[0x211] == (0x01 | 0x80));             // LOADED_HIGH kept, CAN_USE_HEAP set
    CHECK(get<uint16_t>(bytes, 0x224) == 0xde00);     // heap_end_ptr
    CHECK(get<uint32_t>(bytes, 0x228) == 0x3000);     // cmd_line_ptr
    CHECK(get<uint32_t>(bytes, 0x0c8) == 0);          // ext_cmd_line_ptr
    CHECK(get<uint32_t>(bytes, 0x218) == 0x7f00000);  // ramdisk_image
    CHECK(get<uint32_t>(bytes, 0x21c) == 0x12345);    // ramdisk_size
    CHECK(get<uint32_t>(bytes, 0x0c0) == 0);
    CHECK(get<uint32_t>(bytes, 0x0c4) == 0);
    REQUIRE(bytes[0x1e8] == 3);  // e820_entries
    for (size_t i = 0; i < 3; ++i) {
        CHECK(get<uint64_t>(bytes, 0x2d0 + i * 20) == map[i].address);
        CHECK(get<uint64_t>(bytes, 0x2d0 + i * 20 + 8) == map[i].size);
        CHECK(get<uint32_t>(bytes, 0x2d0 + i * 20 + 16) == static_cast<uint32_t>(map[i].type));
    }
    CHECK(get<uint64_t>(bytes, 0x2d0 + 3 * 20) == 0);
    CHECK(bytes[kHeaderEnd] == 0);  // nothing past the header
}

TEST_CASE("boot_params: addresses above 4 GiB use the ext_ fields", "[bzimage]") {
    std::vector<uint8_t> file = good_bzimage();
    BzImage image = parse_bzimage(file, "k");
    BootParams params = build_boot_params(
        image, {.cmdline_address = 0x1'0000'3000, .initrd_address = 0x2'0000'0000, .initrd_size = 0x10}, e820());
    std::span<const uint8_t> bytes(params);
    CHECK(get<uint32_t>(bytes, 0x228) == 0x3000);
    CHECK(get<uint32_t>(bytes, 0x0c8) == 1);
    CHECK(get<uint32_t>(bytes, 0x218) == 0);
    CHECK(get<uint32_t>(bytes, 0x0c0) == 2);
}

TEST_CASE("linux entry: long mode, __BOOT_CS 0x10 and __BOOT_DS 0x18, RSI = boot_params", "[bzimage]") {
    kvm_sregs sregs = x86::linux_entry_sregs(kvm_sregs{}, 0x9000);
    CHECK(sregs.cs.selector == 0x10);
    CHECK(sregs.cs.l == 1);
    CHECK(sregs.ds.selector == 0x18);
    CHECK(sregs.ss.selector == 0x18);
    CHECK(sregs.es.selector == 0x18);
    CHECK(sregs.cr3 == 0x9000);
    CHECK(sregs.cr0 & (1u << 31));
    CHECK(sregs.efer & (1u << 10));  // LMA
    CHECK(sregs.gdt.limit == 4 * 8 - 1);

    kvm_regs regs = x86::linux_entry_regs(0x1000000 + kLinuxEntry64Offset, 0x2000);
    CHECK(regs.rip == 0x1000200);
    CHECK(regs.rsi == 0x2000);
    CHECK(regs.rflags == 0x2);  // interrupts off

    GuestMemory memory = GuestMemory::allocate(4 << 20);
    x86::write_linux_boot_gdt(memory);
    CHECK(memory.read_object<uint64_t>(layout::kBootGdt + 0x10) == 0x00af9b000000ffffull);
    CHECK(memory.read_object<uint64_t>(layout::kBootGdt + 0x18) == 0x00cf93000000ffffull);
}

TEST_CASE("bzimage: Debian's cloud kernel as cached by scripts/fetch-linux", "[bzimage]") {
    const char* cache_variable = std::getenv("GLASSVM_LINUX_CACHE");
    const char* home = std::getenv("HOME");
    std::filesystem::path cache =
        cache_variable ? cache_variable : std::filesystem::path(home ? home : "/") / ".cache/glassvm/linux";
    std::optional<std::filesystem::path> found;
    std::error_code error;
    for (const auto& package : std::filesystem::directory_iterator(cache, error))
        for (const auto& file : std::filesystem::directory_iterator(package.path() / "boot", error))
            if (file.path().filename().string().starts_with("vmlinuz-")) found = file.path();
    if (!found) {
        WARN("section skipped: no Debian bzImage under " << cache.string() << " (run scripts/fetch-linux)");
        return;
    }
    INFO(found->string());
    std::ifstream stream(*found, std::ios::binary);
    std::vector<uint8_t> file((std::istreambuf_iterator<char>(stream)), std::istreambuf_iterator<char>());
    BzImage image = parse_bzimage(file, found->string());
    CHECK(image.header.version >= 0x020c);
    CHECK(image.header.xloadflags & setup_header::kXlfKernel64);
    CHECK(image.header.loadflags & setup_header::kLoadedHigh);
    CHECK(image.header.relocatable);
    CHECK(kernel_load_address(image.header) % image.header.kernel_alignment == 0);
    CHECK(kernel_load_address(image.header) >= 0x100000);
    CHECK(image.header.init_size > image.kernel.size());  // it decompresses into more than it is
    CHECK(image.header.cmdline_size >= 255);
    BootParams params =
        build_boot_params(image, {.cmdline_address = 0x3000, .initrd_address = 0, .initrd_size = 0}, e820());
    CHECK(params[0x210] == 0xff);
    CHECK(std::memcmp(params.data() + 0x202, "HdrS", 4) == 0);
}
