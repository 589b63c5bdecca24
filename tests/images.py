"""Reading what a picture the bot sent is, without trusting the code that drew it."""

from __future__ import annotations

import struct

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(png: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk, which the format puts first."""
    assert png[:8] == PNG_SIGNATURE, "not a PNG: no signature"
    length, kind = struct.unpack(">I4s", png[8:16])
    assert (length, kind) == (13, b"IHDR"), "not a PNG: no IHDR chunk first"
    width, height = struct.unpack(">II", png[16:24])
    return int(width), int(height)
