"""Builds on what the README quotes: runs examples/client natively and (built for the browser)
in Node against a real `wsp echo-server`, and examples/server against the client and Python
`websockets`; checks what they print: text stays text, binary stays binary, a clean close."""
import asyncio
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import junit  # noqa: E402

wsp, client, client_js, server_binary, tls_echo, multiplayer, multiplayer_js = sys.argv[1:8]
reconnecting_client = sys.argv[8]
EXPECTED = "text: hello\nbinary: 4 bytes 00 01 fe ff\nclosed: 1000\n"


def start(command):
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    line = process.stdout.readline()
    return process, int(line.split()[3])


echo_server, echo_port = start([wsp, "echo-server", "--host", "127.0.0.1", "--port", "0", "--quiet"])
example_server, example_port = start([server_binary])


def run(command):
    done = subprocess.run(command, capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, f"exit {done.returncode}: {done.stdout}{done.stderr}"
    return done.stdout


@junit.case("the native client prints both echoes with their types against wsp echo-server")
def native_client():
    out = run([client, f"ws://127.0.0.1:{echo_port}/"])
    assert out == EXPECTED, out


@junit.case("the same client built for the browser does the same in Node")
def wasm_client():
    flags = [f for f in ("--no-experimental-fetch", "--experimental-websocket")]
    out = run(["node", *flags, client_js, f"ws://127.0.0.1:{echo_port}/"])
    assert out == EXPECTED, out


@junit.case("the native client against the example server")
def client_against_example_server():
    out = run([client, f"ws://127.0.0.1:{example_port}/"])
    assert out == EXPECTED, out


@junit.case("the example server echoes Python websockets' text as text and bytes as bytes")
def python_against_example_server():
    import websockets  # Debian's python3-websockets

    async def talk():
        async with websockets.connect(f"ws://127.0.0.1:{example_port}/", compression=None) as ws:
            await ws.send("hé")
            text = await ws.recv()
            await ws.send(b"\x00\xff")
            data = await ws.recv()
            return text, data

    text, data = asyncio.run(talk())
    assert text == "hé" and isinstance(text, str), repr(text)
    assert data == b"\x00\xff" and isinstance(data, bytes), repr(data)


@junit.case("the reconnecting client comes back after its server restarts on the same port")
def reconnecting_client_comes_back():
    server, port = start([wsp, "echo-server", "--host", "127.0.0.1", "--port", "0", "--quiet"])
    client_process = subprocess.Popen([reconnecting_client, f"ws://127.0.0.1:{port}/"],
                                      stdout=subprocess.PIPE, text=True)
    lines = []

    def read_until(prefix):
        while True:
            line = client_process.stdout.readline()
            assert line, f"ended before '{prefix}': {lines}"
            lines.append(line.strip())
            if line.startswith(prefix):
                return line.strip()

    try:
        assert read_until("connected") == "connected (attempt 0)"
        assert read_until("echo") == "echo: hello"
        server.kill()
        server.wait()
        assert read_until("lost") == "lost (code -1)", lines
        read_until("reconnecting: attempt 2")  # refused while the server is down
        server, _ = start([wsp, "echo-server", "--host", "127.0.0.1", "--port", str(port),
                           "--quiet"])
        back = read_until("connected")
        assert back.startswith("connected (attempt ") and back != "connected (attempt 0)", back
        assert read_until("echo") == "echo: hello"
        assert read_until("closed") == "closed: 1000", lines
        assert client_process.wait(timeout=10) == 0
    finally:
        client_process.kill()
        server.kill()


@junit.case("a client with no server to reach says why")
def refused():
    done = subprocess.run([client, "ws://127.0.0.1:1/"], capture_output=True, text=True, timeout=30)
    assert done.stdout.startswith("closed: -1\nerror: Cannot connect to 127.0.0.1:1"), done.stdout


def certificates():
    """A throw-away CA and a localhost certificate it signed."""
    work = os.environ.get("TEST_TMPDIR", "/tmp")
    def openssl(*args):
        subprocess.run(["openssl", *args], cwd=work, check=True, capture_output=True)
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
            "-days", "2", "-subj", "/CN=examples CA", "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign")
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "key.pem", "-out", "leaf.csr",
            "-subj", "/CN=localhost")
    with open(os.path.join(work, "ext.cnf"), "w") as ext:
        ext.write("subjectAltName=DNS:localhost\n")
    openssl("x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-out", "cert.pem", "-days", "2", "-extfile", "ext.cnf")
    return [os.path.join(work, name) for name in ("ca.pem", "cert.pem", "key.pem")]


ca, cert, key = certificates()


@junit.case("tls_echo: wss:// with the certificate's CA trusted")
def tls_trusted():
    out = run([tls_echo, ca, cert, key])
    assert out == "echo: over TLS\nclosed: 1000 \n", out


@junit.case("tls_echo: the same certificate is refused when its CA is not trusted")
def tls_untrusted():
    out = run([tls_echo, cert, cert, key])
    assert out.startswith("closed: -1 TLS certificate verification failed"), out


@junit.case("multiplayer: a native client and the same client in Node greet each other in a room")
def multiplayer_room():
    server, port = start([multiplayer, "server"])
    try:
        url = f"ws://127.0.0.1:{port}/rooms/example"
        native = subprocess.Popen([multiplayer, "client", url, "ann"], stdout=subprocess.PIPE,
                                  text=True)
        wasm = run(["node", "--no-experimental-fetch", "--experimental-websocket", multiplayer_js,
                    "client", url, "bob"])
        native_out, _ = native.communicate(timeout=30)
        assert wasm == "hello from ann\n", wasm
        assert native_out == "hello from bob\n", native_out
    finally:
        server.kill()


echo_server.kill()
example_server.kill()
junit.finish("examples")
