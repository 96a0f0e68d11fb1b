"""Namespaces and the filesystem view for the sandbox when bubblewrap is not there.

Run by `harness.py` inside the sandbox, before the model's script. With the `unshare` tool the
namespaces already exist and this process is their pid 1; otherwise it creates them itself
(`unshare(2)`) and forks into pid 1. Then it builds a new root: the system folders and the
Python installation read-only, a fresh /proc, a minimal /dev, size-capped tmpfs on /tmp and
/work, the harness's input folder read-only at /run/orbench; pivots into it; and gives up every
privilege: as real root it switches to the sandbox uid (and a user namespace of its own, so the
process limit counts this sandbox alone), otherwise it drops all capabilities; no new privileges
either way. Standard library only (`libc.py`, loaded first, for mount, pivot_root and capset).
"""

from __future__ import annotations

import os
import sys

try:
    from .libc import buffer, get_errno, libc as _libc
except ImportError:  # loaded by path inside the sandbox, where harness.py loaded libc.py first
    _c = sys.modules["_orbench_libc"]
    buffer, get_errno, _libc = _c.buffer, _c.get_errno, _c.libc

TYPE_CHECKING = False  # not `from typing import ...`: importing typing costs every program ~5 ms
if TYPE_CHECKING:
    from typing import Any

CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC = 0x20000, 0x02000000, 0x04000000, 0x08000000
CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x10000000, 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = (
    1, 2, 4, 8, 32, 4096, 16384, 1 << 18)
MS_NOATIME, MS_NODIRATIME, MS_RELATIME = 1024, 2048, 1 << 21
MNT_DETACH = 2
PR_SET_PDEATHSIG, PR_GET_DUMPABLE, PR_SET_DUMPABLE, PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS, PR_CAP_AMBIENT = (
    1, 3, 4, 24, 38, 47)
DEVICES = ("null", "zero", "full", "random", "urandom")
SIGKILL = 9


def enter(ns: dict[str, Any]) -> None:
    """Return as pid 1 of new namespaces, inside the new root, without privileges."""
    if ns["unshare"]:
        uid, gid = os.geteuid(), os.getegid()
        unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP
                | (CLONE_NEWUSER if ns["userns"] else 0))
        if ns["userns"]:
            map_ids(0, uid, 0, gid)
        become_pid1()
    make_root(ns)
    drop_privileges(ns)


def unshare(flags: int) -> None:
    if hasattr(os, "unshare"):  # Python 3.12+
        os.unshare(flags)
    elif _libc.unshare(flags) != 0:
        raise OSError(get_errno(), f"unshare: {os.strerror(get_errno())}")


def map_ids(inside_uid: int, outside_uid: int, inside_gid: int, outside_gid: int) -> None:
    _write("/proc/self/setgroups", "deny")
    _write("/proc/self/uid_map", f"{inside_uid} {outside_uid} 1")
    _write("/proc/self/gid_map", f"{inside_gid} {outside_gid} 1")


def become_pid1() -> None:
    """Fork into the new pid namespace; the parent waits outside and exits as pid 1 did."""
    child = os.fork()
    if child:
        _, status = os.waitpid(child, 0)
        code = os.waitstatus_to_exitcode(status)
        os._exit(128 - code if code < 0 else code)
    _call("prctl", PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0)  # the namespace dies with its parent


def make_root(ns: dict[str, Any]) -> None:
    root = ns["root"]
    if os.readlink("/proc/self/ns/mnt") == ns["host_mnt"]:  # never touch the host's mounts
        raise RuntimeError("not in a new mount namespace; refusing to mount anything")
    _mount(None, "/", None, MS_REC | MS_PRIVATE)  # nothing below propagates to the host
    _mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=0755")
    owner = f",uid={ns['uid']},gid={ns['gid']}" if ns.get("uid") is not None else ""
    # the private /tmp first, so an interpreter installed under /tmp is exposed on top of it, not hidden
    _private_tmpfs(root + "/tmp", ns["disk"], "1777", owner)
    for path in ns["system"]:
        expose(path, root + path)
    expose(ns["input"], root + "/run/orbench")
    _mkdir(root + "/proc")
    _mount("proc", root + "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    make_dev(root)
    for place, mode in ((ns["work"], "0755"), ("/dev/shm", "1777")):
        _private_tmpfs(root + place, ns["disk"], mode, owner)
    os.chdir(root)
    _call("pivot_root", b".", b".")  # the old root is stacked under the new one ...
    _call("umount2", b".", MNT_DETACH)  # ... and detached, so nothing of it stays reachable
    os.chdir("/")
    _mount(None, "/", None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)


def _private_tmpfs(target: str, size: int, mode: str, owner: str) -> None:
    _mkdir(target)
    _mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV, f"size={size},mode={mode}{owner}")


def expose(source: str, target: str) -> None:
    """`source` read-only at `target` (a symlink is copied as a symlink)."""
    if os.path.islink(source):
        os.makedirs(os.path.dirname(target), exist_ok=True)
        os.symlink(os.readlink(source), target)
        return
    _mkdir(target)
    _mount(source, target, None, MS_BIND | MS_REC)
    for point in _mounts_under(target):
        kept = os.statvfs(point).f_flag  # flags the kernel will not let a user namespace clear
        flags = MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV
        flags |= (MS_NOEXEC if kept & os.ST_NOEXEC else 0) | (MS_NOATIME if kept & os.ST_NOATIME else 0)
        flags |= (MS_NODIRATIME if kept & os.ST_NODIRATIME else 0) | (MS_RELATIME if kept & os.ST_RELATIME else 0)
        _mount(None, point, None, flags)


def make_dev(root: str) -> None:
    _mkdir(root + "/dev")
    _mount("tmpfs", root + "/dev", "tmpfs", MS_NOSUID | MS_NOEXEC, "size=64k,mode=0755")
    for name in DEVICES:
        open(f"{root}/dev/{name}", "w").close()
        _mount(f"/dev/{name}", f"{root}/dev/{name}", None, MS_BIND)
    for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"),
                         ("stdout", "/proc/self/fd/1"), ("stderr", "/proc/self/fd/2")):
        os.symlink(target, f"{root}/dev/{name}")


def drop_privileges(ns: dict[str, Any]) -> None:
    if ns.get("uid") is not None:  # real root: become the sandbox uid, which clears all capabilities
        uid, gid = ns["uid"], ns["gid"]
        os.setgroups([])
        os.setresgid(gid, gid, gid)
        os.setresuid(uid, uid, uid)
        _call("prctl", PR_SET_DUMPABLE, 1, 0, 0, 0)  # so that it may still write its own /proc/self files
        try:  # a user namespace of its own makes RLIMIT_NPROC count this sandbox's processes only
            unshare(CLONE_NEWUSER)
            map_ids(uid, uid, gid, gid)
        except OSError:
            pass
    try:
        _write("/proc/sys/user/max_user_namespaces", "0")  # no nested user namespaces
    except OSError:
        pass
    drop_capabilities()
    _call("prctl", PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)


def drop_capabilities() -> None:
    with open("/proc/sys/kernel/cap_last_cap") as fh:
        last = int(fh.read())
    for cap in range(last + 1):
        _libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0)  # fails harmlessly where there is nothing to drop
    _libc.prctl(PR_CAP_AMBIENT, 4, 0, 0, 0)  # PR_CAP_AMBIENT_CLEAR_ALL
    header = buffer((0x20080522).to_bytes(4, sys.byteorder) + bytes(4))  # _LINUX_CAPABILITY_VERSION_3, this process
    _call("capset", header, buffer(bytes(24)))  # effective, permitted, inheritable x 2: all zero


def _mounts_under(target: str) -> list[str]:
    with open("/proc/self/mountinfo") as fh:
        points = [_unescape(line.split()[4]) for line in fh]
    return [p for p in points if p == target or p.startswith(target.rstrip("/") + "/")]


def _unescape(field: str) -> str:
    """A mountinfo path, whose space, tab, newline and backslash the kernel writes as `\\ooo`
    (by hand: the `unicode_escape` codec's import costs each sandbox 2-4 ms, and it would misread
    UTF-8 names)."""
    parts = field.split("\\")
    out = [parts[0]]
    for part in parts[1:]:
        octal = part[:3]
        if len(octal) == 3 and all(c in "01234567" for c in octal):
            out.append(chr(int(octal, 8)) + part[3:])
        else:
            out.append("\\" + part)
    return "".join(out)


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    enc = (lambda s: None if s is None else s.encode())
    _call("mount", enc(source), enc(target), enc(fstype), flags, enc(data))


def _call(name: str, *args: Any) -> None:
    if getattr(_libc, name)(*args) != 0:
        err = get_errno()
        raise OSError(err, f"{name}{tuple(a for a in args if isinstance(a, (bytes, int)))}: {os.strerror(err)}")


def _mkdir(path: str) -> None:
    os.makedirs(path, exist_ok=True)


def _write(path: str, text: str) -> None:
    with open(path, "w") as fh:
        fh.write(text)
