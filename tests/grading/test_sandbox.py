"""The sandbox runs untrusted code in a separate, limited process and always comes back."""

from __future__ import annotations

import os
import time

import pytest

from orbench.grading.sandbox import SAFE_ENV, Limits, isolation_label, run_python

FAST = Limits(wall_seconds=3, cpu_seconds=1, memory_bytes=512 << 20, file_bytes=2 << 20)


def test_passing_and_failing_programs():
    assert run_python("assert 1 + 1 == 2\nprint('ok')", FAST).passed
    failed = run_python("assert 1 + 1 == 3", FAST)
    assert not failed.passed and failed.returncode == 1 and "AssertionError" in failed.reason


def test_infinite_loop_is_stopped():
    result = run_python("while True:\n    pass", FAST)
    assert not result.passed and result.infra_error is None
    assert result.seconds < FAST.wall_seconds + 3


def test_sleeping_program_hits_the_wall_clock_deadline():
    result = run_python("import time\ntime.sleep(60)", Limits(wall_seconds=1))
    assert result.timed_out and not result.passed and result.reason == "timeout"


def test_memory_bomb_fails_without_hurting_the_caller():
    result = run_python("x = bytearray(8 * 1024 ** 3)\nprint(len(x))", FAST)
    assert not result.passed and "MemoryError" in result.stderr


def test_gigabyte_print_is_capped():
    result = run_python("import sys\nchunk = 'x' * (1 << 20)\nfor _ in range(1024):\n    sys.stdout.write(chunk)", FAST)
    assert not result.passed
    assert len(result.stdout) <= FAST.output_bytes + 100


def test_environment_is_scrubbed(monkeypatch):
    monkeypatch.setenv("HF_TOKEN", "hf_secret")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    result = run_python("import os\nprint(sorted(os.environ))", FAST)
    assert "HF_TOKEN" not in result.stdout and "AWS_SECRET" not in result.stdout and "secret" not in result.stdout


def test_runs_in_a_temporary_directory_with_no_stdin():
    result = run_python("import os, sys\nprint(os.getcwd())\nprint(repr(sys.stdin.read()))", FAST)
    assert result.passed and "orbench-sandbox-" in result.stdout and "''" in result.stdout
    assert os.getcwd() not in result.stdout.splitlines()[0]


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


def test_each_reported_isolation_layer_is_in_force():
    program = ("import os, resource, sys\n"
               "print('ENV', sorted(os.environ))\n"
               "print('SID', os.getsid(0) == os.getpid())\n"
               "print('NOFILE', resource.getrlimit(resource.RLIMIT_NOFILE)[0])\n"
               "print('FSIZE', resource.getrlimit(resource.RLIMIT_FSIZE)[0])\n"
               "print('ISOLATED', sys.flags.isolated)\n")
    result = run_python(program, FAST)
    layers = set(result.isolation.split("+"))
    assert {"rlimits", "scrubbed-env", "setsid", "python -I", "tmpdir"} <= layers, result.isolation
    facts = dict(line.split(" ", 1) for line in result.stdout.splitlines())
    assert set(eval(facts["ENV"])) <= set(SAFE_ENV) | {"LC_CTYPE"}
    assert facts["SID"] == "True" and facts["ISOLATED"] == "1"
    assert int(facts["NOFILE"]) == FAST.open_files and int(facts["FSIZE"]) == FAST.file_bytes


@pytest.mark.skipif("no-network" not in isolation_label(), reason="this machine cannot make a network namespace")
def test_no_network_when_available():
    result = run_python("import socket\nsocket.create_connection(('127.0.0.1', 22), timeout=2)", FAST)
    assert not result.passed and "Network is unreachable" in result.stderr
