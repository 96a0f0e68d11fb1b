"""Any GGUF repo on the Hub by name: parsing, llama.cpp's choice of file, split GGUFs, the CLI, through
huggingface_hub against the local Hub stand-in."""

from __future__ import annotations

import hashlib
import json

import pytest
from support.gguf_split import split_gguf, tiny_gguf
from support.hub_standin import HubStandIn, Repo
from typer.testing import CliRunner

from orbench.store.catalog import hub_ref, load_catalog
from orbench.cli import app
from orbench.errors import OrbenchError
from orbench.store.hub_repos import RepoFile, RepoListing, group_models, pick_model
from orbench.store.local import find_local, list_local
from orbench.store.pull import pull

A = tiny_gguf({"general.name": "a"}) + bytes(range(256)) * 40  # real headers, then any bytes
B = tiny_gguf({"general.name": "b"}) + bytes(range(255, -1, -1)) * 20
PART1, PART2 = tiny_gguf({"split.no": 0}) + b"first part " * 300, tiny_gguf({"split.no": 1}) + b"second" * 200
REPO = "test-org/Model-GGUF"
FILES = {
    "Model-Q4_K_M.gguf": A, "model-q8_0.gguf": B, "Model-UD-Q4_K_XL.gguf": A[:600], "mmproj-Model-F16.gguf": B[:300],
    "Q6_K/Model-Q6_K-00001-of-00002.gguf": PART1, "Q6_K/Model-Q6_K-00002-of-00002.gguf": PART2,
    "README.md": b"# model",
}


@pytest.fixture
def hub(monkeypatch):
    with HubStandIn({REPO: Repo(files=dict(FILES), commit="e" * 40)}) as server:
        monkeypatch.setenv("HF_ENDPOINT", server.url)
        yield server


@pytest.mark.parametrize("text, repo, tag, quant", [
    ("unsloth/gemma-3-270m-it-GGUF:Q4_K_M", "unsloth/gemma-3-270m-it-GGUF", "Q4_K_M", "Q4_K_M"),
    ("hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:q8_0", "bartowski/Llama-3.2-1B-Instruct-GGUF", "q8_0", "Q8_0"),
    ("https://huggingface.co/org/Repo.v2-GGUF", "org/Repo.v2-GGUF", None, None),
    ("org/repo:sub/Model-IQ4_XS.gguf", "org/repo", "sub/Model-IQ4_XS.gguf", "IQ4_XS"),
])
def test_hub_names_parse_as_llama_cpp_and_ollama_write_them(text, repo, tag, quant):
    ref = load_catalog().resolve(text)
    assert (ref.repo, ref.tag, ref.quant, ref.name, ref.entry, ref.path) == (repo, tag, quant, repo, None, None)


def test_catalog_names_and_paths_are_not_hub_names(tmp_path):
    catalog = load_catalog()
    assert catalog.resolve("smollm2-135m").entry is not None
    assert hub_ref("smollm2-135m") is None and hub_ref("a/b/c") is None and hub_ref("org/-bad") is None
    with pytest.raises(OrbenchError, match="model file not found"):
        catalog.resolve("some/dir/model")
    local = tmp_path / "org"
    local.mkdir()
    (local / "x.gguf").write_bytes(b"GGUF")
    assert catalog.resolve(str(local / "x.gguf")).path == local / "x.gguf"


def listing(*names: str) -> RepoListing:
    files = [RepoFile(n, 1000 * (i + 1), "0" * 64) for i, n in enumerate(names)]
    return RepoListing("o/r", "f" * 40, tuple(group_models(files)))


@pytest.mark.parametrize("names, tag, chosen", [
    (["M-Q4_K_M.gguf", "M-Q8_0.gguf"], "q4_k_m", "M-Q4_K_M.gguf"),  # case-insensitive
    (["M-Q4_K_M.gguf", "M-Q8_0.gguf"], None, "M-Q4_K_M.gguf"),  # llama.cpp's default
    (["M-Q4_0.gguf", "M-Q8_0.gguf"], None, "M-Q4_0.gguf"),  # else the one Q4
    (["M-F16.gguf", "mmproj-M-F16.gguf"], None, "M-F16.gguf"),  # the only model; a projector is not one
    (["m.fp16.gguf", "M-Q8_0.gguf"], "F16", "m.fp16.gguf"),
    (["M-Q4_K_M.gguf", "M-Q4_K_S.gguf"], "q4_k_s", "M-Q4_K_S.gguf"),
    (["M-Q4_0.gguf", "M-Q8_0.gguf"], "Q4", "M-Q4_0.gguf"),  # a prefix, when it names one quant
    (["M-Q8_0.gguf", "M-Q8_0-imat.gguf"], "M-Q8_0-imat.gguf", "M-Q8_0-imat.gguf"),  # a file name
    (["a/M-Q2_K-00002-of-00002.gguf", "a/M-Q2_K-00001-of-00002.gguf"], "Q2_K", "a/M-Q2_K-00001-of-00002.gguf"),
])
def test_the_quant_is_picked_as_llama_cpp_does(names, tag, chosen):
    assert pick_model(listing(*names), tag).name == chosen


@pytest.mark.parametrize("names, tag, message, listed", [
    (["M-Q8_0.gguf", "M-Q8_0-imat.gguf"], "q8_0", "several files in o/r@ffffffffffff match", "M-Q8_0-imat.gguf"),
    (["M-Q4_0.gguf", "M-Q4_K_S.gguf"], "Q4", "several files", "M-Q4_K_S.gguf"),
    (["M-Q8_0.gguf", "M-F16.gguf"], "Q3_K_M", "no Q3_K_M GGUF in o/r", "Q8_0 M-Q8_0.gguf (1.0 KB)"),
    (["M-Q8_0.gguf", "M-F16.gguf"], None, "has several quants; name one as o/r:QUANT", "F16 M-F16.gguf"),
    (["a/M-Q2_K-00001-of-00003.gguf", "a/M-Q2_K-00002-of-00003.gguf"], "Q2_K", "only 2 of the 3 parts", ""),
    (["README.md"], None, "has no GGUF files", ""),
])
def test_several_or_no_matches_are_errors_that_list_the_repo(names, tag, message, listed):
    with pytest.raises(OrbenchError, match=message) as err:
        pick_model(listing(*names), tag)
    assert err.value.exit_code == 2 and listed in str(err.value)


def test_pull_pins_the_commit_and_checks_sha256(hub):
    ref = load_catalog().resolve(f"hf.co/{REPO}:q4_k_m")
    local = pull(ref)
    assert local.path.read_bytes() == A and local.sha256 == hashlib.sha256(A).hexdigest()
    assert (local.source, local.repo, local.revision, local.filename) == ("hub", REPO, "e" * 40, "Model-Q4_K_M.gguf")
    assert f"snapshots/{'e' * 40}" in str(local.path) and local.quant == "Q4_K_M"
    before = len(hub.requests)
    assert pull(ref).path == local.path and len(hub.requests) == before  # offline from now on
    assert find_local(load_catalog().resolve(f"{REPO}:Q4_K_M")) == local


def test_a_split_gguf_is_downloaded_whole_and_loaded_from_its_first_part(hub):
    local = pull(load_catalog().resolve(f"{REPO}:q6_k"))
    assert local.path.name == "Model-Q6_K-00001-of-00002.gguf" and local.path.read_bytes() == PART1
    assert [p.filename for p in local.parts] == ["Q6_K/Model-Q6_K-00001-of-00002.gguf",
                                                 "Q6_K/Model-Q6_K-00002-of-00002.gguf"]
    assert local.parts[1].path.parent == local.path.parent and local.parts[1].path.read_bytes() == PART2
    assert [p.sha256 for p in local.parts] == [hashlib.sha256(PART1).hexdigest(), hashlib.sha256(PART2).hexdigest()]
    assert local.sha256 == hashlib.sha256(PART1 + PART2).hexdigest() and local.size == len(PART1) + len(PART2)
    assert hub.count("GET", "/resolve/") == 2
    local.parts[1].path.unlink()
    assert find_local(load_catalog().resolve(f"{REPO}:Q6_K")) is None  # a missing part means not on disk


def test_a_corrupt_part_is_deleted_and_nothing_recorded(hub):
    hub.repos[REPO].advertised_sha256["Q6_K/Model-Q6_K-00002-of-00002.gguf"] = "1" * 64
    with pytest.raises(OrbenchError, match="sha256 mismatch for test-org/Model-GGUF/Q6_K/Model-Q6_K-00002"):
        pull(load_catalog().resolve(f"{REPO}:Q6_K"))
    assert list_local() == []


def test_no_tag_takes_q4_k_m_and_finds_it_offline_under_both_names(hub):
    local = pull(load_catalog().resolve(REPO))
    assert local.filename == "Model-Q4_K_M.gguf"
    assert find_local(load_catalog().resolve(REPO)) == find_local(load_catalog().resolve(f"{REPO}:Q4_K_M")) == local
    assert len(list_local()) == 1


def invoke(*args):
    return CliRunner().invoke(app, list(args))


def test_models_hub_lists_quants_with_sizes(hub):
    result = invoke("models", "--hub", f"hf.co/{REPO}", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["repo"] == REPO and data["revision"] == "e" * 40
    rows = {r["quant"]: r for r in data["quants"]}
    assert set(rows) == {"Q4_K_M", "Q4_K_XL", "Q8_0", "Q6_K"}  # the projector is not a model
    assert rows["Q6_K"]["size"] == len(PART1) + len(PART2) and len(rows["Q6_K"]["parts"]) == 2
    assert rows["Q8_0"]["size"] == len(B) and rows["Q8_0"]["model"] == f"{REPO}:Q8_0"
    table = invoke("models", "--hub", REPO)
    assert table.exit_code == 0 and "Model-UD-Q4_K_XL.gguf" in table.stdout and "-m test-org/Model-GGUF:Q6_K" in table.stdout


@pytest.mark.parametrize("args, message", [
    (("run", "-m", f"{REPO}:Q3_K_S", "-s", "math"), "no Q3_K_S GGUF in test-org/Model-GGUF@eeeeeeeeeeee"),
    (("run", "-m", "test-org/Missing-GGUF:Q4_K_M", "-s", "math"), "test-org/Missing-GGUF@main"),
    (("pull", f"{REPO}:Q4"), "several files in test-org/Model-GGUF"),
    (("models", "--hub", "not a repo"), "--hub takes a Hub repo"),
])
def test_hub_mistakes_are_one_line_and_exit_2(hub, tmp_path, args, message):
    result = invoke(*args, *(("-o", str(tmp_path / "o")) if args[0] == "run" else ()))
    assert result.exit_code == 2, result.output
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_unreachable_hub_is_a_clear_error():
    result = invoke("pull", f"{REPO}:Q4_K_M")
    assert result.exit_code == 2 and "cannot reach the Hugging Face Hub" in result.stderr


@pytest.mark.e2e
def test_run_a_split_hub_model_by_name_with_the_settings_its_gguf_carries(embedded_model, tmp_path, monkeypatch):
    """The embedded model split in two and served by the Hub stand-in; its first part says temperature 0."""
    parts = split_gguf(embedded_model, tmp_path, 2, "SmolLM2-135M-Instruct-Q4_1",
                       extra={"general.sampling.temp": 0.0, "general.sampling.top_p": 0.5})
    files = {f"Q4_1/{p.name}": p.read_bytes() for p in parts}
    files["SmolLM2-135M-Instruct-Q8_0.gguf"] = A
    plan = ("-s", "reasoning", "--limit", "2", "--max-tokens", "32", "--threads", "2", "--json", "-q")
    with HubStandIn({"test-org/SmolLM2-GGUF": Repo(files=files, commit="9" * 40)}) as hub:
        monkeypatch.setenv("HF_ENDPOINT", hub.url)
        result = invoke("run", "-m", "hf.co/test-org/SmolLM2-GGUF:q4_1", *plan, "-o", str(tmp_path / "hub"))
    assert result.exit_code == 0, result.output
    prov = json.loads(result.stdout)["provenance"]
    assert (prov["repo"], prov["revision"], prov["quant"]) == ("test-org/SmolLM2-GGUF", "9" * 40, "Q4_1")
    assert prov["filename"] == "Q4_1/SmolLM2-135M-Instruct-Q4_1-00001-of-00002.gguf" and len(prov["parts"]) == 2
    assert prov["sha256"] == hashlib.sha256(b"".join(p.read_bytes() for p in parts)).hexdigest()
    assert (prov["sampler"]["temperature"], prov["sampler"]["top_p"]) == (0.0, 0.5)  # from the GGUF
    reference = invoke("run", "-m", str(embedded_model), "--temperature", "0", *plan, "-o", str(tmp_path / "ref"))
    assert reference.exit_code == 0, reference.output

    def outputs(folder):
        return [json.loads(line)["output"] for line in (folder / "samples.jsonl").read_text().splitlines()]

    assert outputs(tmp_path / "hub") == outputs(tmp_path / "ref") and all(outputs(tmp_path / "ref"))


def test_a_quant_ladder_of_a_hub_repo(tmp_path):
    out = tmp_path / "ladder"
    result = invoke("run", "--backend", "mock", "-m", f"hf.co/{REPO}", "--quant", "Q4_K_M,q8_0", "-s", "math-gen",
                    "--limit", "2", "-o", str(out), "-q")
    assert result.exit_code == 0, result.output
    index = json.loads((out / "index.json").read_text())
    assert index["runs"] == {f"{REPO}:Q4_K_M": "Q4_K_M", f"{REPO}:Q8_0": "Q8_0"} and index["model"] == REPO
    assert json.loads((out / "Q8_0" / "summary.json").read_text())["provenance"]["model"] == REPO
