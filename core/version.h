// wspeer's version: the one place it is written (CMake, pkg-config and `wsp --version` read it).
#pragma once

#define WSPEER_VERSION_MAJOR 0
#define WSPEER_VERSION_MINOR 2
#define WSPEER_VERSION_PATCH 0
#define WSPEER_VERSION "0.2.0"

namespace wsp {

/// The version of the library this program was built with, e.g. "0.2.0".
constexpr const char* kVersion = WSPEER_VERSION;

}  // namespace wsp
