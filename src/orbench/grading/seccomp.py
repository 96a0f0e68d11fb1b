"""A seccomp filter for the sandbox: no unix sockets, no io_uring.

A read-only mount does not stop `connect()` to a unix socket that lives in a folder the sandbox
exposes (the interpreter's, the system's), so the program may not create unix sockets at all:
`socket(AF_UNIX, ...)` fails with EACCES. `socketpair` stays allowed (it connects nothing outside),
and so does every other socket family (the network namespace has no way out anyway). io_uring
is refused because its requests (IORING_OP_SOCKET, ...) bypass seccomp; so are other ABIs (i386
`int 0x80`, x32), which could reach `socketcall` unfiltered. Needs no_new_privs (set here).

Copied into the sandbox and loaded by `harness.py`; standard library only (ctypes for prctl).
"""

from __future__ import annotations

import ctypes

PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 38, 22, 2
RET_ALLOW, RET_ERRNO, EACCES = 0x7FFF0000, 0x00050000, 13
LD_ABS_W, JEQ_K, JGE_K, RET_K = 0x20, 0x15, 0x35, 0x06
IO_URING = (425, 426, 427)  # io_uring_setup, _enter, _register: the same on every 64-bit ABI here
ARCHES = {"x86_64": (0xC000003E, 41), "aarch64": (0xC00000B7, 198)}  # audit arch, __NR_socket
AF_UNIX = 1


def program(machine: str) -> list[tuple[int, int, int, int]]:
    """The BPF program for `machine` (as `os.uname().machine` names it)."""
    arch, nr_socket = ARCHES[machine]
    deny = RET_ERRNO | EACCES
    insns = [
        (LD_ABS_W, 0, 0, 4),  # seccomp_data.arch
        (JEQ_K, 1, 0, arch),
        (RET_K, 0, 0, deny),  # another ABI
        (LD_ABS_W, 0, 0, 0),  # seccomp_data.nr
        (JGE_K, 0, 1, 0x40000000),
        (RET_K, 0, 0, deny),  # x32 system calls
    ]
    for number in IO_URING:
        insns += [(JEQ_K, 0, 1, number), (RET_K, 0, 0, deny)]
    insns += [
        (JEQ_K, 1, 0, nr_socket),
        (RET_K, 0, 0, RET_ALLOW),
        (LD_ABS_W, 0, 0, 16),  # seccomp_data.args[0], low 32 bits (little-endian): the family
        (JEQ_K, 0, 1, AF_UNIX),
        (RET_K, 0, 0, deny),
        (RET_K, 0, 0, RET_ALLOW),
    ]
    return insns


def install(machine: str) -> bool:
    """Install the filter for this process and its children; True if unix sockets are now refused."""
    if machine not in ARCHES:
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    insns = program(machine)
    raw = b"".join(code.to_bytes(2, "little") + bytes((jt, jf)) + k.to_bytes(4, "little") for code, jt, jf, k in insns)
    buffer = ctypes.create_string_buffer(raw, len(raw))

    class Fprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    prog = Fprog(len(insns), ctypes.cast(buffer, ctypes.c_void_p))
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        return False
    if libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(prog), 0, 0) != 0:
        return False
    return refused()


def refused() -> bool:
    """Whether creating a unix socket fails here (checked, not assumed)."""
    import _socket  # the C module: `socket` would import enum, at a cost to every program

    try:
        _socket.socket(AF_UNIX, _socket.SOCK_STREAM).close()
    except PermissionError:
        return True
    return False
