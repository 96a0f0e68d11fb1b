"""Adversarial programs against the code grader: each must get the right verdict, and after each
the test process is alive, no process it started remains and no file appeared outside the sandbox.

Every case runs on the engine `auto` picks, or on the one named by ORBENCH_ADVERSARIAL_ENGINE
(bwrap, unshare, python); run as root, the call-channel and side-door cases run once more as an
unprivileged user (`test_..._for_an_unprivileged_user`).

Safety: the kill-all and fork-bomb programs run only after `confinement` (a session fixture whose
result the two gate tests assert) has shown with harmless probes that programs get their own pid
namespace and a working process cap; otherwise they are skipped with the reason. Unconfined as
root, `os.kill(-1, 9)` kills every process on the machine, the test runner included.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

import pytest

from orbench.grading.isolation import choose
from orbench.grading.sandbox import Limits as SandboxLimits
from orbench.grading.sandbox import SandboxResult, run_calls, run_python
from support.procwatch import Listener, PeakCounter, leftovers

pytestmark = pytest.mark.sandbox

ENGINE = os.environ.get("ORBENCH_ADVERSARIAL_ENGINE", "auto")


def Limits(**fields) -> SandboxLimits:  # noqa: N802 - every case's limits, on the engine under test
    return SandboxLimits(isolation=ENGINE, **fields)  # type: ignore[arg-type]


FAST = Limits(wall_seconds=5, cpu_seconds=3, memory_bytes=512 << 20, file_bytes=2 << 20, processes=32,
              disk_bytes=16 << 20)
TESTS = "\n\nassert add(2, 3) == 5\nassert add(-1, 1) == 0\n"
CAP = 16  # the process cap the gate probes with


@pytest.fixture(scope="session")
def engine():
    return choose(ENGINE, sys.executable)


@pytest.fixture
def namespaced(engine):
    if not engine.namespaced:
        pytest.skip(f"no namespace sandbox on this machine ({dict(engine.unavailable)}); process limits only")
    return engine


@pytest.fixture(scope="session")
def confinement(engine) -> dict:
    """Harmless probes: does a program get its own pid namespace, and does the process cap hold?"""
    me = os.getpid()
    pid_probe = (f"import os, json\ntry:\n    os.kill({me}, 0)\n    seen = True\nexcept ProcessLookupError:\n"
                 "    seen = False\nexcept PermissionError:\n    seen = True\n"
                 "procs = [p for p in os.listdir('/proc') if p.isdigit()]\n"
                 "print(json.dumps({'pid': os.getpid(), 'sees_runner': seen, 'processes': len(procs)}))\n")
    seen = run_python(pid_probe, FAST)
    facts = json.loads(seen.stdout) if seen.passed else {}
    cap_probe = ("import os, time\nborn = 0\ntry:\n    for _ in range(3 * %d):\n        if os.fork() == 0:\n"
                 "            time.sleep(3)\n            os._exit(0)\n        born += 1\nexcept OSError as exc:\n"
                 "    print('capped', born, exc.errno)\nelse:\n    print('uncapped', born)\n" % CAP)
    capped = run_python(cap_probe, Limits(wall_seconds=5, processes=CAP))
    words = capped.stdout.split()
    return {"own_pid_namespace": bool(facts) and facts["pid"] < 10 and not facts["sees_runner"]
            and facts["processes"] < 10,
            "process_cap": bool(words) and words[0] == "capped" and int(words[1]) < CAP,
            "facts": facts, "cap_probe": capped.stdout.strip() or capped.reason}


@pytest.fixture
def confined(confinement):
    """Skip unless the harmless probes proved the sandbox confines kill-all and fork bombs."""
    if not (confinement["own_pid_namespace"] and confinement["process_cap"]):
        pytest.skip(f"not run: the sandbox was not shown to confine it ({confinement})")


@pytest.fixture
def marker(monkeypatch):
    """A tag for what the program starts and writes; a private temporary folder for the sandbox's
    own files, which must be empty again after every program."""
    tag = f"orb{secrets.token_hex(4)}"
    sandbox_tmp = Path(tempfile.mkdtemp(prefix="orbench-adversarial-"))
    sandbox_tmp.chmod(0o755)
    monkeypatch.setattr(tempfile, "tempdir", str(sandbox_tmp))
    yield tag
    assert os.getppid() != 1, "the test process lost its parent"
    assert leftovers(tag) == [], "the program left processes running"
    assert list(sandbox_tmp.iterdir()) == [], "the sandbox left its folder behind"
    sandbox_tmp.rmdir()
    for place in {"/tmp", "/var/tmp", "/dev/shm", os.path.expanduser("~"), os.getcwd(), "/root"}:
        try:
            assert not [p for p in os.listdir(place) if tag in p], f"a file appeared in {place}"
        except PermissionError:
            pass


def check(program: str, limits: Limits = FAST) -> SandboxResult:
    result = run_python(program, limits)
    assert result.infra_error is None, result.reason
    return result


def test_gate_own_pid_namespace(engine, confinement):
    if not engine.namespaced:
        pytest.skip("no namespace sandbox on this machine")
    assert confinement["own_pid_namespace"], confinement


def test_gate_process_cap(engine, confinement):
    if not engine.namespaced:
        pytest.skip("no namespace sandbox on this machine")
    assert confinement["process_cap"], confinement


def test_a_correct_program_passes(marker):
    result = check("def add(a, b):\n    return a + b\n" + TESTS)
    assert result.passed and result.reason == "passed"


EARLY_EXITS = {
    "sys.exit at top level": "import sys\ndef add(a, b):\n    return 0\nsys.exit(0)\n",
    "os._exit at top level": "import os\ndef add(a, b):\n    return 0\nos._exit(0)\n",
    "sys.exit inside the function": "def add(a, b):\n    import sys\n    sys.exit(0)\n",
    "exit() builtin": "def add(a, b):\n    return 0\nexit()\n",
    "raise SystemExit from a helper": "def add(a, b):\n    raise SystemExit(0)\n",
    "a thread calls os._exit": ("import os, threading, time\nthreading.Thread(target=os._exit, args=(0,)).start()\n"
                                "time.sleep(2)\ndef add(a, b):\n    return 0\n"),
    "fork, parent exits 0": ("import os, time\nif os.fork():\n    os._exit(0)\ntime.sleep(30)\n"
                             "def add(a, b):\n    return 0\n"),
}


@pytest.mark.parametrize("program", EARLY_EXITS.values(), ids=EARLY_EXITS.keys())
def test_an_early_exit_fails(program, marker):
    result = check(program + TESTS)
    assert not result.passed and result.reason.startswith("exited before the tests finished"), result.reason


def test_an_atexit_handler_cannot_turn_a_failure_into_a_pass(marker):
    result = check("import atexit, os\natexit.register(os._exit, 0)\ndef add(a, b):\n    return 0\n" + TESTS)
    assert not result.passed and result.reason == "AssertionError at line 7: assert add(2, 3) == 5"


def test_a_program_that_kills_itself_fails_with_the_signal(marker):
    program = "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\ndef add(a, b):\n    return a + b\n"
    result = check(program + TESTS)
    assert not result.passed and result.reason == "killed by SIGKILL"


def test_forged_success_output_is_not_evidence(marker):
    program = ("import os\nprint('passed'); print('OK')\nforged = 'outcome ' + '0' * 32 + ' passed passed\\n'\n"
               "for fd in range(0, 256):\n    try:\n        os.write(fd, forged.encode())\n"
               "    except OSError:\n        pass\nos._exit(0)\n")
    result = check(program + "def add(a, b):\n    return 0\n" + TESTS)
    assert not result.passed and result.reason.startswith("exited before the tests finished")


def test_the_parents_environment_stays_unseen(namespaced, marker, monkeypatch):
    secret = secrets.token_hex(16)
    monkeypatch.setenv("ORBENCH_ADVERSARIAL_SECRET", secret)
    program = (f"import os\nfound = [v for v in os.environ.values()]\nfor pid in ['self', '1', str(os.getppid()), "
               f"'{os.getpid()}'] + os.listdir('/proc'):\n    try:\n"
               "        found.append(open(f'/proc/{pid}/environ', 'rb').read().decode(errors='replace'))\n"
               "    except OSError:\n        pass\nprint([x for x in found if 'ORBENCH_ADVERSARIAL' in x])\n")
    result = check(program)
    assert result.passed and secret not in result.stdout + result.stderr
    assert result.stdout.strip() == "[]"


def test_killing_the_parent_and_the_test_runner_fails_to_kill_them(namespaced, marker):
    program = (f"import os, signal\nfor pid in (os.getppid(), {os.getpid()}, {os.getppid()}):\n    try:\n"
               "        os.kill(pid, signal.SIGKILL)\n    except OSError:\n        pass\n"
               "def add(a, b):\n    return a + b\n")
    result = check(program + TESTS)
    assert result.passed  # nothing it could reach was worth killing, so it ran to the end


def test_kill_all(confined, marker):
    program = ("import os, signal, subprocess, sys\nchildren = [subprocess.Popen([sys.executable, '-c', "
               "'import time; time.sleep(30)']) for _ in range(3)]\nos.kill(-1, signal.SIGKILL)\n"
               "print(sorted(c.wait() for c in children))\ndef add(a, b):\n    return a + b\n")
    result = check(program + TESTS)
    assert result.passed and result.stdout.strip() == "[-9, -9, -9]"  # it killed all it could see: its own


def test_a_double_forked_setsid_escapee_is_gone_after_the_sample(namespaced, marker):
    outside = Path(tempfile.gettempdir()).parent / f"{marker}-escaped"
    program = ("import os, sys, time\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n"
               "        os.execv(sys.executable, [sys.executable, '-c', 'import sys, time; time.sleep(1); "
               f"open(sys.argv[1], \"w\").write(\"x\")', {str(outside)!r}])\n    os._exit(0)\n"
               "time.sleep(0.3)\ndef add(a, b):\n    return a + b\n")
    result = check(program + TESTS)
    assert result.passed
    assert leftovers(marker) == []
    assert not outside.exists()


def test_writes_to_home_and_tmp_do_not_appear_outside(namespaced, marker):
    targets = ["~/" + marker, "/tmp/" + marker, f"{os.path.expanduser('~')}/{marker}", f"/root/{marker}",
               f"../{marker}", f"/var/tmp/{marker}", f"/dev/shm/{marker}", f"{tempfile.gettempdir()}/{marker}"]
    program = (f"import os\nwritten = []\nfor path in {targets!r}:\n    try:\n"
               "        with open(os.path.expanduser(path), 'w') as fh:\n            fh.write('x')\n"
               "        written.append(path)\n    except OSError:\n        pass\nprint(written)\n")
    result = check(program)
    assert result.passed
    assert eval(result.stdout)  # it could write somewhere (its private /tmp and home) ...
    for path in targets:  # ... but nothing of it is here
        assert not os.path.lexists(os.path.expanduser(path)), path


def test_a_fork_bomb_is_capped_within_a_second(confined, marker):
    limits = Limits(wall_seconds=3, cpu_seconds=2, processes=32)
    program = ("import ctypes, os, time\nctypes.CDLL(None).prctl(15, b'%s', 0, 0, 0)\nstart = time.monotonic()\n"
               "told = False\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        if not told:\n"
               "            os.write(1, b'capped after %%.3f s\\n' %% (time.monotonic() - start))\n"
               "            told = True\n"
               "        time.sleep(0.005)\n") % marker
    with PeakCounter() as count:
        result = check(program, limits)
    assert not result.passed and result.reason in ("timeout", "killed by SIGKILL")
    assert count.peak <= limits.processes + 4, count.peak  # + the launcher and the namespace's pid 1
    first = [float(line.split()[2]) for line in result.stdout.splitlines() if line.startswith("capped after")]
    assert first and min(first) < 1.0, result.stdout[:200]


def test_a_memory_bomb_fails_with_memory_error(marker):
    result = check("x = bytearray(8 << 30)\n")
    assert not result.passed and result.reason.startswith("MemoryError"), result.reason
    assert result.limit == "memory"  # a limit failure, recorded as one (issue 22)
    # growing step by step: on a loaded machine page faults can spend the CPU limit first; either
    # limit confines it, and it is recorded as a limit failure
    result = check("xs = []\nwhile True:\n    xs.append(bytearray(64 << 20))\n")
    assert not result.passed and result.limit in ("memory", "time"), result.reason
    assert result.reason.startswith("MemoryError") or "CPU time limit" in result.reason, result.reason


def test_a_disk_bomb_fills_only_its_own_small_tmpfs(namespaced, marker):
    program = ("import os, signal\nsignal.signal(signal.SIGXFSZ, signal.SIG_IGN)\ntotal = 0\nchunk = b'x' * (1 << 20)\n"
               "try:\n    for n in range(10_000):\n        for place in ('/tmp', '.'):\n"
               "            with open(f'{place}/fill{n}', 'wb') as fh:\n                fh.write(chunk)\n"
               "            total += len(chunk)\nfinally:\n    print(total)\n")
    result = check(program)
    assert not result.passed and "No space left on device" in result.reason
    assert int(result.stdout.split()[0]) <= 2 * FAST.disk_bytes


def test_a_signal_immune_busy_loop_is_stopped(marker):
    program = ("import signal\nfor sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGXCPU):\n"
               "    signal.signal(sig, signal.SIG_IGN)\nwhile True:\n    pass\n")
    result = check(program, Limits(wall_seconds=4, cpu_seconds=1))
    assert not result.passed and result.reason in ("timeout", "killed by SIGKILL")
    assert result.seconds < 4 + 2


def test_huge_output_is_capped(marker):
    result = check("import sys\nfor _ in range(200):\n    sys.stdout.write('x' * (1 << 20))\n")
    assert not result.passed and ("File too large" in result.reason or "SIGXFSZ" in result.reason), result.reason
    assert len(result.stdout) <= FAST.output_bytes + 100


def test_invalid_utf8_output_is_kept_readable(marker):
    result = check("import sys\nsys.stdout.buffer.write(b'\\xff\\xfe ok \\x80')\nsys.stderr.buffer.write(b'\\xc3')\n")
    assert result.passed and "\ufffd" in result.stdout and " ok " in result.stdout


def test_a_segfault_fails_with_its_signal(marker):
    result = check("import ctypes\nctypes.string_at(0)\n")
    assert not result.passed and result.reason == "killed by SIGSEGV"


def test_nothing_reaches_a_listener_on_the_loopback(namespaced, marker):
    with Listener() as listener:
        program = (f"import socket\ntry:\n    s = socket.create_connection(('127.0.0.1', {listener.port}), timeout=1)\n"
                   "    s.sendall(b'LEAK')\nexcept OSError as exc:\n    print('tcp', exc)\ntry:\n"
                   "    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
                   f"    udp.sendto(b'LEAK', ('127.0.0.1', {listener.udp_port}))\n"
                   "except OSError as exc:\n    print('udp', exc)\n")
        result = check(program)
    assert result.passed
    assert listener.connections == 0 and listener.received == b""


def test_an_interpreter_installed_under_tmp_stays_visible_in_the_sandbox(namespaced, tmp_path_factory):
    """A checkout (and its venv) in a temporary folder: the sandbox's private /tmp must not hide the
    interpreter, or every program that starts `sys.executable` fails for the sandbox's sake."""
    import subprocess
    import venv

    place = Path(tempfile.mkdtemp(dir="/tmp", prefix="orbench-venv-"))
    try:
        place.chmod(0o755)
        venv.EnvBuilder(with_pip=False, symlinks=True).create(place / "venv")
        python = str(place / "venv" / "bin" / "python")
        program = ("import subprocess, sys\nprint(sys.executable)\n"
                   "print(subprocess.run([sys.executable, '-c', 'print(6 * 7)'], capture_output=True, text=True,"
                   " check=True).stdout.strip())\n")
        result = run_python(program, FAST, python=python)
        assert result.infra_error is None, result.reason
        assert result.passed, result.stderr
        assert result.stdout.split() == [python, "42"]
    finally:
        subprocess.run(["rm", "-rf", str(place)], check=False)


# --- The tests run apart from the program (issue 23): every way to forge a pass from inside ------
# Each program is wrong (add returns 0) and tries to be scored correct; through the call channel
# each must fail, because the tests, the expected values and the evidence are in another sandbox.

WRONG = "def add(a, b):\n    return 0\n"


def judged(program: str, tests: str = TESTS, limits: Limits = FAST, **options) -> SandboxResult:
    result = run_calls(program, tests, limits, entry="add", **options)
    assert result.infra_error is None, result.reason
    assert result.isolation.endswith("+call-channel"), result.isolation
    return result


def test_through_the_call_channel_a_correct_program_passes_and_a_wrong_one_fails(marker):
    assert judged("def add(a, b):\n    return a + b\n").passed
    wrong = judged(WRONG)
    assert not wrong.passed and wrong.reason == "AssertionError at line 3: assert add(2, 3) == 5", wrong.reason


FORGERIES = {
    "patched os.write turns the outcome into a pass": (
        "import os\n_write = os.write\n"
        "os.write = lambda fd, data: _write(fd, bytes(data).replace(b' exception ', b' passed ')"
        ".replace(b' exit ', b' passed '))\n" + WRONG),
    "answers from a table read from its own file and every file it can find": (
        "import os, re\ntable = {}\nplaces = ['/run', '/tmp', '/dev/shm', os.getcwd(), os.path.dirname(__file__),\n"
        "          os.path.expanduser('~')] + [os.path.join('/', p) for p in os.listdir('/')\n"
        "          if p not in ('proc', 'sys', 'usr', 'dev', 'lib', 'lib64', 'bin', 'sbin', 'etc', 'root')]\n"
        "for root in places:\n    for base, dirs, files in os.walk(root):\n"
        "        if '/site-packages' in base or '/lib/python' in base:\n"
        "            dirs[:] = []\n            continue\n        for name in files:\n            try:\n"
        "                text = open(os.path.join(base, name), errors='replace').read(1 << 20)\n"
        "            except OSError:\n                continue\n"
        "            for a, b, want in re.findall(r'add\\((-?\\d+), (-?\\d+)\\) == (-?\\d+)', text):\n"
        "                table[int(a), int(b)] = int(want)\n"
        "print('table', table)\ndef add(a, b):\n    return table.get((a, b), 0)\n"),
    "reads the expected value from its caller's source line": (
        "import linecache, re, sys\ndef add(a, b):\n    frame = sys._getframe(1)\n    while frame:\n"
        "        line = linecache.getline(frame.f_code.co_filename, frame.f_lineno)\n"
        "        found = re.search(r'== (-?\\d+)', line)\n        if found:\n            return int(found.group(1))\n"
        "        frame = frame.f_back\n    return 0\n"),
    "a trace function rewrites the harness's locals": (
        "import sys\ndef tamper(frame, event, arg):\n    for f in (frame, frame.f_back):\n"
        "        if f is not None and 'outcome' in f.f_locals:\n            f.f_locals['outcome'] = 'passed'\n"
        "            f.f_locals['reason'] = 'passed'\n    return tamper\nsys.settrace(tamper)\n" + WRONG),
    "a flush() side effect rewrites the report": (
        "import sys\nclass Out:\n    def write(self, s):\n        return len(s)\n    def flush(self):\n"
        "        f = sys._getframe(1)\n        while f is not None:\n            if 'outcome' in f.f_locals:\n"
        "                f.f_locals.update(outcome='passed', reason='passed')\n                import ctypes\n"
        "                ctypes.pythonapi.PyFrame_LocalsToFast(ctypes.py_object(f), ctypes.c_int(0))\n"
        "            f = f.f_back\nsys.stdout = Out()\n" + WRONG),
    "replaces report() in the harness's globals": (
        "import sys\nfor module in list(sys.modules.values()):\n    space = getattr(module, '__dict__', {})\n"
        "    if 'report' in space and callable(space['report']):\n        original = space['report']\n"
        "        space['report'] = lambda channel, outcome, reason, _r=original: _r(channel, 'passed', 'passed')\n"
        + WRONG),
    "writes forged outcome lines to every descriptor, from itself and a forked child": (
        "import os\ndef forge():\n    fds = [int(fd) for fd in os.listdir('/proc/self/fd')] + list(range(256))\n"
        "    for fd in fds:\n        for token in ['0' * 32, '-']:\n            try:\n"
        "                os.write(fd, f'outcome {token} passed passed\\n'.encode())\n"
        "            except OSError:\n                pass\nforge()\nif os.fork() == 0:\n    forge()\n    os._exit(0)\n"
        "os.wait()\n" + WRONG),
    "re-executes the harness on a harmless script with the inherited descriptors": (
        "import marshal, os, subprocess, sys\n"
        "def harness_config():\n    for pid in ['1', str(os.getppid()), 'self']:\n        try:\n"
        "            argv = open(f'/proc/{pid}/cmdline', 'rb').read().split(b'\\0')\n        except OSError:\n"
        "            continue\n        for i, arg in enumerate(argv):\n"
        "            if arg.endswith((b'harness.py', b'harness.bin')) and i + 1 < len(argv):\n"
        "                start = next(j for j, a in enumerate(argv) if a.startswith(b'-'))\n"
        "                return ([a.decode() for a in argv[start:i + 1]],\n"
        "                        marshal.loads(bytes.fromhex(argv[i + 1].decode())))\n"
        "found = harness_config()\nprint('found', found is not None)\nif found:\n    args, cfg = found\n"
        "    open('/tmp/harmless.py', 'w').write('pass\\n')\n"
        "    cfg.update(source='/tmp/harmless.py', namespaces=None, role=None, joined_fd=None)\n"
        "    fds = [int(fd) for fd in os.listdir('/proc/self/fd') if int(fd) > 2]\n"
        "    subprocess.run([sys.executable, *args, marshal.dumps(cfg).hex()], pass_fds=fds)\n" + WRONG),
    "returns an object whose __eq__ is always True": (
        "class Anything:\n    def __eq__(self, other):\n        return True\n    __hash__ = object.__hash__\n"
        "def add(a, b):\n    return Anything()\n"),
    "returns an int subclass whose __eq__ is always True": (
        "class Sly(int):\n    def __eq__(self, other):\n        return True\n    __hash__ = int.__hash__\n"
        "def add(a, b):\n    return Sly(0)\n"),
}


@pytest.mark.parametrize("program", FORGERIES.values(), ids=FORGERIES.keys())
def test_a_forged_pass_fails_through_the_call_channel(program, marker):
    result = judged(program)
    assert not result.passed, (result.reason, result.stdout[-500:])
    assert result.reason.startswith(("AssertionError", "exited before the tests finished",
                                     "the program broke the call channel")), result.reason
    assert "table {}" in result.stdout or "table" not in result.stdout, result.stdout[:300]
    if "harness_config" in program:  # the attack must have found the harness's command line to mean anything
        assert "found True" in result.stdout, result.stdout[-500:]


def test_the_program_sees_no_test_source_no_expected_value_and_no_evidence_pipe(marker):
    program = ("import os, stat\nseen = []\nfor fd in sorted(int(f) for f in os.listdir('/proc/self/fd')):\n"
               "    try:\n        kind = os.fstat(fd).st_mode\n    except OSError:\n        continue\n"
               "    seen.append((fd, stat.S_ISFIFO(kind)))\nprint(seen)\n"
               "text = open(__file__).read()\nprint('found' if '2006' + '8' in text else 'clean')\n"
               "def add(a, b):\n    return a + b\n")
    result = judged(program, "assert add(20061, 7) == 20068\n")
    assert result.passed, result.reason
    assert "clean" in result.stdout and "20068" not in result.stdout
    pipes = [fd for fd, fifo in eval(result.stdout.splitlines()[0]) if fifo and fd > 2]
    assert len(pipes) == 2, result.stdout  # the call channel's two ends, nothing else


def test_mutated_arguments_and_returned_arguments_behave_as_in_one_process(marker):
    program = ("def add(xs, x):\n    xs.append(x)\n    xs.sort()\n    return xs\n"
               "def grow(d):\n    d['n'] = d.get('n', 0) + 1\n")
    tests = ("xs = [3, 1]\nassert add(xs, 2) is xs\nassert xs == [1, 2, 3]\nd = {}\ngrow(d)\ngrow(d)\n"
             "assert d == {'n': 2}\n")
    assert judged(program, tests).passed


def test_plain_data_crosses_the_channel_exactly(marker):
    program = ("def add(v):\n    return v\n"
               "def make():\n    return [1, 2.5, -0.0, float('inf'), 'é\\u2603', b'\\x00\\xff', bytearray(b'ab'), (1, (2,)),"
               " {1, 2}, frozenset({3}), {'k': [None, True]}, {(1, 2): 3}, 10 ** 5000, 3 + 4j, range(1, 9, 2)]\n"
               "def boom():\n    raise ValueError('bad input')\n"
               "def gen():\n    return (i * i for i in range(4))\n")
    tests = ("value = make()\nassert add(value) == value\nassert type(value[7]) is tuple and type(value[9]) is frozenset\n"
             "assert value[12] == 10 ** 5000 and type(value[1]) is float and str(value[2]) == '-0.0'\n"
             "try:\n    boom()\nexcept ValueError as exc:\n    assert str(exc) == 'bad input'\nelse:\n    raise AssertionError\n"
             "assert list(gen()) == [0, 1, 4, 9] and gen() != [0, 1, 4, 9]\n")
    result = run_calls(program, tests, FAST)
    assert result.passed, result.reason


def test_a_program_that_exits_during_a_call_fails_even_if_the_tests_swallow_it(marker):
    program = "import sys\ndef add(a, b):\n    sys.exit(0)\n"
    tests = "try:\n    add(1, 2)\nexcept BaseException:\n    pass\n"
    result = judged(program, tests)
    assert not result.passed and result.reason == "exited before the tests finished: SystemExit during a call to add()", \
        result.reason


def test_a_call_over_its_time_limit_is_a_limit_failure(marker):
    result = judged("import time\ndef add(a, b):\n    time.sleep(30)\n", call_seconds=0.5)
    assert not result.passed and result.reason == "time limit: a call ran over 0.5 s", result.reason
    assert result.seconds < 4 and result.limit == "time"
    assert judged(WRONG).limit is None  # a wrong answer is not a limit failure


def test_a_program_the_memory_cgroup_kills_is_a_memory_limit_failure(namespaced, marker):
    """Under the address-space limit but over the whole program's cap: the cgroup's OOM kill (a
    SIGKILL, nothing in the output says why) is read from the group's oom_kill count."""
    limits = Limits(wall_seconds=20, cpu_seconds=15, memory_bytes=4 << 30, program_memory_bytes=256 << 20,
                    processes=32, disk_bytes=16 << 20)
    program = "block = bytearray(1 << 30)\nfor i in range(0, len(block), 4096):\n    block[i] = 1\n"
    result = check(program, limits)
    if "memory-cgroup" not in result.layers:
        pytest.skip(f"no memory cgroup can be made here ({result.isolation}); per-process limits only")
    assert not result.passed and result.limit == "memory", (result.reason, result.limit)


# --- Side doors (issue 23): unix sockets in exposed folders, pid 1, the whole program's memory ----

def test_no_connect_to_a_unix_socket_in_a_folder_the_sandbox_exposes(namespaced, marker):
    """A socket in the interpreter's folder (exposed read-only): a read-only mount does not stop
    connect(), so the sandbox refuses unix sockets altogether."""
    import socket
    import subprocess
    import venv

    place = Path(tempfile.mkdtemp(dir="/tmp", prefix="orbench-venv-"))
    try:
        place.chmod(0o755)
        venv.EnvBuilder(with_pip=False, symlinks=True).create(place / "venv")
        path = place / "venv" / "bin" / "door.sock"
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(str(path))
        path.chmod(0o777)
        server.listen(4)
        server.settimeout(0.5)
        program = (f"import socket\ns = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)\n"
                   f"s.connect({str(path)!r})\ns.sendall(b'LEAK')\n")
        result = run_python(program, FAST, python=str(place / "venv" / "bin" / "python"))
        assert result.infra_error is None, result.reason
        assert "no-unix-sockets" in result.layers, result.isolation
        assert not result.passed and result.reason.startswith("PermissionError"), result.reason
        with pytest.raises(socket.timeout):
            server.accept()
        server.close()
    finally:
        subprocess.run(["rm", "-rf", str(place)], check=False)


def test_pid_1_cannot_be_traced_or_read(namespaced, marker):
    """On every namespaced engine (bubblewrap's too: the harness is its pid 1) pid 1 is undumpable,
    and the seccomp filter refuses ptrace and process_vm_readv on any process."""
    program = ("import ctypes, os\nlibc = ctypes.CDLL(None, use_errno=True)\n"
               "print('attach', libc.ptrace(16, 1, 0, 0), ctypes.get_errno())\n"
               "try:\n    open('/proc/1/mem', 'rb').read(1)\n    print('mem readable')\nexcept OSError as exc:\n"
               "    print('mem', exc.errno)\n"
               "class Iovec(ctypes.Structure):\n    _fields_ = [('base', ctypes.c_void_p), ('len', ctypes.c_size_t)]\n"
               "buf = ctypes.create_string_buffer(8)\nlocal, remote = Iovec(ctypes.addressof(buf), 8), Iovec(4096, 8)\n"
               "libc.process_vm_readv.restype = ctypes.c_ssize_t\n"
               "print('vm_readv', libc.process_vm_readv(1, ctypes.byref(local), 1, ctypes.byref(remote), 1, 0), "
               "ctypes.get_errno())\nprint('pid1', open('/proc/1/cmdline', 'rb').read().split(b'\\0')[0].decode())\n")
    result = check(program)
    assert result.passed, result.reason
    assert {"pid1-undumpable", "no-ptrace"} <= set(result.layers), result.isolation
    attach, mem, readv, pid1 = result.stdout.splitlines()
    assert attach.split()[1:] == ["-1", "1"], attach  # EPERM, from the filter
    assert mem != "mem readable", mem
    assert readv.split()[1:] == ["-1", "1"], readv
    assert "python" in pid1, pid1  # the harness, not bubblewrap's own init


def test_a_memory_cgroup_caps_the_whole_program(namespaced, marker):
    limits = Limits(wall_seconds=20, cpu_seconds=15, memory_bytes=512 << 20, program_memory_bytes=1 << 30,
                    processes=32, disk_bytes=16 << 20)
    program = ("import os, time\nheld = 0\nread, write = os.pipe()\npids = []\nfor _ in range(6):\n"
               "    pid = os.fork()\n    if pid == 0:\n        block = bytearray(400 << 20)\n"
               "        for i in range(0, len(block), 4096):\n            block[i] = 1\n"
               "        os.write(write, b'x')\n        time.sleep(4)\n        os._exit(0)\n    pids.append(pid)\n"
               "os.close(write)\nstatuses = [os.waitpid(p, 0)[1] for p in pids]\n"
               "print('held', len(os.read(read, 64)), 'killed', sum(os.WIFSIGNALED(s) for s in statuses))\n")
    result = check(program, limits)
    if "memory-cgroup" not in result.layers:
        pytest.skip(f"no memory cgroup can be made here ({result.isolation}); per-process limits only")
    words = result.stdout.split()
    assert words[0] == "held" and int(words[3]) >= 3, result.stdout  # most of the six were killed


def test_a_script_is_compiled_without_the_harness_s_future_flags(marker):
    """`from __future__ import annotations` in the harness must not turn the program's annotations
    into strings (as it would with compile()'s default of inheriting the caller's flags)."""
    program = "def add(a: int, b: int) -> int:\n    return a + b\nassert add.__annotations__['a'] is int\n"
    assert check(program).passed
    assert judged("def add(a: int, b: int) -> int:\n    return a + b if add.__annotations__['a'] is int else 0\n").passed


UNPRIVILEGED_CASES = "forged or call_channel or sees_no or mutated or plain_data or exits_during or unix_socket or pid_1 or memory_cgroup or future"


def test_the_call_channel_and_side_door_cases_hold_for_an_unprivileged_user():
    """As root, run the cases of issue 23 again as uid 65534 (setpriv), with an interpreter that
    user can run; skipped, with the reason, only where the machine cannot provide that."""
    if os.geteuid() != 0:
        pytest.skip(f"this run is already unprivileged (uid {os.geteuid()}): the cases above ran as it")
    if os.environ.get("ORBENCH_ADVERSARIAL_NESTED"):
        pytest.skip("nested run")
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("setpriv (util-linux) is not installed: no way to become an unprivileged user here")
    here = Path(__file__).resolve().parent
    src = Path(__import__("orbench").__file__).resolve().parent.parent
    env = {"PATH": "/usr/bin:/bin", "HOME": "/tmp", "ORBENCH_ADVERSARIAL_NESTED": "1", "ORBENCH_ADVERSARIAL_ENGINE": ENGINE,
           "PYTHONPATH": os.pathsep.join([str(src), sysconfig.get_paths()["purelib"], str(here),
                                          str(Path(pytest.__file__).resolve().parent.parent)])}  # wherever it lives
    user = [setpriv, "--reuid", "65534", "--regid", "65534", "--clear-groups"]
    tried = []
    for python in dict.fromkeys([sys.executable, "/usr/bin/python3"]):
        probe = subprocess.run([*user, python, "-c", "import sys, pytest\nfrom orbench.grading.isolation import choose\n"
                                "choose('auto', sys.executable)"], env=env, capture_output=True, text=True)
        if probe.returncode == 0:
            break
        tried.append(f"{python}: {(probe.stderr.strip().splitlines() or ['?'])[-1]}")
    else:
        pytest.skip(f"no interpreter uid 65534 can run with orbench's packages ({'; '.join(tried)})")
    done = subprocess.run([*user, python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs", str(Path(__file__)),
                           "-k", UNPRIVILEGED_CASES], env=env, capture_output=True, text=True, cwd="/tmp", timeout=600)
    print(done.stdout[-3000:])
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
