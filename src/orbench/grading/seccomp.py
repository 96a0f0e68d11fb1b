"""A seccomp filter for the sandbox: no unix sockets, no io_uring, no tracing of other processes.

A read-only mount does not stop `connect()` to a unix socket that lives in a folder the sandbox
exposes (the interpreter's, the system's), so the program may not create unix sockets at all:
`socket(AF_UNIX, ...)` fails with EACCES. `socketpair` stays allowed (it connects nothing outside),
and so does every other socket family (the network namespace has no way out anyway). io_uring
is refused because its requests (IORING_OP_SOCKET, ...) bypass seccomp; so are other ABIs (i386
`int 0x80`, x32), which could reach `socketcall` unfiltered. `ptrace`, `process_vm_readv`,
`process_vm_writev` and `pidfd_getfd` fail with EPERM: the program may not read, write or steal
descriptors from any other process of the sandbox (bubblewrap's or the harness's pid 1, the tests'
side where it shares a uid), whatever their dumpable flag. Needs no_new_privs (set here).

Copied into the sandbox and loaded by `harness.py` (after `libc.py`); standard library only.
"""

from __future__ import annotations

import sys

try:
    from .libc import address, buffer, get_errno, libc
except ImportError:  # loaded by path inside the sandbox, where harness.py loaded libc.py first
    _c = sys.modules["_orbench_libc"]
    address, buffer, get_errno, libc = _c.address, _c.buffer, _c.get_errno, _c.libc

PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 38, 22, 2
RET_ALLOW, RET_ERRNO, EPERM, EACCES, ESRCH = 0x7FFF0000, 0x00050000, 1, 13, 3
LD_ABS_W, JEQ_K, JGE_K, RET_K = 0x20, 0x15, 0x35, 0x06
IO_URING = (425, 426, 427)  # io_uring_setup, _enter, _register: the same on every 64-bit ABI here
PIDFD_GETFD = 438  # the same on every 64-bit ABI here
ARCHES = {"x86_64": (0xC000003E, 41), "aarch64": (0xC00000B7, 198)}  # audit arch, __NR_socket
TRACING = {"x86_64": (101, 310, 311), "aarch64": (117, 270, 271)}  # ptrace, process_vm_readv, _writev
AF_UNIX = 1
PTRACE_ATTACH = 16


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
    for number in (*TRACING[machine], PIDFD_GETFD):
        insns += [(JEQ_K, 0, 1, number), (RET_K, 0, 0, RET_ERRNO | EPERM)]
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
    insns = program(machine)
    order = sys.byteorder
    filters = buffer(b"".join(code.to_bytes(2, order) + bytes((jt, jf)) + k.to_bytes(4, order)
                              for code, jt, jf, k in insns))
    # struct sock_fprog: unsigned short len, padding to the pointer, struct sock_filter *filter (64-bit ABIs)
    prog = buffer(len(insns).to_bytes(2, order) + bytes(6) + address(filters).to_bytes(8, order))
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        return False
    if libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, prog, 0, 0) != 0:
        return False
    return refused()


def tracing_refused() -> bool:
    """Whether ptrace fails with the filter's EPERM (checked on pid 0, which does not exist:
    without the filter the kernel answers ESRCH and attaches to nothing)."""
    return libc.ptrace(PTRACE_ATTACH, 0, 0, 0) == -1 and get_errno() == EPERM


def refused() -> bool:
    """Whether creating a unix socket fails here (checked, not assumed)."""
    import _socket  # the C module: `socket` would import enum, at a cost to every program

    try:
        _socket.socket(AF_UNIX, _socket.SOCK_STREAM).close()
    except PermissionError:
        return True
    return False
