"""permessage-deflate for the conformance runner (RFC 7692): the agreement read from a handshake
and the runner's own compression, with Python's zlib (not the code under test)."""
import zlib

TAIL = b"\x00\x00\xff\xff"


def agreed_params(header):
    """The parameters of a Sec-WebSocket-Extensions response naming one permessage-deflate, as
    {name: value or None}; None when the header is missing or names something else."""
    if not header:
        return None
    elements = [e.strip() for e in header.split(",")]
    parts = [p.strip() for p in elements[0].split(";")]
    if len(elements) != 1 or parts[0] != "permessage-deflate":
        return None
    params = {}
    for part in parts[1:]:
        name, _, value = part.partition("=")
        params[name.strip()] = value.strip().strip('"') or None
    return params


class DeflateCodec:
    """One connection's compression as seen from the runner's side."""

    def __init__(self, params, runner_is_client):
        server_bits = int(params.get("server_max_window_bits") or 15)
        client_bits = int(params.get("client_max_window_bits") or 15)
        server_reset = "server_no_context_takeover" in params
        client_reset = "client_no_context_takeover" in params
        self.own_bits, self.peer_bits = (client_bits, server_bits) if runner_is_client else (server_bits, client_bits)
        self.own_reset, self.peer_reset = (client_reset, server_reset) if runner_is_client else (server_reset, client_reset)
        self.peer_can_compress = self.peer_bits > 8  # zlib has no 8-bit raw compressor
        self._compressor = self._new_compressor()
        self._decompressor = zlib.decompressobj(wbits=-self.peer_bits)

    def _new_compressor(self):
        # zlib cannot compress with an 8-bit window: the runner then sends uncompressed.
        return zlib.compressobj(wbits=-self.own_bits) if self.own_bits > 8 else None

    def compress(self, data):
        """(payload, rsv1) for one message."""
        if self._compressor is None:
            return data, False
        out = self._compressor.compress(data) + self._compressor.flush(zlib.Z_SYNC_FLUSH)
        assert out.endswith(TAIL)
        if self.own_reset:
            self._compressor = self._new_compressor()
        return out[:-len(TAIL)], True

    def decompress(self, payload):
        out = self._decompressor.decompress(payload + TAIL)
        if self.peer_reset:
            self._decompressor = zlib.decompressobj(wbits=-self.peer_bits)
        return out
