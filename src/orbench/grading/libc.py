"""The C library's functions for the sandbox's setup (`nsroot.py`, `seccomp.py`), through `_ctypes`
alone: `import ctypes` costs every sandbox about 2 ms of CPU for machinery this does not need.

Each function takes C ints, byte strings (as `const char *`), None (NULL) and `buffer(...)` (a
writable copy, as a pointer to its first byte), and returns a C int; errno is kept for
`get_errno()`. Copied into the sandbox; standard library only.
"""

from __future__ import annotations

import _ctypes as _ctypes_module

TYPE_CHECKING = False  # not `from typing import ...`: importing typing costs every program ~5 ms
if TYPE_CHECKING:
    from typing import Any

_ctypes: Any = _ctypes_module  # its private classes, as ctypes/__init__.py uses them (untyped)


class _Int(_ctypes._SimpleCData):
    _type_ = "i"


class _Char(_ctypes._SimpleCData):
    _type_ = "c"


class _Function(_ctypes.CFuncPtr):
    _flags_ = _ctypes.FUNCFLAG_CDECL | _ctypes.FUNCFLAG_USE_ERRNO
    _restype_ = _Int


class Library:
    """This process's C library (`dlopen(NULL)`); `libc.prctl(...)` calls `prctl`."""

    def __init__(self) -> None:
        self._handle = _ctypes.dlopen(None, 0)

    def __getattr__(self, name: str) -> Any:
        function = _Function((name, self))
        setattr(self, name, function)
        return function


def buffer(raw: bytes) -> Any:
    """A writable C copy of `raw`, passed to a function as a pointer to its first byte."""
    kind: Any = type("Buffer", (_ctypes.Array,), {"_type_": _Char, "_length_": max(1, len(raw))})
    return kind.from_buffer_copy(raw.ljust(1, b"\0"))


def address(buf: Any) -> int:
    """Where `buf` lives, to store in a structure."""
    return _ctypes.addressof(buf)


def get_errno() -> int:
    return _ctypes.get_errno()


libc = Library()
