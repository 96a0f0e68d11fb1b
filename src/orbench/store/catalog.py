"""The model catalog: pydantic models of `models/*.toml`, and lookup by `name[:QUANT]`.

Each TOML file describes one family: a `[family]` table with shared generation settings and a
list of `[[models]]`, each naming a Hub repository and the quant levels it publishes. A model's
`generation` table overrides the family's key by key.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..errors import OrbenchError
from ..files import read_text
from ..paths import models_dir
from ..units import did_you_mean

DEFAULT_MATH_INSTRUCTION = "Please reason step by step, and put your final answer within \\boxed{}."


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Generation(Strict):
    """Recommended generation settings for a model (the run's flags override them)."""

    temperature: float = 0.7
    top_p: float = 0.95
    top_k: int = 40
    min_p: float = 0.0
    repeat_penalty: float = 1.0
    system_prompt: str | None = None
    math_instruction: str = DEFAULT_MATH_INSTRUCTION
    thinking: bool = False
    max_tokens: int = 1024
    context: int = 4096
    chat_template: str | None = None  # a Jinja chat template in place of the GGUF's own


class Mirror(Strict):
    """A copy of one quant file outside the Hub, e.g. inside a PyPI wheel."""

    kind: Literal["pypi"] = "pypi"
    quant: str
    package: str
    version: str
    member: str
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    size: int
    license: str


class ModelEntry(Strict):
    name: str
    family: str
    description: str = ""
    repo: str
    revision: str = "main"
    quants: list[str]
    default_quant: str
    license: str = ""
    parameters: str = ""
    generation: Generation = Generation()
    mirrors: list[Mirror] = []

    def mirror_for(self, quant: str) -> Mirror | None:
        return next((m for m in self.mirrors if m.quant.upper() == quant.upper()), None)

    def has_quant(self, quant: str) -> bool:
        return quant.upper() in {q.upper() for q in self.quants}


class ModelRef(Strict):
    """What the user asked for: a catalog entry at a quant, a local GGUF path, or any GGUF repo on the
    Hub by name (`repo` set; `tag` is the quant or file name written after the colon, if any)."""

    name: str
    quant: str | None = None
    path: Path | None = None
    entry: ModelEntry | None = None
    repo: str | None = None
    tag: str | None = None

    @property
    def label(self) -> str:
        return f"{self.name}:{self.quant}" if self.quant else self.name


class Catalog(Strict):
    default_model: str
    embedded_model: str
    models: list[ModelEntry]

    def get(self, name: str) -> ModelEntry:
        for entry in self.models:
            if entry.name.lower() == name.lower():
                return entry
        names = [m.name for m in self.models]
        raise OrbenchError(f"unknown model '{name}'", hint=f"{did_you_mean(name, names)}known models: "
                                                          f"{', '.join(names)}")

    def resolve(self, ref: str | None) -> ModelRef:
        """Parse `name[:QUANT]`, a path to a `.gguf` file, or a Hub repo `[hf.co/]org/repo[:QUANT]`."""
        text = (ref or self.default_model).strip()
        path = Path(text).expanduser()
        if path.is_file() or text.startswith((".", "/", "~")):
            return _local_ref(path)
        hub = hub_ref(text)
        if hub is not None and (hub.tag is not None or not text.lower().endswith(".gguf")):
            return hub
        if "/" in text or text.lower().endswith(".gguf"):
            return _local_ref(path)
        name, _, quant = text.partition(":")
        entry = self.get(name)
        quant = quant or entry.default_quant
        if not entry.has_quant(quant):
            raise OrbenchError(
                f"model '{entry.name}' has no quant '{quant}'",
                hint=f"{did_you_mean(quant, entry.quants)}available: {', '.join(entry.quants)}",
            )
        canonical = next(q for q in entry.quants if q.upper() == quant.upper())
        return ModelRef(name=entry.name, quant=canonical, entry=entry)


def _local_ref(path: Path) -> ModelRef:
    if not path.is_file():
        raise OrbenchError(f"model file not found: {path}")
    return ModelRef(name=path.stem, quant=quant_from_filename(path.name), path=path.resolve())


HUB_NAME = re.compile(r"(?:(?:https?://)?(?:hf\.co|huggingface\.co)/)?"
                      r"(?P<repo>[A-Za-z0-9][\w.-]*/[A-Za-z0-9][\w.-]*)(?::(?P<tag>[^:\s]+))?")


def hub_ref(text: str) -> ModelRef | None:
    """`org/repo[:QUANT]`, as llama.cpp's `-hf` takes it, or `hf.co/org/repo[:QUANT]`, as Ollama writes
    it; QUANT may also be a file name in the repo. None if `text` is not such a name."""
    m = HUB_NAME.fullmatch(text.strip())
    if m is None:
        return None
    repo, tag = m.group("repo"), m.group("tag")
    if repo.endswith((".", "-")) or "--" in repo or ".." in repo:
        return None
    if tag is None:
        quant = None
    elif tag.lower().endswith(".gguf"):
        quant = quant_from_filename(tag.rsplit("/", 1)[-1])
    else:
        quant = tag.upper()
    return ModelRef(name=repo, quant=quant, repo=repo, tag=tag)


def quant_from_filename(filename: str) -> str | None:
    """The quant token of a GGUF file name (`...-Q4_K_M.gguf` -> `Q4_K_M`), if there is one."""
    for token in reversed(_name_tokens(filename)):
        if re.fullmatch(r"(?i)(i?q\d[\w]*|f16|bf16|f32|fp16)", token):
            upper = token.upper()
            return "F16" if upper == "FP16" else upper
    return None


def _name_tokens(filename: str) -> list[str]:
    stem = filename[:-5] if filename.lower().endswith(".gguf") else filename
    return re.split(r"[-.]", stem)


def match_quant_file(filenames: list[str], quant: str) -> list[str]:
    """The GGUF files among `filenames` whose name carries `quant` as a whole token.

    File naming differs between repos (`Model-Q4_K_M.gguf`, `model-q4_k_m.gguf`,
    `Model.Q4_K_M.gguf`), so names are split on `-` and `.` and compared case-insensitively;
    `Q4_0` does not match `Q4_0_4_4`. F16 also matches `fp16`.
    """
    wanted = {quant.upper()} | ({"FP16"} if quant.upper() == "F16" else set())
    hits = []
    for name in filenames:
        if not name.lower().endswith(".gguf"):
            continue
        base = name.rsplit("/", 1)[-1]
        if any(t.upper() in wanted for t in _name_tokens(base)):
            hits.append(name)
    return sorted(hits, key=lambda n: (n.count("/"), len(n), n))


def load_catalog(directory: Path | None = None) -> Catalog:
    directory = directory or models_dir()
    defaults_file = directory / "defaults.toml"
    defaults = _read_toml(defaults_file)
    models: list[ModelEntry] = []
    for path in sorted(directory.glob("*.toml")):
        if path == defaults_file:
            continue
        models.extend(_family_models(path))
    try:
        return Catalog(models=models, **defaults)
    except ValidationError as exc:
        raise OrbenchError(f"{defaults_file}: {_first_error(exc)}") from None


def _family_models(path: Path) -> list[ModelEntry]:
    data = _read_toml(path)
    family = data.get("family", {})
    base_generation = family.get("generation", {})
    entries = []
    for i, raw in enumerate(data.get("models", [])):
        merged = dict(raw)
        merged.setdefault("family", family.get("name", path.stem))
        merged["generation"] = {**base_generation, **raw.get("generation", {})}
        try:
            entries.append(ModelEntry(**merged))
        except ValidationError as exc:
            raise OrbenchError(f"{path}: models[{i}]: {_first_error(exc)}") from None
    return entries


def _read_toml(path: Path) -> dict:
    if not path.exists():
        raise OrbenchError(f"catalog file not found: {path}")
    try:
        return tomllib.loads(read_text(path))
    except tomllib.TOMLDecodeError as exc:
        raise OrbenchError(f"{path}: {exc}") from None


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"])
    return f"{where}: {err['msg']}"
