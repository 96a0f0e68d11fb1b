"""The sandbox runs untrusted code in a separate, limited process, always comes back, and passes a
program only on the harness's evidence that it ran to its end."""

from __future__ import annotations

import json
import os
import sys
import time

import pytest

from orbench.grading import isolation
from orbench.grading.verdict import Evidence, parse_evidence, verdict
from orbench.grading.isolation import SandboxUnavailable, choose, fallback_warning, probe
from orbench.grading.sandbox import SAFE_ENV, Limits, run_python
from support.procwatch import Listener

pytestmark = pytest.mark.sandbox

FAST = Limits(wall_seconds=3, cpu_seconds=1, memory_bytes=512 << 20, file_bytes=2 << 20)
TOKEN = "ab" * 16


def test_passing_and_failing_programs():
    assert run_python("assert 1 + 1 == 2\nprint('ok')", FAST).passed
    failed = run_python("x = 1\nassert x + 1 == 3", FAST)
    assert not failed.passed and failed.returncode == 1
    assert failed.reason == "AssertionError at line 2: assert x + 1 == 3"
    assert "AssertionError" in failed.stderr and "harness" not in failed.stderr  # the script's own traceback


def test_an_exception_reason_names_it_and_its_line():
    result = run_python("def f(x):\n    return x['missing']\n\nassert f({}) == 1\n", FAST)
    assert result.reason == "KeyError: 'missing' (line 2: return x['missing'])"


def test_a_syntax_error_is_a_failure_not_an_infrastructure_error():
    result = run_python("def f(:\n    pass\n", FAST)
    assert not result.passed and result.infra_error is None and result.reason.startswith("SyntaxError")


def test_infinite_loop_is_stopped():
    result = run_python("while True:\n    pass", FAST)
    assert not result.passed and result.infra_error is None
    assert result.seconds < FAST.wall_seconds + 3


def test_sleeping_program_hits_the_wall_clock_deadline():
    result = run_python("import time\ntime.sleep(60)", Limits(wall_seconds=1))
    assert result.timed_out and not result.passed and result.reason == "timeout"


def test_environment_is_scrubbed(monkeypatch):
    monkeypatch.setenv("HF_TOKEN", "hf_secret")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    result = run_python("import os\nprint(sorted(os.environ))", FAST)
    assert "HF_TOKEN" not in result.stdout and "AWS_SECRET" not in result.stdout and "secret" not in result.stdout
    assert set(eval(result.stdout)) <= set(SAFE_ENV) | {"HOME", "TMPDIR", "PWD", "LC_CTYPE"}


def test_runs_in_its_own_working_folder_with_no_stdin():
    result = run_python("import os, sys\nprint(os.getcwd())\nprint(repr(sys.stdin.read()))\n"
                        "print(os.listdir('.'))", FAST)
    cwd, stdin, listing = result.stdout.splitlines()
    assert result.passed and stdin == "''" and eval(listing) == ["main.py"]
    assert cwd != os.getcwd()


def test_background_children_are_killed(tmp_path):
    marker = tmp_path / "alive"
    program = (
        "import os, time\n"
        "if os.fork() == 0:\n"
        f"    time.sleep(1)\n    open({str(marker)!r}, 'w').write('still here')\n"
    )
    assert run_python(program, FAST).passed
    time.sleep(1.5)
    assert not marker.exists()


def test_the_reported_layers_are_the_ones_in_force():
    result = run_python("import os, resource\nprint(resource.getrlimit(resource.RLIMIT_NOFILE)[0], "
                        "resource.getrlimit(resource.RLIMIT_FSIZE)[0], resource.getrlimit(resource.RLIMIT_NPROC)[0])",
                        FAST)
    assert result.isolation.split("+") == [choose("auto", sys.executable).engine, *result.layers]
    assert "rlimits" in result.layers and "empty-env" in result.layers
    assert result.stdout.split() == [str(FAST.open_files), str(FAST.file_bytes), str(FAST.processes)]


# The verdict: only the harness's token is evidence; everything else is a failure with its reason.

def _evidence(*lines: str) -> bytes:
    return "".join(line + "\n" for line in lines).encode()


def test_only_a_line_with_the_token_counts_as_an_outcome():
    forged = f"outcome {'0' * 32} passed passed"
    assert parse_evidence(_evidence("layers pid-ns", forged, "outcome  passed x"), TOKEN).outcome is None
    real = f"outcome {TOKEN} passed passed"
    assert parse_evidence(_evidence("layers pid-ns", forged, real), TOKEN).outcome == "passed"
    assert parse_evidence(_evidence("layers pid-ns", real) + b"garbage\xff\n", TOKEN).outcome == "passed"
    failed = parse_evidence(_evidence("layers", f"outcome {TOKEN} exception ValueError: bad (line 3: f())"), TOKEN)
    assert (failed.outcome, failed.reason) == ("exception", "ValueError: bad (line 3: f())")


def test_only_the_first_line_says_what_the_layers_are():
    evidence = parse_evidence(_evidence("layers rlimits", "layers pid-ns net-ns"), TOKEN)
    assert evidence.layers == ("rlimits",)
    assert parse_evidence(_evidence("outcome x", "layers pid-ns"), TOKEN).layers is None
    assert parse_evidence(_evidence("setup_error mount: EPERM"), TOKEN).setup_error == "mount: EPERM"


@pytest.mark.parametrize("returncode, timed_out, reason", [
    (0, False, "exited before the tests finished"),
    (3, False, "exited before the tests finished (exit code 3)"),
    (-9, False, "killed by SIGKILL"),
    (139, False, "killed by SIGSEGV"),
    (152, False, "killed by SIGXCPU (CPU time limit)"),
    (-9, True, "timeout"),
])
def test_reasons_without_evidence(returncode, timed_out, reason):
    result = verdict(Evidence(layers=("pid-ns",)), returncode, timed_out, "", "", "bwrap", time.monotonic())
    assert not result.passed and result.reason == reason and result.infra_error is None
    assert result.isolation == "bwrap+pid-ns"


def test_a_harness_that_never_started_is_an_infrastructure_error():
    result = verdict(Evidence(), 127, False, "", "bwrap: execvp python: No such file", "bwrap", time.monotonic())
    assert not result.passed and result.infra_error and "No such file" in result.reason


def test_a_pass_after_the_deadline_is_not_a_pass():
    evidence = Evidence(layers=(), outcome="passed", reason="passed")
    assert not verdict(evidence, -9, True, "", "", "process", time.monotonic()).passed
    assert verdict(evidence, 0, False, "", "", "process", time.monotonic()).passed


# Choosing the isolation.

@pytest.fixture
def no_namespace_engines(monkeypatch):
    """A machine where bubblewrap, `unshare` and orbench's own namespaces are all unavailable."""
    monkeypatch.setattr(isolation, "NAMESPACED", ())
    isolation.forget()
    yield
    isolation.forget()


def test_strict_refuses_without_namespaces_and_says_how_to_get_them(no_namespace_engines):
    with pytest.raises(SandboxUnavailable, match="--sandbox strict: no namespace isolation.*install bubblewrap"):
        choose("strict", sys.executable)
    result = run_python("print(1)", Limits(isolation="strict"))
    assert not result.passed and result.infra_error and result.reason.startswith("sandbox error: --sandbox strict")


def test_auto_falls_back_to_process_limits_with_a_warning(no_namespace_engines):
    choice = choose("auto", sys.executable)
    assert choice.engine == "process" and not choice.namespaced and "a pid namespace" in choice.missing
    assert "process limits only" in (fallback_warning(choice, "auto") or "")
    assert run_python("assert True", Limits(isolation="auto")).isolation.startswith("process+")


def test_none_is_loud():
    choice = choose("none", sys.executable)
    assert choice.engine == "process"
    assert (fallback_warning(choice, "none") or "").startswith("--sandbox none: ")


def test_an_engine_that_is_not_installed_is_refused(monkeypatch):
    monkeypatch.setattr(isolation.shutil, "which", lambda name: None)
    assert probe("bwrap", sys.executable) == (None, "bwrap is not installed")


ENGINE_CHECK = (
    "import json, os, socket\nfacts = {'pid': os.getpid(), 'uid': os.getuid()}\ntry:\n"
    "    open('/usr/orbench-probe', 'w')\n    facts['usr_writable'] = True\nexcept OSError:\n"
    "    facts['usr_writable'] = False\ntry:\n    socket.create_connection(('127.0.0.1', PORT), timeout=1)\n"
    "    facts['network'] = True\nexcept OSError as exc:\n    facts['network'] = str(exc)\n"
    "print(json.dumps(facts))\n")


@pytest.mark.parametrize("engine", ["bwrap", "unshare", "python"])
def test_each_namespace_engine_isolates_what_it_reports(engine):
    choice, why, python = None, "", sys.executable
    for python in (sys.executable, "/usr/bin/python3"):  # as root, bwrap needs one the sandbox uid can read
        choice, why = probe(engine, python)
        if choice is not None:
            break
    if choice is None:
        pytest.skip(f"{engine} is not usable here: {why}")
    assert choice.namespaced and not choice.missing, choice
    from orbench.grading.execute import run_program

    with Listener() as listener:  # on the host's loopback: the program must not reach it
        result = run_program(choice, ENGINE_CHECK.replace("PORT", str(listener.port)), FAST, python)
    facts = json.loads(result.stdout)
    assert facts["pid"] < 10 and facts["usr_writable"] is False and facts["network"] is not True, facts
    assert listener.connections == 0
    early = run_program(choice, "import os\nos._exit(0)\nassert False\n", FAST, python)
    assert not early.passed and early.reason == "exited before the tests finished"


def test_a_container_engine_gets_no_network_a_read_only_image_and_caps():
    from orbench.grading.engines import Folder, launch

    folder = Folder.create("print(1)", None, "docker")
    try:
        argv = launch("docker", folder, "python", 16 << 20, 32, 512 << 20).argv
    finally:
        folder.remove()
    text = " ".join(argv)
    for flag in ("--network none", "--read-only", "--pids-limit 32", "--cap-drop ALL", "no-new-privileges",
                 f"--memory {512 << 20}", f"/tmp:size={16 << 20}", f"{folder.input}:/run/orbench:ro"):
        assert flag in text, flag
    assert argv[-4:] == ["python", "-I", "-B", "/run/orbench/harness.py"]


def test_the_harness_runs_compiled_where_the_interpreter_shares_orbench_s_bytecode(monkeypatch):
    """orbench compiles the harness once; an interpreter with other bytecode gets the sources."""
    from orbench.grading import engines

    seen = "words = open('/proc/self/cmdline', 'rb').read().split(b'\\0')\nprint(words[-3].rsplit(b'/', 1)[-1].decode())\n"
    assert engines.compiled_harness(sys.executable) is not None
    assert run_python(seen, FAST).stdout.strip() == "harness.bin"
    engines.compiled_harness.cache_clear()
    monkeypatch.setattr(engines.importlib.util, "MAGIC_NUMBER", b"\0\0\r\n")
    try:
        assert engines.compiled_harness(sys.executable) is None
        result = run_python(seen, FAST)
        assert result.passed and result.stdout.strip() == "harness.py", result.reason
        assert run_python("assert 1 + 1 == 3\n", FAST).reason == "AssertionError at line 1: assert 1 + 1 == 3"
    finally:
        engines.compiled_harness.cache_clear()


@pytest.mark.parametrize("engine", ["docker", "podman"])
def test_a_container_engine_is_refused_since_it_cannot_keep_the_tests_apart(engine, monkeypatch):
    """No call channel into a container, and one script could forge its own verdict: refused with
    the reason, before any program runs, whether or not the tool is installed."""
    from orbench.grading import sandbox
    from orbench.grading.sandboxtypes import Choice

    isolation.forget()
    with pytest.raises(SandboxUnavailable, match=f"--sandbox {engine}: the {engine} engine cannot run a benchmark's "
                                                 "tests apart from the program"):
        choose(engine, sys.executable)
    isolation.forget()
    monkeypatch.setattr(sandbox, "choose", lambda mode, python: Choice(engine, layers=("net-ns",)))
    result = sandbox.run_calls("def f():\n    return 1\n", "assert f() == 1\n", FAST, entry="f")
    assert result.infra_error and "no call channel into a container" in result.reason and not result.passed


def test_a_sandbox_that_orbench_could_not_move_into_its_cgroup_runs_nothing(monkeypatch):
    """orbench moves the harness into the program's cgroup while it starts; where the move fails
    the harness starts nothing (an infrastructure error), and the probe keeps the engine without one."""
    from dataclasses import replace

    from orbench.grading import cgroups
    from orbench.grading.execute import run_program

    if cgroups.writable_parent() is None:
        pytest.skip("no writable pids cgroup here: nothing to move into")
    choice = replace(choose("auto", sys.executable), cgroup=True)
    marker = "import os\nopen(os.environ['HOME'] + '/ran', 'w')\nprint('ran')\n"
    joined = run_program(choice, marker, FAST, sys.executable)
    assert joined.passed and "pids-cgroup" in joined.layers, joined.reason
    monkeypatch.setattr(cgroups.PidsCgroup, "add", lambda self, pid: False)
    refused = run_program(choice, marker, FAST, sys.executable)
    assert refused.infra_error and "could not move the sandbox into its cgroup" in refused.reason, refused.reason
    assert "ran" not in refused.stdout
    if choice.engine == "process":
        return  # the process engine is only ever probed with its cgroup
    isolation.forget()
    try:
        fallback, why = probe(choice.engine, sys.executable)
        assert fallback is not None and not fallback.cgroup and "pids-cgroup" not in fallback.layers, why
    finally:
        isolation.forget()


def test_mount_points_are_read_as_the_kernel_escapes_them():
    from orbench.grading.nsroot import _unescape

    assert _unescape("/usr") == "/usr" and _unescape("/né") == "/né"
    assert _unescape("/a\\040b\\011c\\012d\\134e") == "/a b\tc\nd\\e"
    assert _unescape("/odd\\9x") == "/odd\\9x"


def test_the_tests_side_starts_without_site_yet_finds_the_same_packages():
    """The tests' interpreter skips `site` (its .pth files and sitecustomize) with the `sys.path`
    site would make, so a dataset's `import numpy`-style imports and exit() still work there; the
    program's side starts as any script does."""
    from orbench.grading.sandbox import run_calls

    program = "import sys\ndef f():\n    return sys.flags.no_site\n"
    tests = ("import sys, iniconfig\nassert callable(exit) and callable(quit)\n"
             "assert sys.flags.no_site == 1\nassert f() == 0\n")
    result = run_calls(program, tests, FAST, entry="f")
    assert result.passed, (result.reason, result.stderr[-500:])
