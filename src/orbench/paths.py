"""Where orbench finds its data (catalog, prompts) and keeps its own cache."""

from __future__ import annotations

import os
from pathlib import Path


PACKAGE = Path(__file__).resolve().parent


def data_root() -> Path:
    """The folder holding `models/` and `prompts/`: $ORBENCH_DATA_DIR; else the package's own copy
    (`orbench/data`, in an installed wheel); else the top of the source checkout (an editable install)."""
    env = os.environ.get("ORBENCH_DATA_DIR")
    if env:
        return Path(env)
    packaged = PACKAGE / "data"
    if (packaged / "models").is_dir():
        return packaged
    return PACKAGE.parents[1]


def models_dir() -> Path:
    return data_root() / "models"


def prompts_dir() -> Path:
    return data_root() / "prompts"


def cache_root() -> Path:
    """orbench's own cache ($ORBENCH_HOME, else $XDG_CACHE_HOME/orbench, else ~/.cache/orbench)."""
    env = os.environ.get("ORBENCH_HOME")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "orbench"
