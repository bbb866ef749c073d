"""permessage-deflate cases (RFC 7692), a clean-room equivalent of the Autobahn TestSuite's
families 12 (different kinds of data) and 13 (different parameters). The data sets are made
here: JSON, a 1-bit bitmap, human-readable text (UTF-8, German), HTML, and a PDF-like mix of
text and incompressible streams. Every case sends a run of compressed messages of one size,
whole or auto-fragmented into 256-byte frames, and expects them echoed.

DeflateSetup(server_offer, client_flags, client_offer, response):
  server role: the runner offers `server_offer` and reads the server's answer;
  client role: `wsp echo-client --deflate` runs with `client_flags`, must offer `client_offer`,
  and the runner answers `response`."""
import collections
import random

import cases as C

DeflateSetup = collections.namedtuple("DeflateSetup", "server_offer client_flags client_offer response")
SIZES = [16, 64, 256, 1024, 4096, 8192, 16384, 32768, 65536, 131072]
FRAGMENTED_SIZES = [256, 1024, 4096, 8192, 16384, 32768, 65536, 131072]
FRAGMENT = 256
DEFAULT_OFFER = "permessage-deflate; client_max_window_bits"


def _json(rng):
    items = []
    while sum(map(len, items)) < 300000:
        i = len(items)
        items.append('{"id": %d, "name": "player-%d", "team": "%s", "score": %d, "pos": [%.2f, %.2f], '
                     '"online": %s}' % (i, rng.randrange(5000), rng.choice(["red", "blue", "green"]),
                                        rng.randrange(100000), rng.random() * 100, rng.random() * 100,
                                        rng.choice(["true", "false"])))
    return ("[" + ", ".join(items) + "]").encode()


def _bitmap(rng):
    rows, out = 512, bytearray()
    for y in range(rows * 8):  # 512 x 512 pixels, 1 bit each, in runs like a scanned page
        row = bytearray(64)
        x = 0
        while x < 64:
            run = rng.randrange(1, 12)
            value = rng.choice([0x00, 0xFF, 0x00, rng.randrange(256)])
            row[x:x + run] = bytes([value]) * min(run, 64 - x)
            x += run
        out += row
    return bytes(out)


_WORDS = ("Habe nun ach Philosophie Juristerei und Medizin und leider auch Theologie durchaus studiert "
          "mit heißem Bemühn da steh ich nun ich armer Tor und bin so klug als wie zuvor heiße "
          "Magister heiße Doktor gar und ziehe schon an die zehen Jahr herauf herab und quer und "
          "krumm meine Schüler an der Nase herum und sehe daß wir nichts wissen können").split()


def _text(rng):
    words = []
    while sum(map(len, words)) < 300000:
        sentence = [rng.choice(_WORDS) for _ in range(rng.randrange(4, 14))]
        words.append(" ".join(sentence).capitalize() + rng.choice([".", "!", "?", ",", ";"]) + "\n")
    return "".join(words).encode()


def _html(rng):
    parts = ["<!DOCTYPE html><html><head><title>Scores</title></head><body>"]
    while sum(map(len, parts)) < 300000:
        parts.append('<div class="row" id="r%d"><a href="/player/%d">Player %d</a><span class="score">%d'
                     '</span><p>%s</p></div>\n' % (len(parts), rng.randrange(9999), rng.randrange(9999),
                                                   rng.randrange(10 ** 6), " ".join(rng.choice(_WORDS)
                                                                                    for _ in range(8))))
    return ("".join(parts) + "</body></html>").encode()


def _pdf(rng):
    out = bytearray(b"%PDF-1.7\n")
    n = 0
    while len(out) < 1100000:
        n += 1
        if n % 3:
            out += b"%d 0 obj << /Type /Page /Parent 2 0 R /Resources << /Font << /F1 5 0 R >> >> >> endobj\n" % n
        else:
            stream = rng.randbytes(rng.randrange(2000, 20000))  # compressed images: incompressible
            out += b"%d 0 obj << /Length %d /Filter /DCTDecode >> stream\n" % (n, len(stream)) + stream
            out += b"\nendstream endobj\n"
    return bytes(out)


def data_sets():
    rng = random.Random(12)
    return [("Large JSON document", C.TEXT, _json(rng)), ("1-bit bitmap image", C.BINARY, _bitmap(rng)),
            ("Human-readable text (German, UTF-8)", C.TEXT, _text(rng)), ("Large HTML page", C.TEXT, _html(rng)),
            ("PDF-like mix of text and incompressible streams", C.BINARY, _pdf(rng))]


def _slice(data, offset, size, text):
    """`size` bytes of `data` from `offset` (wrapping); for text, valid UTF-8 of exactly `size`."""
    data2 = data + data
    piece = data2[offset % len(data):offset % len(data) + size]
    if not text:
        return piece
    piece = piece.decode("utf-8", "ignore").encode()
    return piece + b" " * (size - len(piece))


def _message_cases(cases, group, description, opcode, data, setup, quick):
    budget = (256 << 10) if quick else (1 << 20)  # bytes per case
    for n, (size, fragment) in enumerate([(s, 0) for s in SIZES] + [(s, FRAGMENT) for s in FRAGMENTED_SIZES], 1):
        count = max(4, min(1000, budget // size))
        messages = [(opcode, _slice(data, i * size, size, opcode == C.TEXT)) for i in range(count)]
        how = "auto-fragmented into %d-byte frames" % fragment if fragment else "unfragmented"
        cases.append(C.Case("%s.%d" % (group, n), "%s: %d compressed messages of %d bytes, %s" % (
            description, count, size, how), [("message", op, p, fragment) for op, p in messages],
            C.echo(messages), 60.0, setup))


def family12(cases, quick):
    setup = DeflateSetup("permessage-deflate", [], DEFAULT_OFFER, "permessage-deflate")
    for k, (description, opcode, data) in enumerate(data_sets(), 1):
        _message_cases(cases, "12.%d" % k, description, opcode, data, setup, quick)


def _same(parameters):
    """The runner offers these parameters as a client and answers them as a server."""
    return DeflateSetup("permessage-deflate" + parameters, [], DEFAULT_OFFER, "permessage-deflate" + parameters)


def family13(cases, quick):
    nct = "; client_no_context_takeover; server_no_context_takeover"
    windows = lambda bits: "; client_max_window_bits=%d; server_max_window_bits=%d" % (bits, bits)
    groups = [
        ("Default parameters", _same("")),
        ("No context takeover", _same(nct)),
        ("Windows of 9 bits", _same(windows(9))),
        ("Windows of 15 bits", _same(windows(15))),
        ("Windows of 9 bits, no context takeover", _same(nct + windows(9))),
        ("Windows of 15 bits, no context takeover", _same(nct + windows(15))),
        ("Several offers, the first invalid", DeflateSetup(
            "permessage-deflate; server_max_window_bits=7, permessage-deflate; client_no_context_takeover; "
            "server_max_window_bits=10; client_max_window_bits, permessage-deflate",
            ["--deflate-client-no-context-takeover", "--deflate-server-max-window-bits", "10"],
            "permessage-deflate; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits",
            "permessage-deflate; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=12")),
        ("Windows of 8 bits (zlib sends uncompressed)", _same(windows(8))),
    ]
    _, _, data = data_sets()[0]
    for k, (description, setup) in enumerate(groups, 1):
        _message_cases(cases, "13.%d" % k, description, C.TEXT, data, setup, quick)
