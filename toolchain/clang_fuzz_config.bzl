"""A C++ toolchain for Debian's clang 14 with libFuzzer, ASan and UBSan, used only for the fuzz
targets (selected by the //toolchain:fuzz platform through a transition, see fuzz.bzl)."""

load(":common.bzl", "BASE_COMPILE_FLAGS", "COMPILE_ACTIONS", "CXX_ACTIONS", "LINK_ACTIONS")
load(
    "@bazel_tools//tools/cpp:cc_toolchain_config_lib.bzl",
    "feature",
    "flag_group",
    "flag_set",
    "tool_path",
)

_SANITIZE = "-fsanitize=fuzzer-no-link,address,undefined"

def _impl(ctx):
    tool_paths = [
        tool_path(name = "gcc", path = "/usr/bin/clang-14"),
        tool_path(name = "ld", path = "/usr/bin/ld"),
        tool_path(name = "ar", path = "/usr/bin/llvm-ar-14"),
        tool_path(name = "cpp", path = "/bin/false"),
        tool_path(name = "gcov", path = "/bin/false"),
        tool_path(name = "nm", path = "/usr/bin/llvm-nm-14"),
        tool_path(name = "objdump", path = "/bin/false"),
        tool_path(name = "strip", path = "/bin/false"),
    ]
    features = [
        feature(name = "dbg"),
        feature(name = "opt"),
        feature(
            name = "fuzz_flags",
            enabled = True,
            flag_sets = [
                flag_set(actions = COMPILE_ACTIONS, flag_groups = [flag_group(flags = BASE_COMPILE_FLAGS + [
                    "-g",
                    "-O1",
                    "-fno-omit-frame-pointer",
                    _SANITIZE,
                ])]),
                flag_set(actions = CXX_ACTIONS, flag_groups = [flag_group(flags = ["-std=c++20"])]),
                # The fuzz binaries get libFuzzer's main; libraries only the instrumentation.
                flag_set(actions = LINK_ACTIONS, flag_groups = [flag_group(flags = [
                    "-fsanitize=fuzzer,address,undefined",
                    # clang (not clang++) links: UBSan's C++ part (vptr checks) must be asked for.
                    "-fsanitize-link-c++-runtime",
                    "-lstdc++",
                    "-lm",
                ])]),
            ],
        ),
    ]
    return cc_common.create_cc_toolchain_config_info(
        ctx = ctx,
        features = features,
        cxx_builtin_include_directories = [
            "/usr/include",
            "/usr/local/include",
            "/usr/lib/gcc/x86_64-linux-gnu/12/include",
            "/usr/lib/llvm-14/lib/clang/14.0.6/include",
            "/usr/lib/clang/14.0.6/include",
        ],
        toolchain_identifier = "clang14-libfuzzer",
        host_system_name = "x86_64-unknown-linux-gnu",
        target_system_name = "x86_64-unknown-linux-gnu",
        target_cpu = "k8",
        target_libc = "glibc",
        compiler = "clang",
        abi_version = "unknown",
        abi_libc_version = "unknown",
        tool_paths = tool_paths,
    )

clang_fuzz_toolchain_config = rule(
    implementation = _impl,
    attrs = {},
    provides = [CcToolchainConfigInfo],
)
