"""`orbench.toml`: a whole evaluation matrix (models x quants x suites) for unattended runs.

Errors name the file, the line and the key, so a nightly job that fails on a typo says where.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, create_model, field_validator

from ..errors import OrbenchError
from ..files import read_text, write_atomic
from ..run.settings import config_field, flags

EXAMPLE = '''\
# orbench.toml: what `orbench run --config orbench.toml` evaluates.
# Every key is optional except [[models]]; unknown keys are errors. A command-line flag
# (--limit, --seed, --suite, ...) overrides the key of the same name and is recorded in the results.

[run]
output = "results/nightly"          # one dated folder per night below it (YYYYMMDD-HHMMSS)
suites = ["math", "code", "reasoning", "reasoning-gen"]
limit = 20                          # items per suite (a seeded subset); remove for all
samples = 1                         # completions per item
seed = 0                            # subsets, sampling and generated suites
threads = 2                         # CPU threads; leave out for all cores
n_gpu_layers = 0                    # -1 offloads every layer to the GPU
# max_tokens = 512                  # override the models' recommended settings
# temperature = 0.6
# keep = 30                         # keep the newest 30 nights; older ones are deleted (never the baseline)
# until_decided = true              # take items in rounds; stop when the gate's anytime-valid tests decide
# round_items = 10                  #   items per round
# budget = "2h"                     #   stop before a round would pass this run time (or budget_tokens = N)

[[models]]
name = "smollm2-135m"               # a catalog name (orbench models)
quants = ["Q4_1"]

# [[models]]
# name = "deepseek-r1-distill-qwen-1.5b"
# quants = ["Q4_K_M", "Q8_0"]

[gate]
baseline = "pinned"                 # the night pinned by `orbench baseline set latest`; or "latest-passing", or a folder
fail_on = ["accuracy<-2pp"]
# Speed is off by default: on a shared or busy runner the load of other work moves tokens/s by far
# more than a model change does. On a dedicated runner, add the speed rule; it fires only when the
# slowdown is past the threshold and outside the noise of the per-sample speeds of both nights:
# fail_on = ["accuracy<-2pp", "tokens_per_s<-10%"]
alpha = 0.05                        # chance of a false red over `nights` unchanged nights (Holm, alpha/nights a night)
nights = 30
max_error_rate = 0.05               # more infrastructure errors than this: exit code 3
fail_underpowered = false           # true: a rule the run is too small to test fails the night (exit 1)
'''


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _run_section() -> type[Strict]:
    """`[run]`: the settings of `RunOptions` marked `config`, with their bounds (run/settings.py)."""
    fields: dict[str, Any] = {}
    for f, flag in flags():
        if flag.config:
            kind, default = config_field(f, flag)
            finite = False if kind in (float, Optional[float]) else None  # NaN and inf: no setting's value
            fields[f.name] = (kind, Field(default=default, ge=flag.low, le=flag.high, allow_inf_nan=finite))
    return create_model("RunSection", __base__=Strict, **fields)


RunSection = _run_section()
if TYPE_CHECKING:
    RunTable = Any  # its keys are RunOptions' (typed there); pydantic validates with RunSection
else:
    RunTable = RunSection


class ModelSection(Strict):
    name: str
    quants: list[str] = []

    @field_validator("quants")
    @classmethod
    def _upper(cls, quants: list[str]) -> list[str]:
        return [q.upper() for q in quants]


def _rule(text: str) -> str:
    """A `fail_on` rule, read when the config is read, not when a later night first has a baseline."""
    from .findings import parse_rule

    try:
        parse_rule(text)
    except OrbenchError as exc:
        raise ValueError(f"cannot read '{text}' ({exc.hint})") from None
    return text


class GateSection(Strict):
    baseline: str | None = None  # a folder, or pinned / latest / latest-passing (see nights.py)
    fail_on: list[Annotated[str, AfterValidator(_rule)]] = ["accuracy<-2pp"]
    alpha: float = Field(default=0.05, gt=0, lt=1, allow_inf_nan=False)
    max_error_rate: float = Field(default=0.05, ge=0, le=1, allow_inf_nan=False)
    fail_underpowered: bool = False
    nights: int = Field(default=30, ge=1)  # alpha is the false-red rate over this many unchanged nights


class Config(Strict):
    run: RunTable = Field(default_factory=RunSection)
    models: list[ModelSection] = Field(min_length=1)
    gate: GateSection = GateSection()
    path: Path | None = Field(default=None, exclude=True)

    @property
    def lock_path(self) -> Path:
        return (self.path or Path("orbench.toml")).with_suffix(".lock")


def load_config(path: Path) -> Config:
    text = read_text(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise OrbenchError(f"{path}: {exc}") from None
    try:
        config = Config(**data)
    except ValidationError as exc:
        err = exc.errors()[0]
        msg = str(err["ctx"]["error"]) if err["type"] == "value_error" else err["msg"]
        raise OrbenchError(f"{path}:{line_of(text, err['loc'])}: {_key(err['loc'])}: {msg}") from None
    config.path = path
    if not config.run.output.is_absolute():
        config.run.output = path.parent / config.run.output
    config.gate.baseline = resolve_baseline_key(config.gate.baseline, path.parent)
    _check_budget(config, text, path)
    _check_names(config, text, path)
    return config


def resolve_baseline_key(value: str | None, folder: Path) -> str | None:
    """A baseline keyword as it is; a relative folder relative to the config's folder."""
    from .nights import KEYWORDS

    if not value or value in KEYWORDS or Path(value).is_absolute():
        return value
    return str(folder / value)


def _check_budget(config: Config, text: str, path: Path) -> None:
    from ..quant.adaptive import parse_budget

    try:
        parse_budget(config.run.budget)
    except OrbenchError as exc:
        raise OrbenchError(f"{path}:{line_of(text, ('run', 'budget'))}: run.budget: {exc.message}") from None


def _check_names(config: Config, text: str, path: Path) -> None:
    from ..store.catalog import load_catalog
    from ..suites import get_suite

    catalog = load_catalog()
    for i, suite in enumerate(config.run.suites):
        try:
            get_suite(suite)
        except OrbenchError as exc:
            raise OrbenchError(f"{path}:{line_of(text, ('run', 'suites'))}: run.suites[{i}]: {exc.message}",
                               hint=exc.hint) from None
    for i, model in enumerate(config.models):
        where = f"{path}:{line_of(text, ('models', i, 'name'))}: models[{i}]"
        try:
            entry = catalog.get(model.name)
        except OrbenchError as exc:
            raise OrbenchError(f"{where}.name: {exc.message}", hint=exc.hint) from None
        for q in model.quants:
            if not entry.has_quant(q):
                raise OrbenchError(f"{where}.quants: '{model.name}' has no quant '{q}'",
                                   hint=f"available: {', '.join(entry.quants)}")
        if not model.quants:
            model.quants = [entry.default_quant]


def _key(loc: tuple) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def line_of(text: str, loc: tuple) -> int:
    """The line of the TOML text where the key at `loc` (as pydantic reports it) is written."""
    lines = text.splitlines()
    pos, table = 0, ""
    parts = list(loc)
    for i, part in enumerate(parts):
        if isinstance(part, int):
            continue
        nxt = parts[i + 1] if i + 1 < len(parts) else None
        if isinstance(nxt, int):  # an array of tables: the nxt-th [[part]]
            hits = [n for n, line in enumerate(lines) if re.match(rf"\s*\[\[\s*{re.escape(part)}\s*\]\]", line)]
            if len(hits) > nxt:
                pos, table = hits[nxt], part
                continue
        header = [n for n, line in enumerate(lines) if re.match(rf"\s*\[\s*{re.escape(part)}\s*\]", line)]
        if header and not table:
            pos, table = header[0], part
            continue
        for n in range(pos, len(lines)):
            if re.match(rf"\s*{re.escape(part)}\s*=", lines[n]):
                return n + 1
    return pos + 1


def write_example(path: Path, force: bool = False) -> None:
    """Write the commented example config."""
    if path.exists() and not force:
        raise OrbenchError(f"{path} already exists", hint="pass --force to overwrite it")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, (EXAMPLE,))
    except OSError as exc:
        raise OrbenchError(f"cannot write {path}: {exc.strerror}") from None
