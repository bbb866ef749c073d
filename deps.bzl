"""What a Bazel workspace needs to build wspeer, in one call:

    local_repository(name = "wspeer", path = "/path/to/wspeer")   # or http_archive, git_repository
    load("@wspeer//:deps.bzl", "wspeer_dependencies")
    wspeer_dependencies()

Then depend on "@wspeer//platform/native" (native programs) or "@wspeer//platform/web" (built for
the browser with wasm_cc_binary from "@wspeer//toolchain:wasm.bzl"); both bring "@wspeer//core".
Everything resolves offline from Debian packages (bazel-bootstrap 4.2.3, bazel-rules-java,
bazel-platforms, libssl-dev, emscripten): nothing is downloaded.
"""

def _linked_directory_impl(ctx):
    # The files of one of wspeer's own small repositories, linked into a repository of the
    # consumer's workspace (a path relative to wspeer would resolve in the consumer's tree).
    for name in ctx.attr.files:
        ctx.symlink(ctx.path(Label("//%s:%s" % (ctx.attr.package, name))), name)

_linked_directory = repository_rule(
    implementation = _linked_directory_impl,
    attrs = {
        "package": attr.string(mandatory = True),
        "files": attr.string_list(mandatory = True),
    },
)

def _maybe(rule, name, **kwargs):
    if name not in native.existing_rules():
        rule(name = name, **kwargs)

def wspeer_dependencies(register_wasm_toolchain = True):
    """Declares the repositories wspeer builds with (skipping those already declared)."""

    # Bazel 4's default WORKSPACE suffix would download these: stand-ins that resolve offline.
    _maybe(
        _linked_directory,
        name = "rules_cc",
        package = "third_party/rules_cc",
        files = ["WORKSPACE", "BUILD", "cc/BUILD", "cc/defs.bzl"],
    )
    _maybe(
        _linked_directory,
        name = "remote_coverage_tools",
        package = "third_party/remote_coverage_tools",
        files = ["WORKSPACE", "BUILD"],
    )
    _maybe(native.local_repository, name = "rules_java", path = "/usr/share/bazel/rules/java")
    _maybe(native.local_repository, name = "platforms", path = "/usr/share/bazel/tools/platforms")

    # OpenSSL 3 from Debian's libssl-dev, for the native backend's TLS.
    _maybe(
        native.new_local_repository,
        name = "system_openssl",
        build_file = str(Label("//third_party/system:openssl.BUILD")),
        path = "/usr",
    )

    # Debian's Emscripten as a C++ toolchain for wasm32 (used only when a target asks for it).
    if register_wasm_toolchain:
        native.register_toolchains("@wspeer//toolchain:emscripten_cc_toolchain")
