"""The README and docs/ cannot drift silently from the code.

Checked on README.md and every docs/*.md page:
- the README is at most 200 lines and links every docs page;
- every relative link resolves to a file inside the repository, and an anchor to a heading there;
- every path named (`src/orbench/...`, `tests/...`, `benchmarks/...`, `models/...`, `prompts/...`,
  a package-relative `run/loop.py`, a bare `llama.py`) exists;
- architecture.md's import layers are the ones tests/test_architecture.py enforces;
- python-api.md names every name of `orbench.__all__`, and its example uses no other;
- `make TARGET` names a Makefile target.

The commands. In fenced `sh` blocks, a line whose first word (after joining `\\` continuations and
dropping a `# comment`) is `orbench` or `.venv/bin/orbench` is a documented command, up to the first
shell operator (`|`, `>`, `&&`, ...). Every documented command must name a real command and only
options that command has (read from the typer app; nothing runs). Its `--help` runs, exit 0. And
the documented commands whose subcommand is in CHEAP (they need no model, no network and no
results folder) run exactly as written, in-process with typer's test runner, in an empty folder
with the isolated caches of conftest.py and an unreachable Hub; they must exit 0. To make a new
example run here, add its subcommand to CHEAP only if it needs none of those things.
"""

from __future__ import annotations

import functools
import importlib.util
import re
import shlex
from pathlib import Path
from typing import Any

import typer.main
from typer.testing import CliRunner

from conftest import REPO_ROOT

import orbench
from orbench.cli import app

README = REPO_ROOT / "README.md"
DOCS = REPO_ROOT / "docs"
PAGES = [README, *sorted(DOCS.glob("*.md"))]
SRC = REPO_ROOT / "src" / "orbench"
PACKAGES = sorted(p.name for p in SRC.iterdir() if (p / "__init__.py").is_file())
MAX_README_LINES = 200
CHEAP = {"suites", "schema", "init", "models"}  # no model, no results folder, no network...
NEEDS_NETWORK = {"--hub"}  # ...unless given one of these
OPERATORS = {"|", "||", "&&", ";", "&", ">", ">>", "2>&1", "<"}

FENCE = re.compile(r"^```(\w*)\s*$")
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")
TOP_PATH = re.compile(r"(?<![\w./-])((?:src/orbench|tests|benchmarks|models|prompts)/[\w./-]*)")
PACKAGE_PATH = re.compile(r"(?<![\w./-])((?:" + "|".join(PACKAGES) + r")/[\w./-]*)")
BARE_MODULE = re.compile(r"`([\w]+\.py)`")


def blocks(path: Path) -> tuple[str, list[tuple[str, str]]]:
    """The page's prose (code blocks blanked) and its fenced blocks as (language, text)."""
    prose, found, lang, body = [], [], None, []
    for line in path.read_text(encoding="utf-8").splitlines():
        fence = FENCE.match(line)
        if lang is None and fence:
            lang, body = fence.group(1), []
        elif lang is not None and line.strip() == "```":
            found.append((lang, "\n".join(body)))
            lang = None
        elif lang is not None:
            body.append(line)
        else:
            prose.append(line)
    return "\n".join(prose), found


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[`*_]|\[([^\]]*)\]\([^)]*\)", r"\1", heading.strip()).lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    prose, _ = blocks(path)
    seen: dict[str, int] = {}
    out = set()
    for line in prose.splitlines():
        if m := re.match(r"^#{1,6}\s+(.*)$", line):
            base = slug(m.group(1))
            n = seen.get(base, 0)
            seen[base] = n + 1
            out.add(base if n == 0 else f"{base}-{n}")
    return out


def documented_commands() -> list[tuple[str, list[str]]]:
    """(page, argv after `orbench`) for each documented command, by the rule in the docstring."""
    found = []
    for page in PAGES:
        for lang, text in blocks(page)[1]:
            if lang != "sh":
                continue
            for line in text.replace("\\\n", " ").splitlines():
                try:
                    words = shlex.split(line, comments=True)
                except ValueError:
                    continue
                if not words or words[0] not in ("orbench", ".venv/bin/orbench"):
                    continue
                argv = []
                for word in words[1:]:
                    if word in OPERATORS or word.startswith((">", "2>")):
                        break
                    argv.append(word)
                found.append((page.relative_to(REPO_ROOT).as_posix(), argv))
    return found


@functools.cache
def root_command() -> Any:
    return typer.main.get_command(app)  # built once: building it is most of what a check costs


def resolve(argv: list[str]) -> tuple[list[str], Any]:
    """The command path (e.g. ['baseline', 'set']) and its click command, or fail naming the word."""
    command = root_command()
    path: list[str] = []
    for word in argv:
        if word.startswith("-"):
            continue
        if not hasattr(command, "commands"):  # a group has sub-commands (typer vendors its own click)
            break
        assert word in command.commands, f"`orbench {' '.join(path + [word])}` is not a command"
        command = command.commands[word]
        path.append(word)
    return path, command


def option_names(command: Any) -> set[str]:
    names = {"--help", "-h"}
    for param in command.params:
        names.update(param.opts)
        names.update(param.secondary_opts)
    return names


COMMANDS = documented_commands()


def test_readme_is_short_and_links_every_docs_page():
    text = README.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= MAX_README_LINES
    linked = {m.split("#")[0] for m in LINK.findall(blocks(README)[0])}
    missing = [p.name for p in sorted(DOCS.glob("*.md")) if f"docs/{p.name}" not in linked]
    assert missing == [], f"docs pages not linked from README.md: {missing}"


def test_links_resolve_inside_the_repository():
    bad = []
    for page in PAGES:
        for target in LINK.findall(blocks(page)[0]):
            file_part, _, anchor = target.partition("#")
            where = f"{page.relative_to(REPO_ROOT)}: {target}"
            dest = (page.parent / file_part).resolve() if file_part else page
            if re.match(r"^[a-z]+:", file_part):
                bad.append(f"{where}: points outside the repository")
            elif not dest.is_relative_to(REPO_ROOT) or not dest.exists():
                bad.append(f"{where}: no such file in the repository")
            elif anchor and anchor not in anchors(dest):
                bad.append(f"{where}: no heading with that anchor")
    assert bad == [], "\n".join(bad)


def test_every_path_named_exists():
    everywhere = {p.name for top in ("src", "tests", "benchmarks") for p in (REPO_ROOT / top).rglob("*.py")}
    bad = []
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        found = [p for p in TOP_PATH.findall(text) if not (REPO_ROOT / p.rstrip(".")).exists()]
        found += [p for p in PACKAGE_PATH.findall(text) if not (SRC / p.rstrip(".")).exists()]
        found += [p for p in BARE_MODULE.findall(text) if p not in everywhere]
        found += [p for p in ("../shared", "DESIGN.md") if p in text]  # nothing outside the repository
        bad += [f"{page.relative_to(REPO_ROOT)}: {p}" for p in found]
    assert bad == [], "\n".join(bad)


def test_the_architecture_page_draws_the_enforced_layers():
    spec = importlib.util.spec_from_file_location("architecture_rules", REPO_ROOT / "tests" / "test_architecture.py")
    assert spec and spec.loader
    rules = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(rules)
    page = DOCS / "architecture.md"
    layers: dict[int, set[str]] = {}
    shared: set[str] = set()
    for lang, text in blocks(page)[1]:
        for line in text.splitlines():
            if m := re.match(r"^layer (\d+)\s+(.+)$", line):
                layers[int(m.group(1))] = {w.strip() for w in m.group(2).split(",")}
            elif m := re.match(r"^shared\s+(.+)$", line):
                shared = {w.strip() for w in m.group(1).split(",")}
    assert [layers[k] for k in sorted(layers)] == rules.LAYERS
    assert shared == rules.SHARED
    prose = blocks(page)[0]
    assert [p for p in PACKAGES if f"| `{p}/` |" not in prose] == [], "a package without its row in the map"


def test_the_python_page_names_the_whole_api():
    page = DOCS / "python-api.md"
    text = page.read_text(encoding="utf-8")
    named = set(re.findall(r"`(\w+)`", text)) | set(re.findall(r"orbench\.(\w+)", text))
    api = set(orbench.__all__) - {"__version__"}
    assert sorted(api - named) == [], "names of orbench.__all__ the page does not mention"
    used = {n for _, code in blocks(page)[1] for n in re.findall(r"\borbench\.(\w+)", code)}
    assert sorted(used - api) == [], "the example uses names orbench does not export"


def test_make_targets_named_exist():
    targets = set(re.findall(r"^([\w-]+):", (REPO_ROOT / "Makefile").read_text(encoding="utf-8"), re.M))
    named = {t for page in PAGES for _, code in blocks(page)[1] for t in re.findall(r"^make ([\w-]+)", code, re.M)}
    named |= {t for page in PAGES for t in re.findall(r"`make ([\w-]+)`", page.read_text(encoding="utf-8"))}
    assert named and sorted(named - targets) == []


def test_the_rule_finds_the_commands_of_each_job():
    subcommands = {argv[0] for _, argv in COMMANDS if argv}
    assert {"run", "compare", "kld", "report", "init", "lock", "history", "baseline", "merge"} <= subcommands


def test_documented_commands_use_real_commands_and_options():
    bad = []
    for page, argv in COMMANDS:
        try:
            path, command = resolve(argv)
        except AssertionError as exc:
            bad.append(f"{page}: {exc}")
            continue
        if not path:
            bad.append(f"{page}: `orbench {' '.join(argv)}` names no command")
            continue
        known = option_names(command)
        unknown = [w.split("=")[0] for w in argv if w.startswith("-") and w.split("=")[0] not in known
                   and not re.fullmatch(r"-\d+", w)]  # `--n-gpu-layers -1`: a value, not an option
        if unknown:
            bad.append(f"{page}: `orbench {' '.join(path)}` has no option {unknown}")
    assert bad == [], "\n".join(bad)


def test_help_of_each_documented_command():
    paths = sorted({tuple(resolve(argv)[0]) for _, argv in COMMANDS} | {()})
    failed = [(p, r.output) for p in paths if (r := CliRunner().invoke(app, [*p, "--help"])).exit_code != 0]
    assert len(paths) > 10 and failed == [], failed


CHEAP_COMMANDS = [(p, a) for p, a in COMMANDS if a and a[0] in CHEAP and not NEEDS_NETWORK & set(a)]


def test_cheap_documented_commands_run(tmp_path: Path, monkeypatch):
    assert {a[0] for _, a in CHEAP_COMMANDS} == CHEAP, "a cheap command the docs no longer show"
    failed = []
    for n, (page, argv) in enumerate(CHEAP_COMMANDS):
        (tmp_path / str(n)).mkdir()
        monkeypatch.chdir(tmp_path / str(n))  # `orbench init` writes orbench.toml here
        result = CliRunner().invoke(app, argv)
        if result.exit_code != 0:
            failed.append(f"{page}: orbench {' '.join(argv)} -> {result.exit_code}\n{result.output[-500:]}")
    assert failed == [], "\n".join(failed)
