// `glassvm build` (build.hpp): not written yet.
