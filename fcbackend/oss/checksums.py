"""CRC-64/ECMA as OSS reports it (``x-oss-hash-crc64ecma``) and the MD5 ETags.

OSS's CRC is the reflected ECMA-182 polynomial with all-ones initial value and final XOR (the
CRC-64/XZ of the catalogues), printed as an unsigned decimal. ``anycrc`` computes it at GB/s and
can continue a CRC over chunks and combine the CRCs of consecutive parts, which is how a multipart
object's CRC is formed without reading the parts again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import anycrc

_CRC64 = anycrc.Model("CRC64-XZ")


def crc64(data: bytes | bytearray | memoryview, crc: int = 0) -> int:
    """The CRC of ``data``, continuing ``crc`` (the CRC of what came before)."""
    return int(_CRC64.calc(data, crc)) if crc else int(_CRC64.calc(data))


def crc64_combine(first: int, second: int, second_length: int) -> int:
    """The CRC of A+B from CRC(A), CRC(B) and len(B)."""
    return int(_CRC64.combine(first, second, second_length))


def multipart_etag(part_md5s: Iterable[bytes]) -> str:
    """OSS's ETag of a multipart object: MD5 over the parts' binary MD5s, then ``-<count>``."""
    digests = list(part_md5s)
    return f"{hashlib.md5(b''.join(digests)).hexdigest().upper()}-{len(digests)}"
