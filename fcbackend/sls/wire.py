"""The PutLogs body: a compressed protobuf ``LogGroup``, decoded as SLS decodes it.

Why Google's ``protobuf`` runtime and the ``lz4`` binding rather than hand-written decoders: both
are what the official SDK itself encodes with (they are its dependencies), both are maintained
and fuzzed upstream, and a hostile body then fails inside a parser built for untrusted input.
The message is declared here from its field list (``log_logs.proto`` of the SDK, proto2):

* ``LogGroup``: ``Logs`` (1, repeated ``Log``), ``Reserved`` (2), ``Topic`` (3), ``Source`` (4),
  ``MachineUUID`` (5), ``LogTags`` (6, repeated ``LogTag``);
* ``Log``: ``Time`` (1, required uint32), ``Contents`` (2, repeated ``Content``),
  ``Time_ns`` (4, fixed32); ``Content`` and ``LogTag``: ``Key`` (1), ``Value`` (2), required.

Keys and values are declared ``bytes`` (the SDK sends whatever bytes a value holds) and decoded
as UTF-8 with replacement. The protobuf runtime is imported on the first PutLogs, not at start-up.
Compression (``x-log-compresstype``): ``lz4`` (an LZ4 block without a size prefix, the raw size
in ``x-log-bodyrawsize``), ``deflate`` (zlib) or none; anything else is ``InvalidCompressType``.
"""

from __future__ import annotations

import functools
import zlib
from collections.abc import Sequence
from typing import Any

from fcbackend.sls.errors import SlsError, post_body_invalid
from fcbackend.sls.store import LogEntry

MAX_RAW_BODY = 10 * 1024 * 1024  # SLS's PutLogs limit (10 MB per request, before compression)
MAX_LOGS_PER_GROUP = 40_960


@functools.cache
def _log_group_class() -> Any:
    from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

    field = descriptor_pb2.FieldDescriptorProto
    file = descriptor_pb2.FileDescriptorProto(name="rosengine_sls_log.proto", package="rosengine.sls")

    def message(name: str, fields: Sequence[tuple[str, int, Any, Any, str]]) -> None:
        msg = file.message_type.add(name=name)
        for field_name, number, label, kind, type_name in fields:
            added = msg.field.add(name=field_name, number=number, label=label, type=kind)
            if type_name:
                added.type_name = type_name

    required, optional, repeated = field.LABEL_REQUIRED, field.LABEL_OPTIONAL, field.LABEL_REPEATED
    pair = [("Key", 1, required, field.TYPE_BYTES, ""), ("Value", 2, required, field.TYPE_BYTES, "")]
    message("Content", pair)
    message("LogTag", pair)
    message(
        "Log",
        [
            ("Time", 1, required, field.TYPE_UINT32, ""),
            ("Contents", 2, repeated, field.TYPE_MESSAGE, ".rosengine.sls.Content"),
            ("Time_ns", 4, optional, field.TYPE_FIXED32, ""),
        ],
    )
    message(
        "LogGroup",
        [
            ("Logs", 1, repeated, field.TYPE_MESSAGE, ".rosengine.sls.Log"),
            ("Reserved", 2, optional, field.TYPE_STRING, ""),
            ("Topic", 3, optional, field.TYPE_STRING, ""),
            ("Source", 4, optional, field.TYPE_STRING, ""),
            ("MachineUUID", 5, optional, field.TYPE_STRING, ""),
            ("LogTags", 6, repeated, field.TYPE_MESSAGE, ".rosengine.sls.LogTag"),
        ],
    )
    pool = descriptor_pool.DescriptorPool()
    pool.Add(file)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("rosengine.sls.LogGroup"))


def _text(value: bytes) -> str:
    return value.decode("utf-8", "replace")


def decompress(body: bytes, compress_type: str, raw_size_header: str | None) -> bytes:
    """The raw body of a request; raises :class:`SlsError` with SLS's code for a bad one."""
    kind = compress_type.strip().lower()
    if kind == "":
        if len(body) > MAX_RAW_BODY:
            raise SlsError(413, "PostBodyTooLarge", f"the body is larger than {MAX_RAW_BODY} bytes")
        return body
    if raw_size_header is None:
        raise SlsError(
            400, "MissingBodyRawSize", "x-log-bodyrawsize does not exist in header when it is necessary."
        )
    try:
        raw_size = int(raw_size_header)
    except ValueError:
        raise SlsError(400, "InvalidBodyRawSize", "x-log-bodyrawsize is invalid.") from None
    if raw_size < 0:
        raise SlsError(400, "InvalidBodyRawSize", "x-log-bodyrawsize is invalid.")
    if raw_size > MAX_RAW_BODY:
        raise SlsError(413, "PostBodyTooLarge", f"the raw body is larger than {MAX_RAW_BODY} bytes")
    if kind == "lz4":
        import lz4.block

        try:
            raw = lz4.block.decompress(body, uncompressed_size=raw_size) if raw_size else b""
        except lz4.block.LZ4BlockError as exc:
            raise post_body_invalid(f"the body is not lz4 data of {raw_size} bytes: {exc}") from None
    elif kind == "deflate":
        inflater = zlib.decompressobj()
        try:
            raw = inflater.decompress(body, raw_size + 1)
        except zlib.error as exc:
            raise post_body_invalid(f"the body is not deflate (zlib) data: {exc}") from None
    else:
        raise SlsError(400, "InvalidCompressType", f"x-log-compresstype {compress_type} is unsupported.")
    if len(raw) != raw_size:
        raise SlsError(
            400,
            "InvalidBodyRawSize",
            f"x-log-bodyrawsize says {raw_size} bytes but the body decompresses to {len(raw)} or more",
        )
    return raw


def decode_log_group(raw: bytes) -> list[LogEntry]:
    """The logs of a serialized ``LogGroup``; raises ``PostBodyInvalid`` naming what is wrong."""
    from google.protobuf.message import DecodeError

    group = _log_group_class()()
    try:
        group.ParseFromString(raw)
    except DecodeError as exc:
        raise post_body_invalid(f"the body is not a protobuf LogGroup: {exc}") from None
    if len(group.Logs) > MAX_LOGS_PER_GROUP:
        raise post_body_invalid(
            f"a LogGroup holds at most {MAX_LOGS_PER_GROUP} logs, this one {len(group.Logs)}"
        )
    tags = tuple((_text(t.Key), _text(t.Value)) for t in group.LogTags)
    topic, source = group.Topic, group.Source
    return [
        LogEntry(
            time=int(log.Time),
            fields=tuple((_text(c.Key), _text(c.Value)) for c in log.Contents),
            topic=topic,
            source=source,
            tags=tags,
            time_ns=int(log.Time_ns),
        )
        for log in group.Logs
    ]
