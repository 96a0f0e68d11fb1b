"""Cases from issue 24 that ended in a traceback: each is now one line and exit 2, found before any
model work (a broken chat template, a config output that is a file or cannot be made)."""

from __future__ import annotations

from typer.testing import CliRunner

from orbench.cli import app


def cli(*args: object):
    return CliRunner().invoke(app, [str(a) for a in args])


def one_line(result) -> str:
    errors = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.exit_code == 2 and len(errors) == 1 and errors[0].startswith("error: "), \
        (result.exit_code, result.output, result.exception)
    return errors[0]


def test_a_broken_chat_template_is_one_line_naming_its_line(tmp_path):
    template = tmp_path / "template.jinja"
    template.write_text("{{ bos_token }}\n{% for m in messages %}\n{{ m.content }\n{% endfor %}\n")
    for given, where in ((template, str(template)), ("{% for x in %}", "--chat-template")):
        result = cli("run", "-m", "smollm2-135m:Q4_1", "-s", "math", "--limit", "1", "--chat-template", given,
                     "-o", tmp_path / "out", "-q")
        error = one_line(result)
        assert where in error and "does not compile" in error
        assert not (tmp_path / "out").exists()
    assert "(line 3)" in one_line(cli("run", "-m", "smollm2-135m:Q4_1", "-s", "math", "--chat-template", template,
                                      "-o", tmp_path / "out", "-q"))


def test_a_config_output_that_is_a_file_or_under_proc_is_one_line(tmp_path):
    (tmp_path / "afile").write_text("x")
    for output in ("afile", "/proc/orbench-night"):
        path = tmp_path / "orbench.toml"
        path.write_text(f'[run]\noutput = "{output}"\nsuites = ["math"]\n[[models]]\nname = "smollm2-135m"\n')
        error = one_line(cli("run", "--config", path, "--backend", "mock", "-q"))
        assert "not writable" in error and output in error
    assert (tmp_path / "afile").read_text() == "x"


def test_pull_quantize_and_kld_into_a_file_are_one_line_before_any_work(tmp_path):
    afile = tmp_path / "afile"
    afile.write_text("x")
    for args in (("pull", "smollm2-135m", "--dir", afile / "sub"),
                 ("quantize", "smollm2-135m", "--from", "Q4_1", "--to", "Q8_0", "--allow-requantize", "--dir", afile),
                 ("kld", "smollm2-135m", "--quant", "Q8_0", "--reference", "Q4_1", "-o", afile)):
        error = one_line(cli(*args))
        assert "not writable" in error and str(afile) in error, (args, error)
    assert afile.read_text() == "x"


def test_published_scores_and_catalog_that_are_not_utf8_are_one_line_naming_the_line(tmp_path, monkeypatch):
    import shutil

    from conftest import REPO_ROOT

    data = tmp_path / "data"
    shutil.copytree(REPO_ROOT / "models", data / "models")
    shutil.copytree(REPO_ROOT / "prompts", data / "prompts")
    monkeypatch.setenv("ORBENCH_DATA_DIR", str(data))
    scores = data / "models" / "published" / "scores.toml"
    scores.write_bytes(b"# one\n# two\n# three\n# \xff four\n")
    error = one_line(cli("run", "--backend", "mock", "-s", "math", "--limit", "1", "-o", tmp_path / "out", "-q"))
    assert f"{scores}:4: not UTF-8 text" in error
    assert not (tmp_path / "out").exists()  # refused before generation, not after it
    [catalog] = [p for p in (data / "models").glob("*.toml")][:1]
    catalog.write_bytes(catalog.read_bytes() + b"\n# \xfe\n")
    error = one_line(cli("models"))
    assert str(catalog) in error and "not UTF-8 text" in error
