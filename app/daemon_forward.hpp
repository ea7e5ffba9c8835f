// The CLI's daemon verbs (glassvm daemon, ps, create, start, stop, rm, logs, wait, inspect,
// info, import, rmi) are glassvmd's: glassvm runs `glassvmd VERB …` in its place. glassvmd
// is a program of its own because the HTTP library it uses is shared and glassvm is static.
// `glassvm images` and `glassvm build` go to the daemon when one answers on the socket (and no
// --store was given), and are done locally through the image library otherwise.
#pragma once

namespace glassvm {

// Replaces this process with glassvmd when argv names a daemon verb (throws if glassvmd cannot
// be run); returns when the command is glassvm's own.
void forward_daemon_verbs(int argc, char** argv);

}  // namespace glassvm
