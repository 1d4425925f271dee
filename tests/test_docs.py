"""The documentation: the README stays a short front door whose commands are real, every relative link in the
README and docs/ resolves, the generated results pages match their records, and no page carries machine noise.

Fast and offline: the files are read as text, ``p2s``'s subcommands come from its argument parser, and the
results check runs ``python -m benchmarks.results_report --check`` in a subprocess.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import results_report
from pipeline.cli import build_parser

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"
DOCS = REPO / "docs"
MAX_README_LINES = 200

FENCE = re.compile(r"^```[^\n]*\n(.*?)^```", re.S | re.M)
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")
P2S_COMMAND = re.compile(r"(?<![\w./-])p2s ([a-z][a-z-]*)")
NOISE = ("/tmp/", "load average")
REPO_PATH = re.compile(r"`((?:pipeline|verifiers|hls|agents|benchmarks|tests|docker|docs)/[\w./-]*)`")


def doc_files() -> list[Path]:
    return [README, *sorted(DOCS.rglob("*.md"))]


def fenced_blocks(text: str) -> list[str]:
    return FENCE.findall(text)


def relative_links(text: str) -> list[str]:
    """Link targets that are not web addresses or in-page anchors."""
    return [t for t in LINK.findall(text) if not re.match(r"[a-z][a-z0-9+.-]*:", t) and not t.startswith("#")]


def slug(heading: str) -> str:
    """GitHub's anchor for a Markdown heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    text = FENCE.sub("", path.read_text(encoding="utf-8"))
    return {slug(m) for m in re.findall(r"^#{1,6} (.+)$", text, re.M)}


def broken_links(path: Path) -> list[str]:
    """The relative links of ``path`` whose file (or, within README/docs, whose heading) does not exist."""
    broken = []
    for target in relative_links(path.read_text(encoding="utf-8")):
        file_part, _, anchor = target.partition("#")
        dest = (path.parent / file_part).resolve()
        if not dest.exists():
            broken.append(target)
        elif anchor and dest.suffix == ".md" and dest in {p.resolve() for p in doc_files()} \
                and anchor not in anchors(dest):
            broken.append(target)
    return broken


def subcommands() -> set[str]:
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return set(action.choices)


# ============================================================================================ README


def test_readme_is_short():
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= MAX_README_LINES, f"README.md has {len(lines)} lines; move detail into docs/"


def test_readme_starts_with_the_two_commands():
    """The first fenced block holds `make demo`, then `make test`, as commands (each the first word of its line)."""
    blocks = fenced_blocks(README.read_text(encoding="utf-8"))
    assert blocks, "README.md has no fenced code block"
    commands = [line.split("#")[0].split() for line in blocks[0].splitlines()]
    commands = [c for c in commands if c]
    assert commands[:2] == [["make", "demo"], ["make", "test"]], blocks[0]


def test_readme_make_targets_exist():
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    for target in ("demo", "test"):
        assert re.search(rf"^{target}:", makefile, re.M), f"Makefile has no '{target}' target"


def test_every_p2s_subcommand_in_the_readme_is_real():
    mentioned = set(P2S_COMMAND.findall(README.read_text(encoding="utf-8")))
    assert mentioned, "the README mentions no p2s subcommand"
    assert mentioned <= subcommands(), f"not p2s subcommands: {sorted(mentioned - subcommands())}"


def test_the_readme_tours_every_subcommand():
    assert subcommands() <= set(P2S_COMMAND.findall(README.read_text(encoding="utf-8")))


def test_readme_task_example_is_the_task_file_in_full():
    text = README.read_text(encoding="utf-8")
    named = re.search(r"This is `([^`]+\.yaml)`, in full", text)
    assert named, "the README's task example names no task file"
    block = re.search(r"^```yaml\n(.*?)^```", text, re.S | re.M)
    assert block and block.group(1) == (REPO / named.group(1)).read_text(encoding="utf-8")


def test_readme_api_snippet_imports_real_names():
    """The Python example compiles, and every name it imports from ``pipeline.api`` is exported there."""
    import pipeline.api

    code = re.search(r"^```python\n(.*?)^```", README.read_text(encoding="utf-8"), re.S | re.M).group(1)
    compile(code, "README.md", "exec")
    imported = re.search(r"from pipeline\.api import ([\w, ]+)", code).group(1)
    names = {n.strip() for n in imported.split(",")}
    assert names <= set(pipeline.api.__all__), sorted(names - set(pipeline.api.__all__))


# ============================================================================================ README and docs


@pytest.mark.parametrize("path", doc_files(), ids=lambda p: str(p.relative_to(REPO)))
def test_relative_links_resolve(path):
    assert not broken_links(path), f"{path.relative_to(REPO)}: broken links {broken_links(path)}"


@pytest.mark.parametrize("path", doc_files(), ids=lambda p: str(p.relative_to(REPO)))
def test_no_machine_noise(path):
    bad = [f"{i}: {line.strip()}" for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
           if any(n in line.lower() for n in NOISE)]
    assert not bad, f"{path.relative_to(REPO)} mentions {NOISE}: {bad}"


@pytest.mark.parametrize("path", doc_files(), ids=lambda p: str(p.relative_to(REPO)))
def test_code_paths_exist(path):
    """Every `pipeline/...`, `hls/...`, ... path a page names in backticks exists (code that moves, moves here too)."""
    missing = sorted({p for p in REPO_PATH.findall(path.read_text(encoding="utf-8")) if not (REPO / p).exists()})
    assert not missing, f"{path.relative_to(REPO)} names paths that do not exist: {missing}"


def test_docs_index_lists_every_page():
    index = (DOCS / "index.md").read_text(encoding="utf-8")
    linked = {(DOCS / t.partition("#")[0]).resolve() for t in relative_links(index)}
    pages = {p.resolve() for p in DOCS.rglob("*.md")} - {(DOCS / "index.md").resolve()}
    assert not pages - linked, f"docs/index.md does not link {sorted(str(p) for p in pages - linked)}"


# ============================================================================================ the checks can fail


def test_link_and_noise_checks_catch_their_faults(tmp_path):
    page = tmp_path / "page.md"
    (tmp_path / "there.md").write_text("# Here it is\n")
    page.write_text("[ok](there.md) [ok too](there.md#here-it-is) [web](https://example.org) [gone](missing.md)\n")
    assert broken_links(page) == ["missing.md"]
    assert slug("Dafny 2.3's printout") == "dafny-23s-printout"
    assert P2S_COMMAND.findall("run `p2s bogus --x` and p2s run; not xp2s verify") == ["bogus", "run"]
    assert "bogus" not in subcommands() and "run" in subcommands()


# ============================================================================================ results pages


def test_results_pages_match_their_records():
    out = subprocess.run([sys.executable, "-m", "benchmarks.results_report", "--check"], cwd=REPO,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr


def test_results_check_reports_an_edited_page(tmp_path, capsys):
    pages = results_report.render()
    assert pages, "no record set under benchmarks/results gives a page"
    for name, text in pages.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
        assert results_report.MARK in text and "do not edit" in text
    assert results_report.main(["--check", "--docs", str(tmp_path)]) == 0
    first = sorted(pages)[0]
    (tmp_path / first).write_text(pages[first].replace("|", "!", 1), encoding="utf-8")
    (tmp_path / "stale.md").write_text(f"# Old\n\n{results_report.MARK} nothing; do not edit.\n", encoding="utf-8")
    assert results_report.main(["--check", "--docs", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert f"{first}: differs" in out and "stale.md: generated page that no record set makes" in out


def test_every_results_table_names_a_command_and_a_commit():
    for name, text in results_report.render().items():
        sections = re.split(r"^## ", text, flags=re.M)[1:]
        assert sections, name
        for section in sections:
            if "\n| " not in section:
                continue
            assert re.search(r"`(python|p2s) ", section) or "```bash" in section, (name, section[:80])
            assert re.search(r"commit `[0-9a-f]{7}`", section), (name, section[:80])


def test_the_formal_page_reads_each_verdict_from_the_stage_detail():
    verdict = results_report.formal_verdict
    assert verdict({"status": "pass", "detail": "proven: for every input ..."}) == "proven"
    assert verdict({"status": "pass", "detail": "bounded: for every input ..."}).startswith("bounded")
    assert verdict({"status": "fail", "detail": "counterexample: a=1: ..."}) == "counterexample"
    assert verdict({"status": "skipped", "detail": "unknown: yosys-smtbmc timed out"}).startswith("no verdict")
    not_modelled = verdict({"status": "skipped", "detail": "array results are not modelled"})
    assert not_modelled.endswith("not modelled by the harness")
    assert verdict(None).startswith("not reached")
