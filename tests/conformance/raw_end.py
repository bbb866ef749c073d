"""The runner's end of a connection: raw frames out and in, and what the peer was observed to do.
With permessage-deflate agreed (a DeflateCodec), messages are compressed on the way out and
decompressed on the way in."""
import os
import select
import struct
import time

import cases as C


def mask_bytes(data, key):
    if not data:
        return b""
    n = len(data)
    repeated = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(data, "little") ^ int.from_bytes(repeated, "little")).to_bytes(n, "little")


class RawEnd:
    """The runner's end of one connection: builds, sends and reads raw frames."""

    def __init__(self, sock, runner_is_client):
        self.sock = sock
        self.masks = runner_is_client
        self.buffer = bytearray()
        self.eof = False
        self.send_failed = False
        self.protocol_errors = []

    def build(self, opcode, payload=b"", fin=True, rsv=0, masked=None, length_form=None):
        masked = self.masks if masked is None else masked
        mbit = 0x80 if masked else 0
        head = bytes([(0x80 if fin else 0) | (rsv << 4) | opcode])
        n = len(payload)
        if length_form is None:
            length_form = 0 if n < 126 else (126 if n <= 0xFFFF else 127)
        if length_form == 0:
            head += bytes([mbit | n])
        elif length_form == 126:
            head += bytes([mbit | 126]) + struct.pack("!H", n)
        else:
            head += bytes([mbit | 127]) + struct.pack("!Q", n)
        if masked:
            key = os.urandom(4)
            return head + key + mask_bytes(payload, key)
        return head + payload

    def send(self, data, chop=None, delay=0.0):
        try:
            if not chop:
                self.sock.sendall(data)
                return
            pieces = range(0, len(data), chop)
            pause = delay or (0.0002 if len(pieces) < 2000 else 0)
            for offset in pieces:
                self.sock.sendall(data[offset:offset + chop])
                if pause:
                    time.sleep(pause)
        except OSError:
            self.send_failed = True

    def read_frame(self, deadline):
        """Returns (opcode, fin, rsv, masked, payload), "eof", or None at the deadline."""
        while True:
            frame = self._parse()
            if frame is not None:
                return frame
            if self.eof:
                return "eof"
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            ready, _, _ = select.select([self.sock], [], [], min(remaining, 0.5))
            if not ready:
                continue
            try:
                chunk = self.sock.recv(1 << 20)
            except OSError:
                chunk = b""
            if not chunk:
                self.eof = True
            self.buffer += chunk

    def _parse(self):
        b = self.buffer
        if len(b) < 2:
            return None
        fin, rsv, opcode = b[0] >> 7, (b[0] >> 4) & 7, b[0] & 15
        masked, n, pos = b[1] >> 7, b[1] & 127, 2
        if n == 126:
            if len(b) < 4:
                return None
            n, pos = struct.unpack("!H", b[2:4])[0], 4
        elif n == 127:
            if len(b) < 10:
                return None
            n, pos = struct.unpack("!Q", b[2:10])[0], 10
        key = b""
        if masked:
            if len(b) < pos + 4:
                return None
            key, pos = bytes(b[pos:pos + 4]), pos + 4
        if len(b) < pos + n:
            return None
        payload = bytes(b[pos:pos + n])
        del b[:pos + n]
        if masked:
            payload = mask_bytes(payload, key)
        return (opcode, bool(fin), rsv, bool(masked), payload)


class Observation:
    def __init__(self, codec=None):
        self.codec = codec   # a DeflateCodec when permessage-deflate was agreed
        self.compressed = 0  # messages that arrived compressed (RSV1)
        self.messages = []   # (opcode, payload), decompressed
        self.pongs = []
        self.closed = False  # a close frame arrived
        self.close = None    # its code (None for an empty close frame)
        self.close_reason = b""
        self.eof = False
        self.fast = None     # for fail-fast cases: closed before the rest was sent
        self.notes = []
        self._fragments = None

    def add(self, frame, peer_should_mask):
        opcode, fin, rsv, masked, payload = frame
        if masked != peer_should_mask:
            self.notes.append("frame %s masking (opcode %d)" % ("with wrong", opcode))
        if opcode == C.PONG:
            self.pongs.append(payload)
        elif opcode == C.CLOSE:
            self.closed = True
            self.close = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None
            self.close_reason = payload[2:]
        elif opcode == C.PING:
            self.notes.append("unexpected ping")
        elif opcode in (C.TEXT, C.BINARY):
            self._fragments = [opcode, payload, bool(rsv & 4)]
            if fin:
                self._complete()
        elif opcode == C.CONT and self._fragments is not None:
            self._fragments[1] += payload
            if rsv:
                self.notes.append("RSV bits on a continuation frame")
            if fin:
                self._complete()

    def _complete(self):
        opcode, payload, compressed = self._fragments
        self._fragments = None
        if compressed:
            self.compressed += 1
            if self.codec is None:
                self.notes.append("a compressed message without permessage-deflate")
            else:
                try:
                    payload = self.codec.decompress(payload)
                except Exception as error:  # zlib.error: the peer's data is corrupt
                    self.notes.append("undecodable compressed message: %s" % error)
        self.messages.append((opcode, payload))

    def summary(self):
        parts = []
        if self.messages:
            parts.append("%d message(s) %s" % (len(self.messages), ", ".join(
                "%s:%d bytes" % ("text" if op == C.TEXT else "binary", len(p)) for op, p in self.messages[:3])))
        if self.pongs:
            parts.append("%d pong(s)" % len(self.pongs))
        if self.closed:
            parts.append("close %s" % ("(no code)" if self.close is None else self.close))
        elif self.eof:
            parts.append("TCP closed without a close frame")
        if self.fast is False:
            parts.append("failed only after the rest was sent")
        parts += self.notes
        return "; ".join(parts) or "nothing"
