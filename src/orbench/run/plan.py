"""The plan of a run: which requests it makes (suite x item x sample, seeded), and `plan.json`,
the record of that plan that resume and `orbench merge` check against."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..backends import GenerationRequest
from ..errors import OrbenchError
from ..store.catalog import Generation
from ..grading.sandbox import Limits
from ..suites import Suite, prompt_set_hash, refuse_duplicate_names, select
from ..suites.items import Item
from .settings import PLAN_KEYS

if TYPE_CHECKING:
    from pathlib import Path

PLAN_VERSION = 1


class Plan(BaseModel):
    """`plan.json`: what makes two runs the same plan; a resumed run must match it exactly."""

    model_config = ConfigDict(extra="forbid")

    schema_version: int = Field(default=PLAN_VERSION, description="version of this file's layout")
    model: str = Field(description="catalog name or file stem of the model")
    quant: str | None = Field(description="quant label, e.g. Q4_K_M")
    sha256: str | None = Field(description="sha256 of the model file (None for the mock backend)")
    seed: int = Field(ge=0, description="run seed: item subsets, sampling, generated suites")
    samples: int = Field(ge=1, description="completions per item")
    limit: int | None = Field(ge=1, description="items per suite (a seeded subset), None for all")
    sampler: Generation = Field(description="generation settings every request uses")
    suites: dict[str, str] = Field(description="suite name -> prompt-set hash of its selected items")
    shard: tuple[int, int] = Field(description="this run's shard I of N (1, 1: the whole plan)")
    requests: int = Field(ge=0, description="requests in this shard")
    overrides: dict[str, Any] = Field(default={}, description="settings of this plan given on the command line "
                                      "over the config's (`orbench run --config ... --limit 2`)")
    grading: str = Field(default="reference", description="the grading protocol: reference (each benchmark's "
                         "reference harness's answer rule) or lenient (--grading lenient)")

    @field_validator("shard")
    @classmethod
    def _shard_in_range(cls, shard: tuple[int, int]) -> tuple[int, int]:
        if not 1 <= shard[0] <= shard[1]:
            raise ValueError(f"shard {shard[0]} of {shard[1]} does not exist")
        return shard

    def differences(self, other: "Plan") -> list[str]:
        """The fields in which `other` differs from this plan."""
        mine, theirs = self.model_dump(mode="json"), other.model_dump(mode="json")
        return sorted(k for k in mine if mine[k] != theirs.get(k))

    def same_plan_as(self, other: "Plan") -> bool:
        """True if both are shards of one plan (everything but the shard and its request count equal)."""
        return not [k for k in self.differences(other) if k not in ("shard", "requests")]


@dataclass
class RunSpec:
    """What to run: suites and settings, independent of the model file."""

    suites: list[Suite]
    generation: Generation
    seed: int = 0
    samples: int = 1
    limit: int | None = None
    output: "Path | None" = None
    sandbox: Limits = field(default_factory=Limits)
    since: date | None = None  # the date window of dated suites (recorded; the suites are already windowed)
    until: date | None = None
    overrides: dict[str, Any] = field(default_factory=dict)  # command-line settings over a config's
    graders: int | None = None  # programs graded at once beside generation (None: half the cores)
    grading: str = "reference"  # the grading protocol the suites were set to (`Suite.graded_as`)

    @property
    def window(self) -> str | None:
        return f"{self.since or '…'} to {self.until or '…'}" if self.since or self.until else None


@dataclass
class SuitePlan:
    """One suite's share of a plan: its selected items and this shard's requests."""

    suite: Suite
    items: list[Item]
    requests: list[GenerationRequest]

    @property
    def item_by_id(self) -> dict[str, Item]:
        return {i.id: i for i in self.items}


def sample_seed(seed: int, item_id: str, sample: int) -> int:
    """A per-sample seed that depends only on the run seed, the item and the sample index."""
    digest = hashlib.sha256(f"{seed}:{item_id}:{sample}".encode()).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF


def build_requests(suite: Suite, items: list[Item], spec: RunSpec) -> list[GenerationRequest]:
    g = spec.generation
    return [
        GenerationRequest(
            id=f"{suite.name}/{item.id}#{k}", item_id=item.id, sample=k, messages=suite.render(item, g),
            max_tokens=g.max_tokens, temperature=g.temperature, top_p=g.top_p, top_k=g.top_k,
            min_p=g.min_p, repeat_penalty=g.repeat_penalty, seed=sample_seed(spec.seed, item.id, k),
        )
        for item in items
        for k in range(spec.samples)
    ]


def shard_slice(requests: list[GenerationRequest], shard: tuple[int, int]) -> list[GenerationRequest]:
    """Shard I of N: every N-th request of the plan, starting at the I-th (1-based)."""
    index, count = shard
    return requests if count == 1 else requests[index - 1::count]


def make_plan(spec: RunSpec, model: str, quant: str | None, sha256: str | None,
              shard: tuple[int, int] = (1, 1)) -> tuple[Plan, list[SuitePlan]]:
    """Select each suite's items, build this shard's requests, and the plan that records them."""
    refuse_duplicate_names(spec.suites)
    parts = []
    for suite in spec.suites:
        items = select(suite.load(spec.seed), spec.limit, spec.seed)
        if not items:
            raise OrbenchError(f"suite '{suite.name}' has no items", hint="check its file or folder")
        parts.append(SuitePlan(suite, items, shard_slice(build_requests(suite, items, spec), shard)))
    plan = Plan(model=model, quant=quant, sha256=sha256, seed=spec.seed, samples=spec.samples, limit=spec.limit,
                sampler=spec.generation, suites={p.suite.name: prompt_set_hash(p.items) for p in parts},
                shard=shard, requests=sum(len(p.requests) for p in parts), grading=spec.grading,
                overrides={k: v for k, v in spec.overrides.items() if k in PLAN_KEYS})
    return plan, parts
