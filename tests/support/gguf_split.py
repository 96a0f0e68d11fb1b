"""Split a GGUF file into `-0000i-of-0000N` parts the way llama.cpp's gguf-split does, for tests.

The first part keeps every key-value pair of the original; each part gets `split.no`,
`split.count` and `split.tensors.count`, and its own share of the tensors with offsets relative
to its own data section. Tensor data is copied byte for byte (with the original's padding).
"""

from __future__ import annotations

import struct
from pathlib import Path

_SCALAR_SIZES = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}


def _skip_value(data: bytes, pos: int, kind: int) -> int:
    if kind in _SCALAR_SIZES:
        return pos + _SCALAR_SIZES[kind]
    if kind == 8:
        (n,) = struct.unpack_from("<Q", data, pos)
        return pos + 8 + n
    item, count = struct.unpack_from("<IQ", data, pos)
    pos += 12
    for _ in range(count):
        pos = _skip_value(data, pos, item)
    return pos


def _string(data: bytes, pos: int) -> tuple[str, int]:
    (n,) = struct.unpack_from("<Q", data, pos)
    return data[pos + 8:pos + 8 + n].decode(), pos + 8 + n


def _gguf_string(text: str) -> bytes:
    raw = text.encode()
    return struct.pack("<Q", len(raw)) + raw


def _split_kvs(no: int, count: int, tensors: int) -> bytes:
    return (_gguf_string("split.no") + struct.pack("<IH", 2, no) + _gguf_string("split.count")
            + struct.pack("<IH", 2, count) + _gguf_string("split.tensors.count") + struct.pack("<Ii", 5, tensors))


def encode_kvs(kvs: dict[str, object]) -> bytes:
    """Key-value pairs in GGUF encoding: str, bool, int (i32) or float (f32)."""
    out = b""
    for key, value in kvs.items():
        out += _gguf_string(key)
        if isinstance(value, str):
            out += struct.pack("<I", 8) + _gguf_string(value)
        elif isinstance(value, bool):
            out += struct.pack("<I?", 7, value)
        elif isinstance(value, int):
            out += struct.pack("<Ii", 5, value)
        else:
            out += struct.pack("<If", 6, float(value))
    return out


def tiny_gguf(kvs: dict[str, object]) -> bytes:
    """A GGUF file with these key-value pairs and no tensors (enough for metadata readers)."""
    return b"GGUF" + struct.pack("<IQQ", 3, 0, len(kvs)) + encode_kvs(kvs)


def split_gguf(source: Path, folder: Path, parts: int, stem: str, extra: dict[str, object] | None = None) -> list[Path]:
    """Write `folder/stem-0000i-of-0000N.gguf` for i = 1..parts and return their paths; the first part
    also gets the key-value pairs in `extra`."""
    data = source.read_bytes()
    version, n_tensors, n_kv = struct.unpack_from("<IQQ", data, 4)
    pos = 24
    alignment = 32
    for _ in range(n_kv):
        key, pos = _string(data, pos)
        (kind,) = struct.unpack_from("<I", data, pos)
        if key == "general.alignment":
            (alignment,) = struct.unpack_from("<I", data, pos + 4)
        pos = _skip_value(data, pos + 4, kind)
    kv_bytes = data[24:pos] + encode_kvs(extra or {})
    n_kv += len(extra or {})
    infos = []
    for _ in range(n_tensors):
        name, pos = _string(data, pos)
        (n_dims,) = struct.unpack_from("<I", data, pos)
        dims = struct.unpack_from(f"<{n_dims}Q", data, pos + 4)
        kind, offset = struct.unpack_from("<IQ", data, pos + 4 + 8 * n_dims)
        pos += 4 + 8 * n_dims + 12
        infos.append((name, dims, kind, offset))
    data_start = -(-pos // alignment) * alignment
    ordered = sorted(infos, key=lambda t: t[3])
    ends = [t[3] for t in ordered[1:]] + [len(data) - data_start]
    blobs = {t[0]: data[data_start + t[3]:data_start + end] for t, end in zip(ordered, ends)}
    share = -(-n_tensors // parts)
    paths = []
    for i in range(parts):
        chunk = infos[i * share:(i + 1) * share]
        header = b"GGUF" + struct.pack("<IQQ", version, len(chunk), (n_kv + 3) if i == 0 else 3)
        header += (kv_bytes if i == 0 else b"") + _split_kvs(i, parts, n_tensors)
        body, offset = [], 0
        for name, dims, kind, _ in chunk:
            header += _gguf_string(name) + struct.pack("<I", len(dims)) + struct.pack(f"<{len(dims)}Q", *dims)
            header += struct.pack("<IQ", kind, offset)
            body.append(blobs[name])
            offset += len(blobs[name])
        header += b"\0" * (-len(header) % alignment)
        path = folder / f"{stem}-{i + 1:05d}-of-{parts:05d}.gguf"
        path.write_bytes(header + b"".join(body))
        paths.append(path)
    return paths
