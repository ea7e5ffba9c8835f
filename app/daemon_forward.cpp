// Handing the daemon verbs to glassvmd (see daemon_forward.hpp).
#include "app/daemon_forward.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "base/fd.hpp"
#include "base/subprocess.hpp"
#include "daemon/places.hpp"

namespace glassvm {

namespace {

constexpr std::string_view kDaemonVerbs[] = {"daemon", "ps",   "create",  "start", "stop",   "rm",
                                             "logs",   "wait", "inspect", "info",  "import", "rmi"};
constexpr std::string_view kImageVerbs[] = {"images", "build"};  // local without a daemon

bool one_of(std::string_view word, auto& list) {
    return std::find(std::begin(list), std::end(list), word) != std::end(list);
}

// The value of --socket PATH or --socket=PATH in argv, or "".
std::string socket_option(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        std::string_view argument = argv[i];
        if (argument == "--") break;
        if (argument == "--socket" && i + 1 < argc) return argv[i + 1];
        if (argument.starts_with("--socket=")) return std::string(argument.substr(9));
    }
    return "";
}

bool has_option(int argc, char** argv, std::string_view name) {
    for (int i = 1; i < argc; ++i)
        if (std::string_view(argv[i]) == name || std::string_view(argv[i]).starts_with(std::string(name) + "="))
            return true;
    return false;
}

bool daemon_listens(const std::filesystem::path& socket_path) {
    Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (!fd || socket_path.string().size() >= sizeof address.sun_path) return false;
    socket_path.string().copy(address.sun_path, sizeof address.sun_path - 1);
    return ::connect(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
}

}  // namespace

void forward_daemon_verbs(int argc, char** argv) {
    if (argc < 2) return;
    std::string_view verb = argv[1];
    bool forward = one_of(verb, kDaemonVerbs);
    if (one_of(verb, kImageVerbs) && !has_option(argc, argv, "--store"))
        forward = daemon_listens(daemon::socket_path(socket_option(argc, argv)));
    if (!forward) return;
    std::filesystem::path glassvmd = own_executable().parent_path() / "glassvmd";
    std::vector<char*> arguments(argv, argv + argc);
    arguments.push_back(nullptr);
    arguments[0] = const_cast<char*>(glassvmd.c_str());
    ::execv(glassvmd.c_str(), arguments.data());
    throw Error::from_errno("run " + glassvmd.string() + " (glassvmd is built next to glassvm)", errno);
}

}  // namespace glassvm
