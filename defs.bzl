"""Rules for programs that use wspeer, with its C++20 requirement applied:

    load("@wspeer//:defs.bzl", "wspeer_cc_binary", "wspeer_cc_library", "wspeer_cc_test")

They are cc_binary, cc_library and cc_test with "-std=c++20" added to copts. (Bazel 4 cannot
make a library's compile flags apply to the code that includes its headers; with plain cc_*
rules, add build --cxxopt=-std=c++20 to your .bazelrc instead.) Programs for the browser:
wasm_cc_binary from "@wspeer//toolchain:wasm.bzl" compiles with C++20 by itself.
"""

load("@rules_cc//cc:defs.bzl", "cc_binary", "cc_library", "cc_test")

_CXX20 = ["-std=c++20"]

def wspeer_cc_binary(name, copts = [], **kwargs):
    cc_binary(name = name, copts = _CXX20 + copts, **kwargs)

def wspeer_cc_library(name, copts = [], **kwargs):
    cc_library(name = name, copts = _CXX20 + copts, **kwargs)

def wspeer_cc_test(name, copts = [], **kwargs):
    cc_test(name = name, copts = _CXX20 + copts, **kwargs)
