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

def _mingw_openssl_impl(ctx):
    # OpenSSL cross-built for mingw-w64 by scripts/build_openssl_mingw.sh, in a cache outside
    # the repository (Debian packages none). Only Windows builds use it.
    env = ctx.os.environ
    prefix = env.get("WSPEER_MINGW_OPENSSL") or (env.get("HOME", "/root") + "/.cache/wspeer/openssl-mingw")
    if ctx.path(prefix + "/lib64/libssl.a").exists:
        ctx.symlink(prefix + "/include", "include")
        ctx.symlink(prefix + "/lib64", "lib64")
        ctx.file("BUILD.bazel", """
cc_library(
    name = "openssl",
    srcs = ["lib64/libssl.a", "lib64/libcrypto.a"],
    hdrs = glob(["include/openssl/*.h"]),
    includes = ["include"],
    linkopts = ["-lws2_32", "-lcrypt32", "-luser32", "-ladvapi32"],
    visibility = ["//visibility:public"],
)
""")
    else:
        ctx.file("BUILD.bazel", """
genrule(
    name = "missing",
    outs = ["missing.h"],
    cmd = "echo 'OpenSSL for mingw-w64 is not built: run scripts/build_openssl_mingw.sh' >&2; exit 1",
)
cc_library(name = "openssl", hdrs = [":missing"], visibility = ["//visibility:public"])
""")

_mingw_openssl = repository_rule(
    implementation = _mingw_openssl_impl,
    environ = ["HOME", "WSPEER_MINGW_OPENSSL"],
    local = True,
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

    # zlib for permessage-deflate (Debian's zlib1g-dev; libz-mingw-w64-dev for Windows).
    _maybe(
        native.new_local_repository,
        name = "system_zlib",
        build_file = str(Label("//third_party/system:zlib.BUILD")),
        path = "/usr",
    )

    # hiredis 0.14 from Debian's libhiredis-dev, for the Redis broker of a cluster (//cluster/redis).
    _maybe(
        native.new_local_repository,
        name = "system_hiredis",
        build_file = str(Label("//third_party/system:hiredis.BUILD")),
        path = "/usr",
    )

    # For Windows builds (--config=windows): OpenSSL cross-built for mingw-w64.
    _maybe(_mingw_openssl, name = "mingw_openssl")

    # Debian's Emscripten as a C++ toolchain for wasm32 and mingw-w64 for Windows (each used
    # only when a target asks for that platform).
    if register_wasm_toolchain:
        native.register_toolchains("@wspeer//toolchain:emscripten_cc_toolchain")
    native.register_toolchains("@wspeer//toolchain:mingw_cc_toolchain")
