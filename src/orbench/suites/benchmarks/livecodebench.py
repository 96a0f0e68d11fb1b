"""LiveCodeBench code generation (Jain et al., 2024, "LiveCodeBench: Holistic and Contamination Free
Evaluation of Large Language Models for Code"): problems from LeetCode, AtCoder and Codeforces
contests with their dates, as published on the Hub by livecodebench/code_generation_lite. Pinned
here: release_v6 (test.jsonl ... test6.jsonl, 1,055 problems, contests May 2023 - April 2025).
Licence: CC-BY-4.0 for the dataset; problems remain their platforms'.

`--since/--until` pick a contest-date window, e.g. the DeepSeek-R1 report's 2024-08-01..2025-01-31.
Prompt: lcb_runner's chat prompt (`prompts`): its system message, then the problem in its
"### Question / ### Format / ### Answer" layout, with the starter code for LeetCode problems.
Protocol (LCB's `lcb_runner/evaluation/testing_util.py`): the program runs after LCB's import
preamble (string, re, math, collections, ... and `sys.setrecursionlimit(50000)`). stdin/stdout
problems run it once per test with the input on descriptor 0 (so `open(0).read()` works too) and
compare the output as LCB does: stripped lines, equal in number, each equal as text or else as a
list of Decimals (exact: no float tolerance). LeetCode problems call the starter code's `Solution`
method (one instance for all tests) with each test's arguments (one JSON value per line) and
compare the returned value with `==` (a tuple counts as a list). Each test has LCB's 6 s limit; a
test over it fails as a time limit. Public and private tests both count; pass@1 over samples.

The program runs in its own sandbox and the tests' side (inputs, expected outputs, comparison) in
another, joined by the call channel (`grading/pair.py`): the program never sees an expected output.

The private tests are stored base64 + zlib + pickle. They are decoded only by an unpickler that
refuses every global, so a payload can build nothing but strings, numbers, lists and dicts; a payload
that names a class or function is rejected with an error and nothing of it runs. They are decoded at
grading time, reading the item's line of the pinned file by offset and checking its sha256.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import pickle
import zlib
from dataclasses import replace
from pathlib import Path
from typing import Any

from ...errors import OrbenchError
from ...grading import GradeContext, Score
from ...grading.extract import extract_code
from ...grading.graders import score
from ...grading.sandbox import run_calls
from ...grading.versions import versioned
from ..data import DataFile, DataSource, fetch
from ..items import Item
from .common import benchmark, difficulty, field
from .prompts import lcb_user, render_lcb

NAME = "livecodebench"
FILES = {
    "test.jsonl": "2bd02b38beb48e8c46b5b9987095d999ff38cd8efc255ea5d58974317c48f63f",
    "test2.jsonl": "095df7c5daf15f882c51a9deb84085cff1e073495a5dbcf95015a564d485f3a3",
    "test3.jsonl": "28ed26cc83363ce3f1fe2d5fad9f8393077beb1907b167a31bd3b32f80801b79",
    "test4.jsonl": "d711138ddaebfcf5f8ec6a4283ee677298c0f5c5d374a235af92aaf0584510da",
    "test5.jsonl": "7f77571c2a6df0c2a72a3277650309f67e01e0008e18117e624633df53f81214",
    "test6.jsonl": "bb4c364f71921c4495a6ad15abe1a927350b720009f4933e2e71f8af0f6fd1f5",
}
DATA = DataSource(repo="livecodebench/code_generation_lite", revision="0fe84c3912ea0c4d4a78037083943e8f0c4dd505",
                  license="CC-BY-4.0", files=tuple(DataFile(path=p, sha256=s) for p, s in FILES.items()))


class RefusingUnpickler(pickle.Unpickler):
    """Unpickles plain data only: any global (a class, a function such as os.system) is refused."""

    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"refused: the payload asks for {module}.{name}")


def decode_private(text: str) -> list[dict[str, Any]]:
    """The private test cases: plain JSON, or base64 + zlib + pickle of a JSON string."""
    try:
        decoded: Any = json.loads(text)
    except ValueError:
        try:
            payload = zlib.decompress(base64.b64decode(text.encode("ascii"), validate=True))
            decoded = json.loads(RefusingUnpickler(io.BytesIO(payload)).load())
        except pickle.UnpicklingError as exc:
            raise OrbenchError(f"{NAME}: private tests rejected ({exc})") from None
        except (ValueError, TypeError, zlib.error, EOFError, AttributeError) as exc:
            raise OrbenchError(f"{NAME}: private tests unreadable ({type(exc).__name__})") from None
    if not isinstance(decoded, list) or not all(isinstance(t, dict) for t in decoded):
        raise OrbenchError(f"{NAME}: private tests are not a list of test cases")
    return decoded


def load(seed: int) -> list[Item]:
    fetched = fetch(DATA, NAME)
    items = []
    for name in FILES:
        with open(fetched.paths[name], "rb") as fh:
            offset = 0
            for line in fh:
                if line.strip():
                    items.append(_item(json.loads(line), name, offset, line))
                offset += len(line)
    return items


def _item(row: dict[str, Any], name: str, offset: int, line: bytes) -> Item:
    where = f"hf:{DATA.repo}/{name}"
    qid = str(field(row, "question_id", where=where))
    meta = json.loads(row.get("metadata") or "{}")
    public = json.loads(str(field(row, "public_test_cases", where=where)))
    return Item(id=f"lcb-{row.get('platform', 'x')}-{qid}", suite=NAME, category=str(row.get("platform", "unknown")),
                difficulty=difficulty(str(row.get("difficulty") or "")),
                prompt=lcb_user(str(field(row, "question_content", where=where)), str(row.get("starter_code") or "")),
                entry_point=meta.get("func_name"),
                source=f"{where}#{qid}",
                extra={"date": str(field(row, "contest_date", where=where))[:10], "starter": row.get("starter_code") or "",
                       "public": public, "file": name, "offset": offset, "length": len(line),
                       "line_sha256": hashlib.sha256(line).hexdigest()})


def private_tests(item: Item) -> list[dict[str, Any]]:
    """Read the item's line of the pinned file again, check it, and decode its private tests."""
    extra = item.extra or {}
    path = Path(fetch(DATA, NAME).paths[str(extra["file"])])
    with open(path, "rb") as fh:
        fh.seek(int(extra["offset"]))
        line = fh.read(int(extra["length"]))
    if hashlib.sha256(line).hexdigest() != extra["line_sha256"]:
        raise OrbenchError(f"{NAME}: {path.name} changed since the item was loaded")
    return decode_private(str(json.loads(line).get("private_test_cases") or "[]"))


@versioned("livecodebench-2", sandbox=True)
def grade(item: Item, text: str, context: GradeContext | None = None) -> Score:
    code = extract_code(text, None)
    if code is None:
        return Score(extracted=None, correct=False, detail="no code found")
    try:
        cases = list((item.extra or {}).get("public") or []) + private_tests(item)
    except OrbenchError as exc:
        return Score(extracted=code, correct=False, status="error", detail=exc.message)
    context = context or GradeContext()
    limits = context.sandbox
    scaled = replace(limits, wall_seconds=min(120.0, limits.wall_seconds + 0.5 * len(cases)),
                     cpu_seconds=int(min(120, limits.cpu_seconds + 0.5 * len(cases))))
    if item.entry_point:
        result = run_calls(f"{PREAMBLE}\n{code}", tests_script(cases, item.entry_point), scaled,
                           call_seconds=TEST_SECONDS, stdin_preamble=None)
    else:
        result = run_calls(code, tests_script(cases, None), scaled, call_seconds=TEST_SECONDS,
                           stdin_preamble=PREAMBLE)
    return score(code, result)


TEST_SECONDS = 6.0  # LCB's per-test timeout
PREAMBLE = "".join(f"from {m} import *\n" for m in (
    "string", "re", "datetime", "collections", "heapq", "bisect", "copy", "math", "random", "statistics", "itertools",
    "functools", "operator", "io", "sys", "json", "builtins", "typing")) + "".join(f"import {m}\n" for m in (
    "string", "re", "datetime", "collections", "heapq", "bisect", "copy", "math", "random", "statistics", "itertools",
    "functools", "operator", "io", "sys", "json")) + "sys.setrecursionlimit(50000)\n"


def tests_script(cases: list[dict[str, Any]], method: str | None) -> str:
    """The tests' side: each case sent to the program, its answer compared here."""
    data = json.dumps([[str(c.get("input", "")), str(c.get("output", ""))] for c in cases])
    return TESTS.format(cases=repr(data), method=repr(method))


TESTS = '''\
import json
from decimal import Decimal, InvalidOperation

CASES = json.loads({cases})
METHOD = {method}
program = __orbench_program__


def lines(text):
    return [line.strip() for line in text.strip().split("\\n")]


def decimals(line):
    try:
        return [Decimal(word) for word in line.split()]
    except (InvalidOperation, ValueError):
        return None


def same(got, expected):
    a, b = lines(got), lines(expected)
    if len(a) != len(b):
        return False
    for x, y in zip(a, b):
        if x != y and (decimals(x) is None or decimals(x) != decimals(y)):
            return False
    return True


for number, (given, expected) in enumerate(CASES):
    if METHOD:
        got = program.call("Solution." + METHOD, tuple(json.loads(line) for line in given.split("\\n")), {{}})
        if isinstance(got, tuple):
            got = list(got)
        if got != json.loads(expected):
            raise AssertionError(f"test {{number}}: wrong answer")
        continue
    reply = program.run_stdin(given)
    if "raise" in reply:
        raise AssertionError(f"test {{number}}: runtime error ({{reply['raise'][0]}})")
    if not same(reply["stdout"], expected):
        raise AssertionError(f"test {{number}}: wrong answer")
'''

SUITE = benchmark(NAME, "code", "LiveCodeBench release_v6 (1,055 contest problems, dated), public + private tests",
                  DATA, load, render_lcb, grade, size=1055, dated=True, gold=lambda item: None,
                  protocol="stdin/stdout or LeetCode-class tests, public + private; --since/--until windows; pass@k")
