"""Reading a response body within bounds: the bytes read from the wire, and the bytes each
content encoding inflates to, are counted against caps as they arrive, so a compression bomb
(``Content-Encoding: gzip, gzip``) costs at most the cap, never what it would inflate to."""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator

WIRE_LIMIT = 4 * 1024 * 1024  # bytes read from the connection
DECODED_LIMIT = 8 * 1024 * 1024  # bytes after each content encoding is undone
ACCEPTED = "gzip, deflate"  # the encodings we can undo within bounds


class TooLarge(Exception):
    """The body is larger than a cap: ``what`` says which."""

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


class UnsupportedEncoding(Exception):
    pass


class _Inflate:
    """One content encoding undone, its output bounded."""

    def __init__(self, encoding: str) -> None:
        # "deflate" is zlib-wrapped as HTTP says; a raw deflate stream is accepted too.
        self._raw_fallback = encoding == "deflate"
        self._inflater = zlib.decompressobj(
            zlib.MAX_WBITS if encoding == "deflate" else 16 + zlib.MAX_WBITS)
        self.produced = 0

    def feed(self, data: bytes, limit: int) -> bytes:
        budget = limit - self.produced
        try:
            out = self._inflater.decompress(data, budget + 1)
        except zlib.error:
            if not self._raw_fallback or self.produced:
                raise
            self._inflater, self._raw_fallback = zlib.decompressobj(-zlib.MAX_WBITS), False
            out = self._inflater.decompress(data, budget + 1)
        if len(out) > budget or self._inflater.unconsumed_tail:
            raise TooLarge(f"more than {limit} bytes once decoded")
        self.produced += len(out)
        return out


def decoders(content_encoding: str | None) -> list[_Inflate]:
    """The encodings to undo, in the order to undo them (the reverse of how they were applied)."""
    names = [n.strip().lower() for n in (content_encoding or "").split(",") if n.strip()]
    stages = []
    for name in reversed(names):
        if name == "identity":
            continue
        if name not in ("gzip", "x-gzip", "deflate"):
            raise UnsupportedEncoding(f"content encoding {name!r} was not asked for")
        stages.append(_Inflate(name))
    return stages


async def read(chunks: AsyncIterator[bytes], content_encoding: str | None,
               wire_limit: int = WIRE_LIMIT, decoded_limit: int = DECODED_LIMIT) -> bytes:
    """The whole decoded body, or TooLarge as soon as a cap is passed."""
    stages = decoders(content_encoding)
    wire = 0
    body = bytearray()
    async for chunk in chunks:
        wire += len(chunk)
        if wire > wire_limit:
            raise TooLarge(f"more than {wire_limit} bytes on the wire")
        for stage in stages:
            chunk = stage.feed(chunk, decoded_limit)
        body += chunk
        if len(body) > decoded_limit:
            raise TooLarge(f"more than {decoded_limit} bytes")
    return bytes(body)
