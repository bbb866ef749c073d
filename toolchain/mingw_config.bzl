"""A C++ toolchain that drives Debian's mingw-w64 (g++ 12, posix threads) for Windows x86-64.

Programs link statically (libstdc++, libgcc, winpthread), so wsp.exe needs no mingw DLL beside it.
"""

load(":common.bzl", "BASE_COMPILE_FLAGS", "COMPILE_ACTIONS", "CXX_ACTIONS", "LINK_ACTIONS")
load(
    "@bazel_tools//tools/cpp:cc_toolchain_config_lib.bzl",
    "artifact_name_pattern",
    "feature",
    "flag_group",
    "flag_set",
    "tool_path",
    "with_feature_set",
)

_PREFIX = "/usr/bin/x86_64-w64-mingw32-"

def _impl(ctx):
    tool_paths = [
        tool_path(name = "gcc", path = _PREFIX + "g++-posix"),
        tool_path(name = "ld", path = _PREFIX + "ld"),
        tool_path(name = "ar", path = _PREFIX + "ar"),
        tool_path(name = "cpp", path = _PREFIX + "cpp-posix"),
        tool_path(name = "gcov", path = "/bin/false"),
        tool_path(name = "nm", path = _PREFIX + "nm"),
        tool_path(name = "objdump", path = _PREFIX + "objdump"),
        tool_path(name = "strip", path = _PREFIX + "strip"),
    ]
    features = [
        feature(name = "dbg"),
        feature(name = "opt"),
        feature(
            name = "default_compile_flags",
            enabled = True,
            flag_sets = [
                flag_set(actions = COMPILE_ACTIONS, flag_groups = [flag_group(flags = BASE_COMPILE_FLAGS + [
                    # Windows 10 APIs, and no min/max macros or rarely used headers from windows.h.
                    "-D_WIN32_WINNT=0x0A00",
                    "-DNOMINMAX",
                    "-DWIN32_LEAN_AND_MEAN",
                ])]),
                flag_set(actions = CXX_ACTIONS, flag_groups = [flag_group(flags = ["-std=c++20"])]),
            ],
        ),
        feature(
            name = "optimization_flags",
            enabled = True,
            flag_sets = [
                flag_set(
                    actions = COMPILE_ACTIONS,
                    flag_groups = [flag_group(flags = ["-g"])],
                    with_features = [with_feature_set(features = ["dbg"])],
                ),
                flag_set(
                    actions = COMPILE_ACTIONS,
                    flag_groups = [flag_group(flags = ["-O2", "-DNDEBUG"])],
                    with_features = [with_feature_set(features = ["opt"])],
                ),
                flag_set(
                    actions = COMPILE_ACTIONS,
                    flag_groups = [flag_group(flags = ["-O1"])],
                    with_features = [with_feature_set(not_features = ["dbg", "opt"])],
                ),
            ],
        ),
        feature(
            name = "default_link_flags",
            enabled = True,
            flag_sets = [flag_set(actions = LINK_ACTIONS, flag_groups = [flag_group(flags = [
                "-static",
            ])])],
        ),
    ]
    return cc_common.create_cc_toolchain_config_info(
        ctx = ctx,
        features = features,
        artifact_name_patterns = [
            artifact_name_pattern(category_name = "executable", prefix = "", extension = ".exe"),
        ],
        cxx_builtin_include_directories = [
            "/usr/lib/gcc/x86_64-w64-mingw32/12-posix/include",
            "/usr/lib/gcc/x86_64-w64-mingw32/12-posix/include-fixed",
            "/usr/x86_64-w64-mingw32/include",
            "/usr/share/mingw-w64/include",
            # GoogleTest's sources (Debian's googletest), compiled for the Windows tests.
            "/usr/src/googletest",
        ],
        toolchain_identifier = "mingw-w64-x86_64",
        host_system_name = "x86_64-unknown-linux-gnu",
        target_system_name = "x86_64-w64-mingw32",
        target_cpu = "x64_windows",
        target_libc = "msvcrt",
        compiler = "mingw-gcc",
        abi_version = "unknown",
        abi_libc_version = "unknown",
        tool_paths = tool_paths,
    )

mingw_cc_toolchain_config = rule(
    implementation = _impl,
    attrs = {},
    provides = [CcToolchainConfigInfo],
)
