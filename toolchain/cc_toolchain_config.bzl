"""A C++ toolchain that drives Debian's Emscripten (emcc 3.1.6) for wasm32."""

load(":common.bzl", "BASE_COMPILE_FLAGS", "COMPILE_ACTIONS", "CXX_ACTIONS", "LINK_ACTIONS")
load(
    "@bazel_tools//tools/cpp:cc_toolchain_config_lib.bzl",
    "feature",
    "flag_group",
    "flag_set",
    "tool_path",
    "with_feature_set",
)


def _impl(ctx):
    tool_paths = [
        tool_path(name = "gcc", path = "emcc.sh"),
        tool_path(name = "ld", path = "emcc.sh"),
        tool_path(name = "ar", path = "emar.sh"),
        tool_path(name = "cpp", path = "/bin/false"),
        tool_path(name = "gcov", path = "/bin/false"),
        tool_path(name = "nm", path = "/bin/false"),
        tool_path(name = "objdump", path = "/bin/false"),
        tool_path(name = "strip", path = "/bin/false"),
    ]
    features = [
        feature(name = "dbg"),
        feature(name = "opt"),
        feature(
            name = "default_compile_flags",
            enabled = True,
            flag_sets = [
                flag_set(actions = COMPILE_ACTIONS, flag_groups = [flag_group(flags = BASE_COMPILE_FLAGS)]),
                flag_set(actions = CXX_ACTIONS, flag_groups = [flag_group(flags = ["-std=c++20"])]),
            ],
        ),
        feature(
            name = "optimization_flags",
            enabled = True,
            flag_sets = [
                flag_set(
                    actions = COMPILE_ACTIONS + LINK_ACTIONS,
                    flag_groups = [flag_group(flags = ["-g"])],
                    with_features = [with_feature_set(features = ["dbg"])],
                ),
                flag_set(
                    actions = COMPILE_ACTIONS + LINK_ACTIONS,
                    flag_groups = [flag_group(flags = ["-O2", "-DNDEBUG"])],
                    with_features = [with_feature_set(features = ["opt"])],
                ),
                flag_set(
                    actions = COMPILE_ACTIONS + LINK_ACTIONS,
                    flag_groups = [flag_group(flags = ["-O1"])],
                    with_features = [with_feature_set(not_features = ["dbg", "opt"])],
                ),
            ],
        ),
        feature(
            name = "default_link_flags",
            enabled = True,
            flag_sets = [flag_set(actions = LINK_ACTIONS, flag_groups = [flag_group(flags = [
                "-sALLOW_MEMORY_GROWTH=1",
                "-sENVIRONMENT=web,node",
            ])])],
        ),
    ]
    return cc_common.create_cc_toolchain_config_info(
        ctx = ctx,
        features = features,
        cxx_builtin_include_directories = [
            "/usr/share/emscripten/cache/sysroot/include",
            "/usr/lib/llvm-14/lib/clang/14.0.6/include",
            "/usr/lib/clang/14.0.6/include",
        ],
        toolchain_identifier = "emscripten-wasm32",
        host_system_name = "x86_64-unknown-linux-gnu",
        target_system_name = "wasm32-unknown-emscripten",
        target_cpu = "wasm",
        target_libc = "musl",
        compiler = "emscripten",
        abi_version = "unknown",
        abi_libc_version = "unknown",
        tool_paths = tool_paths,
    )

emscripten_cc_toolchain_config = rule(
    implementation = _impl,
    attrs = {},
    provides = [CcToolchainConfigInfo],
)
