// The oracle of the fuzz targets whose input must never reach the host (fuzz_layer_unpack,
// fuzz_copy_resolve): a scratch directory holds the work area and, beside it, what an escape
// would touch — a file, a directory with a file in it, and symlinks to both. Before each input
// the oracle empties the work area and starts listening (inotify) on everything else; after it,
// any event on those paths (an open, a read, a write, a chmod, a new or removed name) or any
// difference from the first snapshot (content, mode, owner, link count, times — the atime too,
// which a followed symlink or a read moves —, xattrs, the directories' names) aborts the
// fuzzer, naming what changed.
#pragma once

#include <sys/stat.h>

#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "base/fd.hpp"

namespace glassvm::fuzz {

class HostOracle {
public:
    // `scratch` is made afresh (everything in it removed) with the work directories `work`
    // (emptied before each input; what happens inside them is the target's business) and the
    // bait: outside-file (holding `secret`), outside-dir/inner, link-file -> outside-file,
    // link-dir -> outside-dir, and absolute-link -> outside-dir.
    HostOracle(std::filesystem::path scratch, std::vector<std::string> work, std::string secret);

    const std::filesystem::path& scratch() const { return m_scratch; }
    std::filesystem::path work(const std::string& name) const { return m_scratch / name; }

    // Empties the work directories and forgets earlier events.
    void before_input();
    // Aborts when anything beside the work directories was touched since before_input().
    void after_input();

private:
    struct Snapshot {
        struct stat status {};
        std::string content;             // a file's bytes
        std::vector<std::string> names;  // a directory's entries
        std::string xattrs;              // names and values
    };
    Snapshot take(const std::filesystem::path& path) const;
    std::map<std::string, Snapshot> snapshot_all() const;
    std::vector<std::string> drain_events();

    std::filesystem::path m_scratch;
    std::vector<std::string> m_work;
    std::set<std::string> m_work_names;
    Fd m_inotify;
    std::map<int, std::string> m_watches;  // watch descriptor → the path it watches
    std::map<std::string, Snapshot> m_baseline;
};

}  // namespace glassvm::fuzz
