"""Building cc_binary targets for the browser from a native build.

wasm_cc_binary(name, binary) builds `binary` with the Emscripten toolchain (through a
configuration transition, so a plain `bazel test //...` builds both worlds) and unpacks the
emcc output into <name>/<binary>.js and <name>/<binary>.wasm.
"""

def _wasm_transition_impl(settings, attr):
    # Label(): these name wspeer's own targets, also when a consumer's workspace loads this file.
    return {
        "//command_line_option:platforms": str(Label("//toolchain:wasm")),
        "//command_line_option:crosstool_top": str(Label("//toolchain:emscripten")),
        "//command_line_option:cpu": "wasm",
        "//command_line_option:host_crosstool_top": "@bazel_tools//tools/cpp:toolchain",
        # Sanitizer and warning flags of the native configuration do not apply to emcc; wspeer
        # needs C++20, in the consumer's sources too.
        "//command_line_option:copt": [],
        "//command_line_option:cxxopt": ["-std=c++20"],
        "//command_line_option:linkopt": [],
    }

_wasm_transition = transition(
    implementation = _wasm_transition_impl,
    inputs = [],
    outputs = [
        "//command_line_option:platforms",
        "//command_line_option:crosstool_top",
        "//command_line_option:cpu",
        "//command_line_option:host_crosstool_top",
        "//command_line_option:copt",
        "//command_line_option:cxxopt",
        "//command_line_option:linkopt",
    ],
)

def _unpack(ctx, archive, stem):
    js = ctx.actions.declare_file(ctx.label.name + "/" + stem + ".js")
    wasm = ctx.actions.declare_file(ctx.label.name + "/" + stem + ".wasm")
    ctx.actions.run_shell(
        inputs = [archive],
        outputs = [js, wasm],
        command = "tar -xOf {a} ./{s}.js > {js} && tar -xOf {a} ./{s}.wasm > {wasm}".format(
            a = archive.path,
            s = stem,
            js = js.path,
            wasm = wasm.path,
        ),
        mnemonic = "WasmUnpack",
    )
    files = depset([js, wasm])
    return [DefaultInfo(files = files, runfiles = ctx.runfiles(transitive_files = files))]

def _wasm_cc_binary_impl(ctx):
    binary = ctx.attr.binary[0]
    return _unpack(ctx, binary[DefaultInfo].files.to_list()[0], binary.label.name)

wasm_cc_binary = rule(
    implementation = _wasm_cc_binary_impl,
    attrs = {
        "binary": attr.label(mandatory = True, cfg = _wasm_transition),
        "_allowlist_function_transition": attr.label(
            default = "@bazel_tools//tools/allowlists/function_transition_allowlist",
        ),
    },
)

def _wasm_unpack_impl(ctx):
    binary = ctx.attr.binary
    return _unpack(ctx, binary[DefaultInfo].files.to_list()[0], binary.label.name)

# For whole-tree builds under --config=wasm (no transition).
wasm_unpack = rule(
    implementation = _wasm_unpack_impl,
    attrs = {"binary": attr.label(mandatory = True)},
)

def native_only():
    """target_compatible_with value for targets that need the native platform."""
    return select({
        str(Label("//toolchain:is_wasm")): ["@platforms//:incompatible"],
        "//conditions:default": [],
    })

def linux_only():
    """target_compatible_with value for targets that need Linux (fork, /proc, epoll helpers)."""
    return select({
        str(Label("//toolchain:is_wasm")): ["@platforms//:incompatible"],
        str(Label("//toolchain:is_windows")): ["@platforms//:incompatible"],
        "//conditions:default": [],
    })

def wasm_only():
    return ["@platforms//cpu:wasm32"]

def _emscripten_js_library_impl(ctx):
    js = ctx.file.src
    linker_input = cc_common.create_linker_input(
        owner = ctx.label,
        user_link_flags = depset(["--js-library", js.path]),
        additional_inputs = depset([js]),
    )
    linking_context = cc_common.create_linking_context(linker_inputs = depset([linker_input]))
    return [CcInfo(linking_context = linking_context)]

# An Emscripten JS library (--js-library) as a cc dependency: every binary that links a library
# depending on it gets the flag and the file as a link input.
emscripten_js_library = rule(
    implementation = _emscripten_js_library_impl,
    attrs = {"src": attr.label(mandatory = True, allow_single_file = [".js"])},
    provides = [CcInfo],
)
