"""The conformance cases, modelled on the Autobahn TestSuite's public case list (families 1-7, 9
and 10) plus wspeer's own masking cases (family 11). Each case is written from the runner's side:
what it sends, and what a correct peer does in return.

A case is Case(id, description, actions, expect):
  actions: list of ("frame", opcode, payload, fin, rsv, chop, delay) / ("raw", bytes) /
           ("sleep", seconds) / ("close", code, reason_bytes)
  expect:  Echo(messages, pongs)  the peer answers exactly these, then closes cleanly with us
           Fail(codes, fast=...)  the peer fails the connection with one of these close codes
           CloseReply(codes, ...) after our close frame the peer answers with one of these codes
"""
import collections

TEXT, BINARY, CONT, CLOSE, PING, PONG = 1, 2, 0, 8, 9, 10

# `deflate`: a DeflateSetup (deflate_cases.py) for permessage-deflate cases, None otherwise.
Case = collections.namedtuple("Case", "id description actions expect timeout deflate", defaults=(None,))
Echo = collections.namedtuple("Echo", "messages pongs optional")
Fail = collections.namedtuple("Fail", "codes messages pongs fast_before")
CloseReply = collections.namedtuple("CloseReply", "codes messages")


def frame(opcode, payload=b"", fin=True, rsv=0, chop=None, delay=0.0):
    return ("frame", opcode, payload, fin, rsv, chop, delay)


def echo(messages=(), pongs=(), optional=False):
    return Echo(list(messages), list(pongs), optional)


def fail(codes=(1002,), messages=(), pongs=(), fast_before=None):
    return Fail(list(codes), list(messages), list(pongs), fast_before)


def case(cases, id, description, actions, expect, timeout=5.0):
    cases.append(Case(id, description, actions, expect, timeout))


def close_payload(code, reason=b""):
    return bytes([code >> 8, code & 0xFF]) + reason


def family1(cases):
    sizes = [0, 125, 126, 127, 128, 65535, 65536]
    for kind, opcode, group in (("text", TEXT, "1.1"), ("binary", BINARY, "1.2")):
        for i, size in enumerate(sizes, 1):
            payload = b"*" * size if kind == "text" else bytes([0xFE]) * size
            case(cases, f"{group}.{i}", f"Send {kind} message with payload length {size}",
                 [frame(opcode, payload)], echo([(opcode, payload)]))
        payload = b"*" * 65536 if kind == "text" else bytes([0xFE]) * 65536
        case(cases, f"{group}.8", f"Send {kind} message with payload length 65536, chopped into 997-byte writes",
             [frame(opcode, payload, chop=997)], echo([(opcode, payload)]))


def family2(cases):
    case(cases, "2.1", "Send ping without payload", [frame(PING)], echo(pongs=[b""]))
    case(cases, "2.2", "Send ping with small text payload", [frame(PING, b"Hello, world!")],
         echo(pongs=[b"Hello, world!"]))
    binary = bytes([0x00, 0xFF, 0xFE, 0xFD, 0xFC, 0xFB, 0x00, 0xFF])
    case(cases, "2.3", "Send ping with small binary (non UTF-8) payload", [frame(PING, binary)],
         echo(pongs=[binary]))
    case(cases, "2.4", "Send ping with binary payload of 125 octets", [frame(PING, b"\xfe" * 125)],
         echo(pongs=[b"\xfe" * 125]))
    case(cases, "2.5", "Send ping with binary payload of 126 octets", [frame(PING, b"\xfe" * 126)], fail())
    case(cases, "2.6", "Send ping with 125 octets, chopped into 1-byte writes",
         [frame(PING, b"\xfe" * 125, chop=1, delay=0.001)], echo(pongs=[b"\xfe" * 125]))
    case(cases, "2.7", "Send unsolicited pong without payload", [frame(PONG)], echo())
    case(cases, "2.8", "Send unsolicited pong with payload", [frame(PONG, b"unsolicited pong payload")], echo())
    case(cases, "2.9", "Send unsolicited pong, then ping", [frame(PONG, b"unsolicited"), frame(PING, b"ping")],
         echo(pongs=[b"ping"]))
    pings = [frame(PING, b"payload-%d" % i) for i in range(10)]
    case(cases, "2.10", "Send 10 pings", pings, echo(pongs=[b"payload-%d" % i for i in range(10)]))
    chopped = [frame(PING, b"payload-%d" % i, chop=1, delay=0.001) for i in range(10)]
    case(cases, "2.11", "Send 10 pings, each chopped into 1-byte writes", chopped,
         echo(pongs=[b"payload-%d" % i for i in range(10)]))


def family3(cases):
    hello = b"Hello, world!"
    case(cases, "3.1", "Send small text message with RSV = 1", [frame(TEXT, hello, rsv=1)], fail())
    case(cases, "3.2", "Send small text message, then one with RSV = 2, then ping",
         [frame(TEXT, hello), frame(TEXT, hello, rsv=2), frame(PING, hello)], fail(messages=[(TEXT, hello)]))
    case(cases, "3.3", "Send small text message, then one with RSV = 3, then ping, all at once",
         [frame(TEXT, hello), frame(TEXT, hello, rsv=3), frame(PING, hello)], fail(messages=[(TEXT, hello)]))
    case(cases, "3.4", "Send small text message, then one with RSV = 4, then ping, chopped",
         [frame(TEXT, hello, chop=1), frame(TEXT, hello, rsv=4, chop=1), frame(PING, hello, chop=1)],
         fail(messages=[(TEXT, hello)]))
    case(cases, "3.5", "Send small binary message with RSV = 5", [frame(BINARY, b"\x00\xff", rsv=5)], fail())
    case(cases, "3.6", "Send ping with RSV = 6", [frame(PING, hello, rsv=6)], fail())
    case(cases, "3.7", "Send close with RSV = 7", [frame(CLOSE, close_payload(1000), rsv=7)], fail())


def family4(cases):
    hello = b"Hello, world!"
    for i, opcode in enumerate((3, 4, 5, 6, 7), 1):
        actions = [frame(TEXT, hello), frame(opcode, b"reserved" if i % 2 else b""), frame(PING, hello)]
        case(cases, f"4.1.{i}", f"Send small text message, then frame with reserved non-control opcode {opcode}, then ping",
             actions, fail(messages=[(TEXT, hello)]))
    for i, opcode in enumerate((11, 12, 13, 14, 15), 1):
        actions = [frame(TEXT, hello), frame(opcode, b"reserved" if i % 2 else b""), frame(PING, hello)]
        case(cases, f"4.2.{i}", f"Send small text message, then frame with reserved control opcode {opcode}, then ping",
             actions, fail(messages=[(TEXT, hello)]))


def family5(cases):
    frag1, frag2 = b"fragment1", b"fragment2"
    case(cases, "5.1", "Send ping in 2 fragments", [frame(PING, frag1, fin=False), frame(CONT, frag2)], fail())
    case(cases, "5.2", "Send pong in 2 fragments", [frame(PONG, frag1, fin=False), frame(CONT, frag2)], fail())
    for i, chop in ((3, None), (4, 4), (5, 1)):
        how = {None: "", 4: ", chopped into 4-byte writes", 1: ", chopped into 1-byte writes"}[chop]
        case(cases, f"5.{i}", f"Send text message in 2 fragments{how}",
             [frame(TEXT, frag1, fin=False, chop=chop), frame(CONT, frag2, chop=chop)],
             echo([(TEXT, frag1 + frag2)]))
    for i, chop in ((6, None), (7, 4), (8, 1)):
        how = {None: "", 4: ", chopped into 4-byte writes", 1: ", chopped into 1-byte writes"}[chop]
        case(cases, f"5.{i}", f"Send text message in 2 fragments with a ping between them{how}",
             [frame(TEXT, frag1, fin=False, chop=chop), frame(PING, b"pongme!", chop=chop), frame(CONT, frag2, chop=chop)],
             echo([(TEXT, frag1 + frag2)], pongs=[b"pongme!"]))
    for i, chop in ((9, None), (10, 4), (11, 1)):
        case(cases, f"5.{i}", "Send unfragmented continuation without a message to continue, then a text message"
             + ("" if chop is None else f" (chop {chop})"),
             [frame(CONT, b"non-continuation payload", chop=chop), frame(TEXT, b"Hello, world!", chop=chop)], fail())
    for i, chop in ((12, None), (13, 4), (14, 1)):
        case(cases, f"5.{i}", "Send fragmented continuation without a message to continue, then a text message"
             + ("" if chop is None else f" (chop {chop})"),
             [frame(CONT, b"non-continuation payload", fin=False, chop=chop), frame(TEXT, b"Hello, world!", chop=chop)],
             fail())
    case(cases, "5.15", "Send text in 2 fragments, then continuation (no FIN) and continuation (FIN) without a start",
         [frame(TEXT, b"fragment1", fin=False), frame(CONT, b"fragment2"), frame(CONT, b"fragment3", fin=False),
          frame(CONT, b"fragment4")], fail(messages=[(TEXT, b"fragment1fragment2")]))
    case(cases, "5.16", "Repeated twice: continuation (no FIN), text (no FIN), continuation (FIN)",
         [frame(CONT, b"fragment1", fin=False), frame(TEXT, b"fragment2", fin=False), frame(CONT, b"fragment3")] * 2,
         fail())
    case(cases, "5.17", "Repeated twice: continuation (FIN), text (no FIN), continuation (FIN)",
         [frame(CONT, b"fragment1"), frame(TEXT, b"fragment2", fin=False), frame(CONT, b"fragment3")] * 2, fail())
    case(cases, "5.18", "Send text message in 2 fragments, both with the text opcode",
         [frame(TEXT, b"fragment1", fin=False), frame(TEXT, b"fragment2")], fail())
    for i, chop in ((19, None), (20, 1)):
        actions = [frame(TEXT, b"fragment1", fin=False, chop=chop), frame(CONT, b"fragment2", fin=False, chop=chop),
                   frame(PING, b"pongme 1!", chop=chop), ("sleep", 0.2), frame(CONT, b"fragment3", fin=False, chop=chop),
                   frame(CONT, b"fragment4", fin=False, chop=chop), frame(PING, b"pongme 2!", chop=chop),
                   ("sleep", 0.2), frame(CONT, b"fragment5", chop=chop)]
        case(cases, f"5.{i}", "Send text in 5 fragments with pings and pauses between them"
             + ("" if chop is None else ", chopped into 1-byte writes"),
             actions, echo([(TEXT, b"fragment1fragment2fragment3fragment4fragment5")], pongs=[b"pongme 1!", b"pongme 2!"]))


KOSME = b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5"


def utf8_vectors():
    """(id, description, bytes, valid) in the spirit of Autobahn's family 6 (Markus Kuhn's test)."""
    v = []
    add = lambda i, d, b, ok: v.append((i, d, b, ok))
    add("6.7.1", "First possible 1-byte sequence", b"\x00", True)
    add("6.7.2", "First possible 2-byte sequence", b"\xc2\x80", True)
    add("6.7.3", "First possible 3-byte sequence", b"\xe0\xa0\x80", True)
    add("6.7.4", "First possible 4-byte sequence", b"\xf0\x90\x80\x80", True)
    add("6.8.1", "First possible 5-byte sequence", b"\xf8\x88\x80\x80\x80", False)
    add("6.8.2", "First possible 6-byte sequence", b"\xfc\x84\x80\x80\x80\x80", False)
    add("6.9.1", "Last possible 1-byte sequence", b"\x7f", True)
    add("6.9.2", "Last possible 2-byte sequence", b"\xdf\xbf", True)
    add("6.9.3", "Last possible 3-byte sequence", b"\xef\xbf\xbf", True)
    add("6.9.4", "Last possible 4-byte sequence (U+10FFFF)", b"\xf4\x8f\xbf\xbf", True)
    add("6.10.1", "4-byte sequence above U+10FFFF", b"\xf7\xbf\xbf\xbf", False)
    add("6.10.2", "Last possible 5-byte sequence", b"\xfb\xbf\xbf\xbf\xbf", False)
    add("6.10.3", "Last possible 6-byte sequence", b"\xfd\xbf\xbf\xbf\xbf\xbf", False)
    add("6.11.1", "U+D7FF", b"\xed\x9f\xbf", True)
    add("6.11.2", "U+E000", b"\xee\x80\x80", True)
    add("6.11.3", "U+FFFD", b"\xef\xbf\xbd", True)
    add("6.11.4", "U+10FFFF", b"\xf4\x8f\xbf\xbf", True)
    add("6.11.5", "U+110000", b"\xf4\x90\x80\x80", False)
    add("6.12.1", "First continuation byte", b"\x80", False)
    add("6.12.2", "Last continuation byte", b"\xbf", False)
    add("6.12.3", "2 continuation bytes", b"\x80\xbf", False)
    add("6.12.4", "3 continuation bytes", b"\x80\xbf\x80", False)
    add("6.12.5", "4 continuation bytes", b"\x80\xbf\x80\xbf", False)
    add("6.12.6", "5 continuation bytes", b"\x80\xbf\x80\xbf\x80", False)
    add("6.12.7", "6 continuation bytes", b"\x80\xbf\x80\xbf\x80\xbf", False)
    add("6.12.8", "7 continuation bytes", b"\x80\xbf\x80\xbf\x80\xbf\x80", False)
    add("6.12.9", "All 64 continuation bytes", bytes(range(0x80, 0xc0)), False)
    add("6.13.1", "All 32 first bytes of 2-byte sequences, each followed by a space",
        b"".join(bytes([b, 0x20]) for b in range(0xc0, 0xe0)), False)
    add("6.13.2", "All 16 first bytes of 3-byte sequences, each followed by a space",
        b"".join(bytes([b, 0x20]) for b in range(0xe0, 0xf0)), False)
    add("6.13.3", "All 8 first bytes of 4-byte sequences, each followed by a space",
        b"".join(bytes([b, 0x20]) for b in range(0xf0, 0xf8)), False)
    add("6.13.4", "All 4 first bytes of 5-byte sequences, each followed by a space",
        b"".join(bytes([b, 0x20]) for b in range(0xf8, 0xfc)), False)
    add("6.13.5", "All 2 first bytes of 6-byte sequences, each followed by a space",
        b"".join(bytes([b, 0x20]) for b in range(0xfc, 0xfe)), False)
    incomplete = [b"\xc0", b"\xe0\x80", b"\xf0\x80\x80", b"\xf8\x80\x80\x80", b"\xfc\x80\x80\x80\x80",
                  b"\xdf", b"\xef\xbf", b"\xf7\xbf\xbf", b"\xfb\xbf\xbf\xbf", b"\xfd\xbf\xbf\xbf\xbf"]
    for i, seq in enumerate(incomplete, 1):
        add(f"6.14.{i}", f"Sequence with last continuation byte missing: {seq.hex(' ')}", seq, False)
    add("6.15.1", "Concatenation of incomplete sequences", b"".join(incomplete), False)
    add("6.16.1", "Impossible byte FE", b"\xfe", False)
    add("6.16.2", "Impossible byte FF", b"\xff", False)
    add("6.16.3", "Impossible bytes FE FE FF FF", b"\xfe\xfe\xff\xff", False)
    for i, seq in enumerate([b"\xc0\xaf", b"\xe0\x80\xaf", b"\xf0\x80\x80\xaf", b"\xf8\x80\x80\x80\xaf",
                             b"\xfc\x80\x80\x80\x80\xaf"], 1):
        add(f"6.17.{i}", f"Overlong ASCII '/': {seq.hex(' ')}", seq, False)
    for i, seq in enumerate([b"\xc1\xbf", b"\xe0\x9f\xbf", b"\xf0\x8f\xbf\xbf", b"\xf8\x87\xbf\xbf\xbf",
                             b"\xfc\x83\xbf\xbf\xbf\xbf"], 1):
        add(f"6.18.{i}", f"Maximum overlong sequence: {seq.hex(' ')}", seq, False)
    for i, seq in enumerate([b"\xc0\x80", b"\xe0\x80\x80", b"\xf0\x80\x80\x80", b"\xf8\x80\x80\x80\x80",
                             b"\xfc\x80\x80\x80\x80\x80"], 1):
        add(f"6.19.{i}", f"Overlong NUL: {seq.hex(' ')}", seq, False)
    for i, seq in enumerate([b"\xed\xa0\x80", b"\xed\xad\xbf", b"\xed\xae\x80", b"\xed\xaf\xbf", b"\xed\xb0\x80",
                             b"\xed\xbe\x80", b"\xed\xbf\xbf"], 1):
        add(f"6.20.{i}", f"Single UTF-16 surrogate: {seq.hex(' ')}", seq, False)
    pairs = [(0xa0, 0x80, 0xb0, 0x80), (0xa0, 0x80, 0xbf, 0xbf), (0xad, 0xbf, 0xb0, 0x80), (0xad, 0xbf, 0xbf, 0xbf),
             (0xae, 0x80, 0xb0, 0x80), (0xae, 0x80, 0xbf, 0xbf), (0xaf, 0xbf, 0xb0, 0x80), (0xaf, 0xbf, 0xbf, 0xbf)]
    for i, (a, b, c, d) in enumerate(pairs, 1):
        seq = bytes([0xed, a, b, 0xed, c, d])
        add(f"6.21.{i}", f"Paired UTF-16 surrogates: {seq.hex(' ')}", seq, False)
    nonchars = [0xFFFE, 0xFFFF] + [p * 0x10000 + x for p in range(1, 17) for x in (0xFFFE, 0xFFFF)]
    for i, cp in enumerate(nonchars, 1):
        add(f"6.22.{i}", f"Noncharacter U+{cp:04X} (valid UTF-8)", chr(cp).encode("utf-8", "surrogatepass"), True)
    for i, cp in enumerate([0xFFFD, 0xFEFF, 0x10000, 0x1F600, 0x7FF, 0x800], 1):
        add(f"6.23.{i}", f"Valid code point U+{cp:04X}", chr(cp).encode("utf-8"), True)
    return v


def family6(cases):
    case(cases, "6.1.1", "Send text message of length 0", [frame(TEXT, b"")], echo([(TEXT, b"")]))
    case(cases, "6.1.2", "Send fragmented text message, 3 fragments each of length 0",
         [frame(TEXT, b"", fin=False), frame(CONT, b"", fin=False), frame(CONT, b"")], echo([(TEXT, b"")]))
    case(cases, "6.1.3", "Send fragmented text message, 3 fragments, first and last of length 0",
         [frame(TEXT, b"", fin=False), frame(CONT, b"middle", fin=False), frame(CONT, b"")], echo([(TEXT, b"middle")]))
    hello = "Hello-µ@ßöäüàá-UTF-8!!".encode("utf-8")
    case(cases, "6.2.1", "Send a valid UTF-8 text message in one fragment", [frame(TEXT, hello)], echo([(TEXT, hello)]))
    points = [c.encode("utf-8") for c in hello.decode("utf-8")]
    case(cases, "6.2.2", "Send a valid UTF-8 text message in fragments, split at each code point",
         [frame(TEXT if i == 0 else CONT, p, fin=i == len(points) - 1) for i, p in enumerate(points)],
         echo([(TEXT, hello)]))
    case(cases, "6.2.3", "Send a valid UTF-8 text message in 1-byte fragments",
         [frame(TEXT if i == 0 else CONT, hello[i:i + 1], fin=i == len(hello) - 1) for i in range(len(hello))],
         echo([(TEXT, hello)]))
    case(cases, "6.2.4", "Send the valid UTF-8 text 'κόσμε' in 1-byte fragments",
         [frame(TEXT if i == 0 else CONT, KOSME[i:i + 1], fin=i == len(KOSME) - 1) for i in range(len(KOSME))],
         echo([(TEXT, KOSME)]))
    bad = KOSME + b"\xed\xa0\x80" + b"edited"
    case(cases, "6.3.1", "Send invalid UTF-8 text message unfragmented", [frame(TEXT, bad)], fail([1007]))
    case(cases, "6.3.2", "Send invalid UTF-8 text message in 1-byte fragments",
         [frame(TEXT if i == 0 else CONT, bad[i:i + 1], fin=i == len(bad) - 1) for i in range(len(bad))],
         fail([1007]))
    # Fail fast: the peer must close before the rest of the message is even sent.
    parts = [KOSME, b"\xf4\x90\x80\x80", b"edited"]
    case(cases, "6.4.1", "Send invalid UTF-8 in 3 fragments with pauses; fail after the 2nd",
         [frame(TEXT, parts[0], fin=False), ("sleep", 0.5), frame(CONT, parts[1], fin=False), ("sleep", 0.5),
          ("mark",), frame(CONT, parts[2])], fail([1007], fast_before=True))
    case(cases, "6.4.2", "Invalid byte at the start of the 2nd fragment; fail fast",
         [frame(TEXT, KOSME + b"\xf4", fin=False), ("sleep", 0.5), frame(CONT, b"\x90\x80\x80", fin=False),
          ("sleep", 0.5), ("mark",), frame(CONT, b"edited")], fail([1007], fast_before=True))
    whole = KOSME + b"\xf4\x90\x80\x80" + b"edited"
    header = bytes([0x81, 0x80 | len(whole)])
    case(cases, "6.4.3", "One frame, sent in 3 chops; fail within the frame after the bad byte",
         [("raw_masked_split", header, whole, [len(KOSME), len(KOSME) + 4])], fail([1007], fast_before=True))
    case(cases, "6.4.4", "One frame, bad byte sent alone; fail within the frame",
         [("raw_masked_split", header, whole, [len(KOSME) + 1, len(KOSME) + 2])], fail([1007], fast_before=True))
    for i in range(1, 6):
        if i == 1:
            actions = [frame(TEXT, KOSME)]
        else:
            cut = [1, 2, 3, 5][i - 2]
            actions = [frame(TEXT, KOSME[:cut], fin=False), frame(CONT, KOSME[cut:])]
        case(cases, f"6.5.{i}", "Send the valid UTF-8 text 'κόσμε'" + ("" if i == 1 else f" in 2 fragments split at byte {cut}"),
             actions, echo([(TEXT, KOSME)]))
    for i in range(1, len(KOSME) + 1):
        prefix = KOSME[:i]
        valid = i in (2, 5, 7, 9, 11)
        case(cases, f"6.6.{i}", f"Send text message of the first {i} bytes of 'κόσμε' ({'valid' if valid else 'invalid'})",
             [frame(TEXT, prefix)], echo([(TEXT, prefix)]) if valid else fail([1007]))
    for vid, description, data, valid in utf8_vectors():
        case(cases, vid, description, [frame(TEXT, data)], echo([(TEXT, data)]) if valid else fail([1007]))


def family7(cases):
    hello = b"Hello World!"
    case(cases, "7.1.1", "Send a message followed by a close frame", [frame(TEXT, hello), ("close", 1000, b"")],
         CloseReply([1000], [(TEXT, hello)]))
    case(cases, "7.1.2", "Send two close frames", [("close", 1000, b""), ("close", 1000, b"")], CloseReply([1000], []))
    case(cases, "7.1.3", "Send a ping after a close frame", [("close", 1000, b""), frame(PING, b"no pong")],
         CloseReply([1000], []))
    case(cases, "7.1.4", "Send a text message after a close frame", [("close", 1000, b""), frame(TEXT, hello)],
         CloseReply([1000], []))
    case(cases, "7.1.5", "Send a fragment, then a close frame, then the last fragment",
         [frame(TEXT, b"fragment1", fin=False), ("close", 1000, b""), frame(CONT, b"fragment2")],
         CloseReply([1000], []))
    big = b"B" * (256 * 1024)
    case(cases, "7.1.6", "Send a 256 KiB message followed by a close frame and a ping",
         [frame(TEXT, big), ("close", 1000, b""), frame(PING, b"ping")], CloseReply([1000], [(TEXT, big), "optional"]))
    case(cases, "7.3.1", "Send close with payload length 0", [frame(CLOSE, b"")], CloseReply([None, 1000], []))
    case(cases, "7.3.2", "Send close with payload length 1", [frame(CLOSE, b"\x03")], fail())
    case(cases, "7.3.3", "Send close with code 1000 and no reason", [("close", 1000, b"")], CloseReply([1000], []))
    case(cases, "7.3.4", "Send close with code 1000 and a short reason", [("close", 1000, b"Hello World!")],
         CloseReply([1000], []))
    case(cases, "7.3.5", "Send close with code 1000 and a 123-byte reason", [("close", 1000, b"*" * 123)],
         CloseReply([1000], []))
    case(cases, "7.3.6", "Send close with code 1000 and a 124-byte reason (frame too long)",
         [("close", 1000, b"*" * 124)], fail())
    case(cases, "7.5.1", "Send close with an invalid UTF-8 reason",
         [("close", 1000, KOSME + b"\xed\xa0\x80" + b"edited")], fail([1007]))
    valid = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999, 1012, 1013, 1014]
    for i, code in enumerate(valid, 1):
        case(cases, f"7.7.{i}", f"Send close with valid code {code}", [("close", code, b"")], CloseReply([code], []))
    for i, code in enumerate([0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999], 1):
        case(cases, f"7.9.{i}", f"Send close with invalid code {code}", [("close", code, b"")], fail())
    case(cases, "7.13.1", "Send close with code 5000", [("close", 5000, b"")], fail())
    case(cases, "7.13.2", "Send close with code 65535", [("close", 65535, b"")], fail())


def family9(cases, quick):
    sizes = [64 * 1024, 256 * 1024, 1 << 20, 4 << 20, 8 << 20, 16 << 20]
    if quick:
        sizes = sizes[:4]
    for group, opcode, kind in (("9.1", TEXT, "text"), ("9.2", BINARY, "binary")):
        for i, size in enumerate(sizes, 1):
            payload = (b"BAsd7&jh23" * (size // 10 + 1))[:size] if kind == "text" else bytes(range(256)) * (size // 256)
            case(cases, f"{group}.{i}", f"Send {kind} message of {size} bytes", [frame(opcode, payload)],
                 echo([(opcode, payload)]), timeout=60)
    fragment_sizes = [64, 256, 1024, 4096, 16384, 65536, 262144, 1 << 20, 4 << 20]
    total = 1 << 20 if quick else 4 << 20
    for group, opcode, kind in (("9.3", TEXT, "text"), ("9.4", BINARY, "binary")):
        for i, size in enumerate(fragment_sizes, 1):
            payload = (b"*" * total) if kind == "text" else (b"\xfe" * total)
            pieces = [payload[o:o + size] for o in range(0, total, size)]
            actions = [frame(opcode if j == 0 else CONT, p, fin=j == len(pieces) - 1) for j, p in enumerate(pieces)]
            case(cases, f"{group}.{i}", f"Send fragmented {kind} message of {total} bytes in {size}-byte fragments",
                 actions, echo([(opcode, payload)]), timeout=60)
    for group, opcode, kind in (("9.5", TEXT, "text"), ("9.6", BINARY, "binary")):
        for i, chop in enumerate([64, 128, 256, 512, 1024, 2048], 1):
            payload = (b"*" * (1 << 20)) if kind == "text" else (b"\xfe" * (1 << 20))
            case(cases, f"{group}.{i}", f"Send {kind} message of 1 MiB in {chop}-byte writes",
                 [frame(opcode, payload, chop=chop)], echo([(opcode, payload)]), timeout=60)
    for group, opcode, kind in (("9.7", TEXT, "text"), ("9.8", BINARY, "binary")):
        for i, size in enumerate([0, 16, 64, 256, 1024, 4096], 1):
            payload = (b"*" * size) if kind == "text" else (b"\xfe" * size)
            count = 200 if quick else 1000
            case(cases, f"{group}.{i}", f"Send {count} {kind} messages of {size} bytes",
                 [frame(opcode, payload)] * count, echo([(opcode, payload)] * count), timeout=60)


def family10(cases):
    payload = b"*" * 65536
    pieces = [payload[o:o + 1300] for o in range(0, len(payload), 1300)]
    case(cases, "10.1.1", "Send 64 KiB text message auto-fragmented into 1300-byte frames",
         [frame(TEXT if j == 0 else CONT, p, fin=j == len(pieces) - 1) for j, p in enumerate(pieces)],
         echo([(TEXT, payload)]))


def family11(cases, role):
    # wspeer's own: RFC 6455 §5.1 masking rules, which Autobahn checks only implicitly.
    if role == "server":
        case(cases, "11.1.1", "Send an unmasked text frame to a server", [("unmasked", TEXT, b"Hello")], fail())
    else:
        case(cases, "11.1.1", "Send a masked text frame to a client", [("masked", TEXT, b"Hello")], fail())
    case(cases, "11.1.2", "Send a 16-bit length encoding a 10-byte payload (non-minimal)",
         [("nonminimal", BINARY, b"0123456789")], fail())
    case(cases, "11.1.3", "Announce a frame of 2^63 - 1 bytes", [("huge",)], fail([1009]))


def all_cases(role, quick=False):
    import deflate_cases  # it builds on this module
    cases = []
    for build in (family1, family2, family3, family4, family5, family6, family7):
        build(cases)
    family9(cases, quick)
    family10(cases)
    family11(cases, role)
    deflate_cases.family12(cases, quick)
    deflate_cases.family13(cases, quick)
    return cases
