"""The call channel between a benchmark's tests and the program they judge, which run in two
separate sandboxes: the tests call the program's functions, and only plain data crosses.

Copied into both sandboxes (standard library only; nothing here imports orbench). The program's
side (`serve`) runs the program, then answers requests read from one pipe on another: "which of
these names do you define" and "call NAME with these arguments". The tests' side (`Program`) binds
each name the tests use and the program defines to a proxy function, so `assert f(2) == 4` runs
unchanged, but `f(2)` comes back as a value decoded here: numbers, strings, bytes, lists, tuples,
dicts, sets, None, ranges, iterators (as a list iterator), objects (as their class here, rebuilt
from their attributes, or a plain record), and exceptions by type name and message. Nothing the
program builds runs on the tests' side, so an `__eq__` that always says True, a patched
`os.write`, a trace function or a forged report have nothing to act on there; the program's side
never sees the tests, the expected values or the evidence pipe.

Arguments the program mutates come back with the reply and are updated in place on the tests'
side (so `f(xs); assert xs == [...]` works), and a result that is one of the arguments comes back
as that argument (so `f(xs) is xs` holds as it would in one process).

Wire format: a 4-byte big-endian length, then JSON. Scalars are JSON scalars (floats keep nan and
infinities); every container is a list whose first element is a tag (see ENCODERS / `decode`).
"""

from __future__ import annotations

import builtins
import os
import select
import time

TYPE_CHECKING = False  # not `from typing import ...`: importing typing costs every program ~5 ms
if TYPE_CHECKING:
    from typing import Any

MAX_MESSAGE = 64 << 20  # a larger reply is a failure, not a memory bomb on the tests' side
MAX_DEPTH = 400
BIG_INT = 1 << 4000  # beyond this, ints travel as hex (int <-> str conversion limits)


class CallChannelError(Exception):
    """The program's side broke the channel: it exited, sent garbage, or took too long."""


class CandidateError(Exception):
    """An exception the program raised whose type has no built-in namesake on the tests' side."""


class Opaque:
    """A value the program returned that is not data (a function, a module): equal only to itself."""

    def __init__(self, kind: str):
        self.kind = kind

    def __repr__(self) -> str:
        return f"<{self.kind} from the program>"


class Record:
    """An object of a class the tests do not define: its attributes, readable as attributes."""

    def __init__(self, kind: str, attrs: dict[str, Any]):
        self.__dict__.update(attrs)
        self._kind = kind

    def __repr__(self) -> str:
        return f"<{self._kind} record from the program>"


# --- encoding -------------------------------------------------------------------------------

def encode(value: Any, args: tuple = (), depth: int = 0, seen: set | None = None) -> Any:
    """`value` as JSON-ready data; an argument (by identity) as a reference to it."""
    if depth > MAX_DEPTH:
        raise ValueError("the value is nested too deeply to send")
    if value is None or value is True or value is False:
        return value
    for number, arg in enumerate(args):
        if value is arg and depth == 0 and not _scalar(value):
            return ["P", number]
    kind = type(value)
    if kind is str or kind is float:
        return value
    if kind is int:
        return value if -BIG_INT < value < BIG_INT else ["I", hex(value)]
    seen = set() if seen is None else seen
    if id(value) in seen:
        raise ValueError("the value refers to itself")
    seen.add(id(value))
    try:
        return _encode_other(value, depth + 1, seen)
    finally:
        seen.discard(id(value))


def _scalar(value: Any) -> bool:
    return isinstance(value, (bool, int, float, str, bytes, complex))


def _encode_other(value: Any, depth: int, seen: set) -> Any:
    each = (lambda items: [encode(v, (), depth, seen) for v in items])
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return encode(int.__index__(value), (), depth, seen)
    if isinstance(value, float):
        return float.__float__(value)
    if isinstance(value, str):
        return ["U", str.__str__(value)]
    if isinstance(value, (bytes, bytearray)):
        return ["A" if isinstance(value, bytearray) else "B", bytes(value).hex()]
    if isinstance(value, complex):
        return ["C", value.real, value.imag]
    if isinstance(value, list):
        return ["L", each(list.__iter__(value))]
    if isinstance(value, tuple):
        return ["T", each(tuple.__iter__(value))]
    if isinstance(value, frozenset):
        return ["F", each(value)]
    if isinstance(value, set):
        return ["S", each(value)]
    if isinstance(value, dict):
        return ["D", [[encode(k, (), depth, seen), encode(v, (), depth, seen)] for k, v in dict.items(value)]]
    if isinstance(value, range):
        return ["R", value.start, value.stop, value.step]
    if isinstance(value, BaseException):
        return ["E", type(value).__name__, _text(value)]
    if hasattr(value, "tolist") and type(value).__module__.split(".")[0] == "numpy":
        return encode(value.tolist(), (), depth, seen)
    if hasattr(value, "__next__") and hasattr(value, "__iter__"):
        return ["G", each(value)]
    attrs = getattr(value, "__dict__", None)
    if isinstance(attrs, dict) and not callable(value) and not isinstance(value, type):
        return ["O", type(value).__name__, [[str(k), encode(v, (), depth, seen)] for k, v in attrs.items()]]
    return ["X", type(value).__name__]


def _text(exc: BaseException) -> str:
    try:
        return str(exc)[:2000]
    except BaseException:  # noqa: BLE001 - an exception whose str() fails still names its type
        return ""


def decode(data: Any, namespace: dict | None = None, depth: int = 0) -> Any:
    """Data back into values. Only the types below are built; classes named in an "O" record are
    looked up in `namespace` (the tests' own), never imported."""
    if depth > MAX_DEPTH:
        raise CallChannelError("a value nested too deeply")
    if data is None or isinstance(data, (bool, int, float, str)):
        return data
    if not isinstance(data, list) or not data or not isinstance(data[0], str):
        raise CallChannelError("a malformed value")
    tag, rest = data[0], data[1:]
    each = (lambda items: [decode(v, namespace, depth + 1) for v in _list(items)])
    if tag == "U" and isinstance(rest[0], str):
        return rest[0]
    if tag == "I":
        return int(str(rest[0]), 16)
    if tag in ("B", "A"):
        raw = bytes.fromhex(str(rest[0]))
        return bytearray(raw) if tag == "A" else raw
    if tag == "C":
        return complex(float(rest[0]), float(rest[1]))
    if tag in ("L", "T", "S", "F", "G"):
        items = each(rest[0])
        build: Any = {"L": list, "T": tuple, "S": set, "F": frozenset, "G": iter}[tag]
        return build(items)
    if tag == "D":
        return {decode(k, namespace, depth + 1): decode(v, namespace, depth + 1) for k, v in _pairs(rest[0])}
    if tag == "R":
        return range(int(rest[0]), int(rest[1]), int(rest[2]))
    if tag == "E":
        return exception(str(rest[0]), str(rest[1]))
    if tag == "O":
        attrs = {str(k): decode(v, namespace, depth + 1) for k, v in _pairs(rest[1])}
        return _rebuild(str(rest[0]), attrs, namespace or {})
    if tag == "X":
        return Opaque(str(rest[0]))
    raise CallChannelError(f"an unknown value tag {tag!r}")


def _list(items: Any) -> list:
    if not isinstance(items, list):
        raise CallChannelError("a malformed container")
    return items


def _pairs(items: Any) -> list:
    pairs = _list(items)
    if not all(isinstance(p, list) and len(p) == 2 for p in pairs):
        raise CallChannelError("a malformed mapping")
    return pairs


def _rebuild(kind: str, attrs: dict[str, Any], namespace: dict) -> Any:
    cls = namespace.get(kind)
    if isinstance(cls, type) and cls.__module__ in ("__main__", "builtins") and not issubclass(cls, BaseException):
        try:
            obj = cls.__new__(cls)
            obj.__dict__.update(attrs)
            return obj
        except (TypeError, AttributeError):
            pass
    return Record(kind, attrs)


def exception(name: str, message: str) -> BaseException:
    """The built-in exception of that name (so `except ValueError` works), else CandidateError."""
    cls = getattr(builtins, name, None)
    if isinstance(cls, type) and issubclass(cls, Exception):
        try:
            return cls(message)
        except Exception:  # noqa: BLE001 - e.g. UnicodeDecodeError needs five arguments
            pass
    return CandidateError(f"{name}: {message}" if message else name)


def update_in_place(target: Any, new: Any) -> None:
    """Make a mutable argument on the tests' side equal what the program left it as."""
    if isinstance(target, list) and isinstance(new, list):
        target[:] = new
    elif isinstance(target, dict) and isinstance(new, dict):
        target.clear()
        target.update(new)
    elif isinstance(target, set) and isinstance(new, set):
        target.clear()
        target.update(new)
    elif isinstance(target, bytearray) and isinstance(new, bytearray):
        target[:] = new
    elif hasattr(target, "__dict__") and isinstance(new, (Record, type(target))) and not isinstance(target, type):
        try:
            target.__dict__.clear()
            target.__dict__.update(new.__dict__)
        except (AttributeError, TypeError):
            pass


MUTABLE = (list, dict, set, bytearray)


def _mutable(value: Any) -> bool:
    return isinstance(value, MUTABLE) or (hasattr(value, "__dict__") and not callable(value)
                                          and not isinstance(value, type))


# --- framing --------------------------------------------------------------------------------
# JSON through the C accelerator `_json` directly: `import json` pulls in `re` and `enum`, ~10 ms
# of start-up on each side of every program.

class _Context:
    """What `_json.make_scanner` reads from a decoder: plain JSON, nan and infinities allowed."""

    strict = True
    object_hook = object_pairs_hook = None
    parse_float, parse_int = float, int
    memo: dict = {}

    @staticmethod
    def parse_constant(name: str) -> float:
        return {"NaN": float("nan"), "Infinity": float("inf"), "-Infinity": float("-inf")}[name]


def _unencodable(value: Any) -> Any:
    raise TypeError(f"{type(value).__name__} is not JSON data")


try:
    import _json

    _scan = _json.make_scanner(_Context())  # type: ignore[arg-type]
    _encoder = _json.make_encoder(None, _unencodable, _json.encode_basestring_ascii, None, ":", ",",
                                  False, False, True)

    def dumps(message: Any) -> str:
        return "".join(_encoder(message, 0))

    def loads(text: str) -> Any:
        value, end = _scan(text, 0)
        if text[end:].strip():
            raise ValueError("extra data after the value")
        return value
except (ImportError, AttributeError, TypeError):  # an interpreter without the accelerator
    import json

    def dumps(message: Any) -> str:
        return json.dumps(message, separators=(",", ":"))

    def loads(text: str) -> Any:
        return json.loads(text)


def send(fd: int, message: Any) -> None:
    data = dumps(message).encode("ascii")
    view = memoryview(len(data).to_bytes(4, "big") + data)
    while view:
        view = view[os.write(fd, view):]


def receive(fd: int, deadline: float | None = None) -> Any:
    """One message; CallChannelError on EOF, a timeout (`deadline`, monotonic) or a bad message."""
    size = int.from_bytes(_read_exact(fd, 4, deadline), "big")
    if size > MAX_MESSAGE:
        raise CallChannelError(f"a reply of {size} bytes, over the {MAX_MESSAGE >> 20} MiB limit")
    try:
        return loads(_read_exact(fd, size, deadline).decode("ascii"))
    except (ValueError, RecursionError, StopIteration, KeyError) as exc:
        raise CallChannelError(f"an unreadable reply ({type(exc).__name__})") from None


def _read_exact(fd: int, size: int, deadline: float | None) -> bytes:
    chunks, left = [], size
    while left:
        if deadline is not None:
            wait = deadline - time.monotonic()
            if wait <= 0 or not select.select([fd], [], [], wait)[0]:
                raise CallChannelError("time limit")
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            raise CallChannelError("the program exited")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)
