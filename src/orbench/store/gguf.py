"""Read a GGUF file's key-value metadata without loading the model (no llama.cpp involved).

Only the header is read: the scalar and string values are kept, arrays (the tokenizer's
vocabulary) are skipped. orbench uses it for the generation settings a GGUF carries itself:
`general.sampling.*` (written by llama.cpp's converter from a model's generation_config.json,
and read by llama-server as its defaults) and `<arch>.context_length`.
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any, BinaryIO

from ..errors import OrbenchError

_SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}
_STRING, _ARRAY = 8, 9
MAX_STRING = 1 << 24  # a chat template is a few KB; anything this large is a corrupt header

# GGUF key -> Generation field, as llama.cpp names the keys (LLM_KV_SAMPLING_*)
SAMPLING_KEYS = {
    "general.sampling.temp": "temperature",
    "general.sampling.top_p": "top_p",
    "general.sampling.top_k": "top_k",
    "general.sampling.min_p": "min_p",
    "general.sampling.penalty_repeat": "repeat_penalty",
}


def read_metadata(path: Path) -> dict[str, Any]:
    """The header's key-value pairs (arrays left out). A file that is not GGUF is an OrbenchError."""
    try:
        with open(path, "rb") as fh:
            if fh.read(4) != b"GGUF":
                raise OrbenchError(f"not a GGUF file (bad magic bytes): {path}")
            version, = _unpack(fh, "<I")
            if version < 2:
                raise OrbenchError(f"GGUF version {version} is too old to read: {path}")
            _tensors, count = _unpack(fh, "<QQ")
            meta: dict[str, Any] = {}
            for _ in range(count):
                key = _string(fh)
                kind, = _unpack(fh, "<I")
                value = _value(fh, kind)
                if value is not _SKIPPED:
                    meta[key] = value
            return meta
    except OSError as exc:
        raise OrbenchError(f"cannot read model file {path}: {exc.strerror}") from None
    except (struct.error, UnicodeDecodeError, ValueError) as exc:
        raise OrbenchError(f"corrupt GGUF header in {path}: {exc}") from None


def sampling_defaults(meta: dict[str, Any]) -> dict[str, Any]:
    """The Generation fields the GGUF's `general.sampling.*` keys set (none when it has none)."""
    out: dict[str, Any] = {}
    for key, field in SAMPLING_KEYS.items():
        value = meta.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            out[field] = int(value) if field == "top_k" else round(float(value), 6)
    return out


def trained_context(meta: dict[str, Any]) -> int | None:
    """The context length the model was trained for (`<arch>.context_length`), if the file says."""
    arch = meta.get("general.architecture")
    value = meta.get(f"{arch}.context_length") if isinstance(arch, str) else None
    return value if isinstance(value, int) and value > 0 else None


_SKIPPED = object()

# ggml type -> (elements per block, bytes per block), for the types whose layout is fixed and common
# (ggml.h / ggml-common.h); a tensor of another type is checked by its offset alone.
GGML_BLOCKS = {0: (1, 4), 1: (1, 2), 2: (32, 18), 3: (32, 20), 6: (32, 22), 7: (32, 24), 8: (32, 34), 9: (32, 36),
               10: (256, 84), 11: (256, 110), 12: (256, 144), 13: (256, 176), 14: (256, 210), 15: (256, 292),
               24: (1, 1), 25: (1, 2), 26: (1, 4), 27: (1, 8), 28: (1, 8), 30: (1, 2)}
MAX_COUNT = 1 << 20  # tensors or metadata keys; real models have hundreds to a few thousand


def check_structure(path: Path) -> None:
    """Fail with one clear line unless `path` is a whole GGUF file: the magic bytes, a version this
    reads (2 or 3), plausible tensor and key counts, a header that parses to its end, and a file long
    enough for every tensor the header declares."""
    try:
        size = path.stat().st_size
        with open(path, "rb") as fh:
            end, data_start = _layout(fh, path)
    except OSError as exc:
        raise OrbenchError(f"cannot read model file {path}: {exc.strerror}") from None
    except (struct.error, UnicodeDecodeError, ValueError) as exc:
        raise OrbenchError(f"corrupt GGUF header in {path}: {exc}") from None
    if data_start + end > size:
        raise OrbenchError(f"truncated GGUF file: {path} has {size} bytes, its header declares "
                           f"{data_start + end}")


def _layout(fh: BinaryIO, path: Path) -> tuple[int, int]:
    """(end of the last tensor's data relative to the data section, where the data section starts)."""
    if fh.read(4) != b"GGUF":
        raise OrbenchError(f"not a GGUF file (bad magic bytes): {path}")
    version, = _unpack(fh, "<I")
    if version not in (2, 3):
        raise OrbenchError(f"GGUF version {version} is not one this orbench reads (2 or 3): {path}")
    tensors, keys = _unpack(fh, "<QQ")
    if tensors > MAX_COUNT or keys > MAX_COUNT:
        raise OrbenchError(f"corrupt GGUF header in {path}: {tensors} tensors and {keys} keys")
    alignment = 32
    for _ in range(keys):
        key = _string(fh)
        kind, = _unpack(fh, "<I")
        value = _value(fh, kind)
        if key == "general.alignment" and isinstance(value, int) and value > 0:
            alignment = value
    end = 0
    for _ in range(tensors):
        _string(fh)
        dims, = _unpack(fh, "<I")
        if dims > 8:
            raise ValueError(f"a tensor with {dims} dimensions")
        shape = _unpack(fh, f"<{dims}Q") if dims else ()
        kind, offset = _unpack(fh, "<IQ")
        elements = 1
        for n in shape:
            elements *= n
        block = GGML_BLOCKS.get(kind)
        end = max(end, offset + (elements // block[0] * block[1] if block else 0))
    data_start = -(-fh.tell() // alignment) * alignment
    return end, data_start


def _unpack(fh: BinaryIO, fmt: str) -> tuple[Any, ...]:
    size = struct.calcsize(fmt)
    data = fh.read(size)
    if len(data) != size:
        raise ValueError("the header ends early")
    return struct.unpack(fmt, data)


def _string(fh: BinaryIO) -> str:
    length, = _unpack(fh, "<Q")
    if length > MAX_STRING:
        raise ValueError(f"a string of {length} bytes")
    data = fh.read(length)
    if len(data) != length:
        raise ValueError("the header ends early")
    return data.decode("utf-8")


def _value(fh: BinaryIO, kind: int) -> Any:
    if kind in _SCALARS:
        return _unpack(fh, _SCALARS[kind])[0]
    if kind == _STRING:
        return _string(fh)
    if kind == _ARRAY:
        item_kind, n = _unpack(fh, "<IQ")
        if item_kind in _SCALARS:
            fh.seek(n * struct.calcsize(_SCALARS[item_kind]), 1)
        elif item_kind == _STRING:
            for _ in range(n):
                length, = _unpack(fh, "<Q")
                fh.seek(length, 1)
        else:
            for _ in range(n):
                _value(fh, item_kind)
        return _SKIPPED
    raise ValueError(f"unknown value type {kind}")
