// The image store: one JSON file per image, layers shared through the LayerStore (image_store.hpp).
#include "image/image_store.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <set>

#include <fmt/format.h>

#include <fcntl.h>
#include <stdlib.h>
#include <sys/file.h>
#include "base/error.hpp"
#include "base/file.hpp"
#include "image/digest.hpp"
#include "image/quoted.hpp"

namespace glassvm::image {

namespace fs = std::filesystem;

namespace {

Image read_image(const fs::path& file) {
    std::ifstream stream(file);
    if (!stream) throw Error::from_errno(fmt::format("open {}", file.string()), errno);
    try {
        return image_from_json(nlohmann::json::parse(stream));
    } catch (const nlohmann::json::exception& error) {
        throw_bad_input("{}: not valid JSON: {}", file.string(), error.what());
    } catch (const Error& error) {
        throw Error(error.kind(), fmt::format("{}: {}", file.string(), error.what()));
    }
}

bool matches_id(const Image& image, const std::string& query) {
    std::string hex = query.starts_with("sha256:") ? query.substr(7) : query;
    bool is_hex =
        std::all_of(hex.begin(), hex.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
    return is_hex && hex.size() >= 12 && digest_hex(image.id).starts_with(hex);
}

}  // namespace

ImageStore::ImageStore(fs::path root) : m_root(std::move(root)), m_layers(m_root) {
    for (const char* part : {"layers", "images", "cache", "tmp"}) fs::create_directories(m_root / part);
}

void ImageStore::write_image(const Image& image) const {
    write_file_atomically(m_root / "images" / (digest_hex(image.id) + ".json"), to_json(image).dump(2) + "\n");
}

void ImageStore::take_name_from_others(const std::string& name, const std::string& keeper_id) const {
    for (Image other : list()) {
        if (other.name != name || other.id == keeper_id) continue;
        other.name.clear();
        write_image(other);
    }
}

Image ImageStore::create(std::string name, std::vector<std::string> layers, ImageConfig config) {
    for (const std::string& layer : layers)
        if (!m_layers.contains(layer))
            throw_bad_input("cannot create an image over layer {}: the store does not hold it", layer);
    Image image;
    image.name = name.empty() ? std::string() : normalize_name(name);
    image.id = image_id(layers, config);
    image.layers = std::move(layers);
    image.config = std::move(config);
    image.created = now_rfc3339();
    if (!image.name.empty()) take_name_from_others(image.name, image.id);
    write_image(image);
    return image;
}

std::vector<Image> ImageStore::list() const {
    std::vector<Image> images;
    for (const auto& entry : fs::directory_iterator(m_root / "images"))
        if (entry.path().extension() == ".json") images.push_back(read_image(entry.path()));
    std::sort(images.begin(), images.end(), [](const Image& a, const Image& b) {
        if (a.name.empty() != b.name.empty()) return b.name.empty();
        return a.name != b.name ? a.name < b.name : a.id < b.id;
    });
    return images;
}

std::optional<Image> ImageStore::find(const std::string& name_or_id) const {
    std::vector<Image> images = list();
    for (const Image& image : images)
        if (image.id == name_or_id) return image;
    if (!name_or_id.starts_with("sha256:")) {
        std::string name = normalize_name(name_or_id);  // BadInput for what cannot be a name
        for (const Image& image : images)
            if (image.name == name) return image;
    }
    std::optional<Image> found;
    for (const Image& image : images) {
        if (!matches_id(image, name_or_id)) continue;
        if (found) throw_bad_input("'{}' is the start of more than one image id", name_or_id);
        found = image;
    }
    return found;
}

Image ImageStore::get(const std::string& name_or_id) const {
    std::optional<Image> image = find(name_or_id);
    if (!image) throw_bad_input("no image {} in the store at {}", quote_untrusted(name_or_id), m_root.string());
    return *image;
}

void ImageStore::remove(const std::string& name_or_id) {
    StoreLock lock(m_root, LockMode::Exclusive);
    Image image = get(name_or_id);
    fs::remove(m_root / "images" / (digest_hex(image.id) + ".json"));
    std::set<std::string> still_used;
    for (const Image& other : list()) still_used.insert(other.layers.begin(), other.layers.end());
    for (const std::string& layer : image.layers)
        if (!still_used.contains(layer)) m_layers.remove(layer);
}

Image ImageStore::import_rootfs_tar(std::string name, const fs::path& tar, ImageConfig config) {
    if (!name.empty()) name = normalize_name(name);  // refused before anything is stored
    std::string layer = m_layers.import_tar(tar);
    return create(std::move(name), {layer}, std::move(config));
}

std::vector<fs::path> ImageStore::layer_directories(const Image& image) const {
    return layer_directories(image.layers);
}

std::vector<fs::path> ImageStore::layer_directories(const std::vector<std::string>& layers) const {
    std::vector<fs::path> directories;
    for (const std::string& layer : layers) directories.push_back(m_layers.directory(layer));
    return directories;
}

fs::path default_store_root() {
    if (const char* store = std::getenv("GLASSVM_STORE"); store && *store) return fs::absolute(store);
    if (::geteuid() == 0) return "/var/lib/glassvm";
    if (const char* data = std::getenv("XDG_DATA_HOME"); data && *data) return fs::path(data) / "glassvm";
    const char* home = std::getenv("HOME");
    if (!home || !*home) throw_bad_input("no image store: set GLASSVM_STORE or HOME, or give --store DIR");
    return fs::path(home) / ".local/share/glassvm";
}

fs::path store_root(const std::string& option) { return option.empty() ? default_store_root() : fs::absolute(option); }

StoreLock::StoreLock(const std::filesystem::path& root, LockMode mode) {
    std::filesystem::path file = root / "lock";
    m_file = Fd(
        check_syscall(fmt::format("open {}", file.string()), ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644)));
    // flock locks belong to the open file description, so two threads of one process exclude
    // each other as two processes do.
    check_syscall(fmt::format("flock {}", file.string()),
                  ::flock(m_file.get(), mode == LockMode::Shared ? LOCK_SH : LOCK_EX));
}

namespace fs = std::filesystem;

TemporaryDirectory::TemporaryDirectory(const fs::path& parent, const std::string& prefix) {
    fs::create_directories(parent);
    std::string pattern = (parent / (prefix + "-XXXXXX")).string();
    check_syscall(fmt::format("mkdtemp {}", pattern), ::mkdtemp(pattern.data()) == nullptr ? -1 : 0);
    m_path = pattern;
}

TemporaryDirectory::~TemporaryDirectory() {
    if (m_path.empty()) return;
    std::error_code ignored;
    fs::remove_all(m_path, ignored);
}

}  // namespace glassvm::image
