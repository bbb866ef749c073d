"""libFuzzer targets inside a normal build.

fuzz_test(name, srcs, deps, corpus) builds `srcs` with clang 14 + libFuzzer + ASan + UBSan
(through a transition to the //toolchain:fuzz platform) and adds a test that replays the seed
corpus and fuzzes for a bounded time. `bazel run //tests/fuzz:<name>_bin -- -max_total_time=600
corpus_dir` fuzzes for longer.
"""

load("@rules_cc//cc:defs.bzl", "cc_binary")

def _fuzz_transition_impl(settings, attr):
    return {
        "//command_line_option:platforms": "//toolchain:fuzz",
        "//command_line_option:copt": [],
        "//command_line_option:linkopt": [],
    }

_fuzz_transition = transition(
    implementation = _fuzz_transition_impl,
    inputs = [],
    outputs = [
        "//command_line_option:platforms",
        "//command_line_option:copt",
        "//command_line_option:linkopt",
    ],
)

def _fuzz_binary_impl(ctx):
    binary = ctx.attr.binary[0]
    original = binary[DefaultInfo].files_to_run.executable
    out = ctx.actions.declare_file(ctx.label.name)
    ctx.actions.symlink(output = out, target_file = original, is_executable = True)
    runfiles = ctx.runfiles(files = [original]).merge(binary[DefaultInfo].default_runfiles)
    return [DefaultInfo(executable = out, files = depset([out]), runfiles = runfiles)]

fuzz_binary = rule(
    implementation = _fuzz_binary_impl,
    executable = True,
    attrs = {
        "binary": attr.label(mandatory = True, cfg = _fuzz_transition),
        "_allowlist_function_transition": attr.label(
            default = "@bazel_tools//tools/allowlists/function_transition_allowlist",
        ),
    },
)

def fuzz_test(name, srcs, deps, corpus, seconds = 10):
    cc_binary(
        name = name + "_fuzzer",
        srcs = srcs,
        deps = deps,
        testonly = True,
        tags = ["manual"],
        target_compatible_with = ["//toolchain:libfuzzer"],
    )
    fuzz_binary(
        name = name + "_bin",
        binary = ":" + name + "_fuzzer",
        testonly = True,
    )
    native.sh_test(
        name = name,
        srcs = ["//tests/fuzz:run_fuzzer.sh"],
        args = ["$(location :%s_bin)" % name, "tests/fuzz/" + corpus, str(seconds)],
        data = [":" + name + "_bin"] + native.glob([corpus + "/**"]) + ["//tests:junit.sh"],
        size = "medium",
        target_compatible_with = select({
            "//toolchain:is_wasm": ["@platforms//:incompatible"],
            "//conditions:default": [],
        }),
    )
