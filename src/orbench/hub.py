"""What the model store and the benchmark data share about the Hugging Face Hub: where it is, where
its cache is, which errors mean "unreachable", downloading one file, and how to delete a file from
the cache."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable

from .errors import OrbenchError
from .units import shorten

HUB_TIMEOUT = 10.0  # seconds for metadata calls; a Hub that does not answer is "unreachable"


def endpoint() -> str | None:
    return os.environ.get("HF_ENDPOINT") or None


def cache_dir() -> str | None:
    """The HF cache, read from the environment now (huggingface_hub reads it once, at import)."""
    if os.environ.get("HF_HUB_CACHE"):
        return os.environ["HF_HUB_CACHE"]
    if os.environ.get("HF_HOME"):
        return os.path.join(os.environ["HF_HOME"], "hub")
    return None


def hub_cache() -> Path:
    """The folder huggingface_hub downloads into: the environment's choice, else its default."""
    chosen = cache_dir()
    if chosen:
        return Path(chosen)
    from huggingface_hub import constants

    return Path(constants.HF_HUB_CACHE)


def network_errors() -> tuple[type[BaseException], ...]:
    """The exceptions that mean 'the Hub could not be reached' (or offline mode is on)."""
    from huggingface_hub.errors import LocalEntryNotFoundError, OfflineModeIsEnabled

    errors: list[type[BaseException]] = [LocalEntryNotFoundError, OfflineModeIsEnabled, ConnectionError, TimeoutError]
    for module in ("httpx2", "httpx", "requests"):
        try:
            lib = __import__(module)
        except ImportError:
            continue
        for attr in ("TransportError", "ConnectionError", "Timeout"):
            cls = getattr(lib, attr, None)
            if isinstance(cls, type) and issubclass(cls, BaseException):
                errors.append(cls)
    return tuple(errors)


class HubUnreachable(Exception):
    """The Hub (or $HF_ENDPOINT) did not answer; a mirror or a local copy may still serve."""


def model_info(repo: str, revision: str) -> Any:
    """One metadata call for a model repo at a revision, with its files' sizes and LFS sha256:
    OrbenchError for a missing repo or revision or another HTTP error, HubUnreachable without a Hub."""
    from huggingface_hub import HfApi
    from huggingface_hub.errors import HfHubHTTPError, RepositoryNotFoundError, RevisionNotFoundError

    try:
        return HfApi(endpoint=endpoint()).model_info(repo, revision=revision, files_metadata=True, timeout=HUB_TIMEOUT)
    except (RepositoryNotFoundError, RevisionNotFoundError) as exc:
        raise OrbenchError(f"{repo}@{revision}: {shorten(str(exc))}") from None
    except network_errors() as exc:
        raise HubUnreachable(short_error(exc)) from None
    except HfHubHTTPError as exc:
        raise OrbenchError(f"Hub error for {repo}: {shorten(str(exc))}") from None


def download(repo: str, filename: str, *, revision: str, repo_type: str = "model", local_dir: Path | None = None,
             force: bool = False, what: str | None = None,
             http_error: Callable[[Exception], OrbenchError] | None = None) -> Path:
    """One file through `hf_hub_download`, with orbench's endpoint, cache and timeout: HubUnreachable
    when the Hub cannot be reached; any other HTTP error becomes `http_error(exc)`, or "Hub error for
    WHAT" (default: the repo) in one line."""
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import HfHubHTTPError

    try:
        return Path(hf_hub_download(
            repo, filename, repo_type=repo_type, revision=revision, endpoint=endpoint(), etag_timeout=HUB_TIMEOUT,
            cache_dir=cache_dir(), local_dir=str(local_dir) if local_dir else None, force_download=force,
        ))
    except network_errors() as exc:
        raise HubUnreachable(short_error(exc)) from None
    except HfHubHTTPError as exc:
        raise (http_error(exc) if http_error else OrbenchError(f"Hub error for {what or repo}: {short_error(exc)}")) from None


def short_error(exc: BaseException) -> str:
    """An exception in one short line: its text shortened, else its type's name."""
    return shorten(str(exc)) or type(exc).__name__


def discard(path: Path) -> None:
    """Delete a downloaded file; in the HF cache, the blob behind the snapshot link too."""
    blob = path.resolve()
    path.unlink(missing_ok=True)
    if blob != path:
        blob.unlink(missing_ok=True)
