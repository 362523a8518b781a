"""The chapters as `make book` executed them: every code cell ran, none raised, and the executed copy is
the current source. Chapters are not executed again here (each runs once per `make test`); their worked
examples `assert` their values, so a wrong value fails the build and shows up here as a missing copy."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import ROOT, toc_documents

EXECUTED = ROOT / "_build" / "jupyter_execute"
CHAPTERS = [d for d in toc_documents() if (ROOT / f"{d}.ipynb").exists()]


def code_cells(path: Path) -> list[dict]:
    return [c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"]


def source(cell: dict) -> str:
    text = cell["source"]
    return text if isinstance(text, str) else "".join(text)


@pytest.mark.parametrize("doc", CHAPTERS)
def test_chapter_was_executed_without_errors(doc: str, built_book: Path) -> None:
    executed = EXECUTED / f"{doc}.ipynb"
    assert executed.exists(), f"{doc}: no executed copy in {EXECUTED.relative_to(ROOT)}; did `make book` execute it?"
    ran, original = code_cells(executed), code_cells(ROOT / f"{doc}.ipynb")
    assert [source(c) for c in ran] == [source(c) for c in original], f"{doc}: the executed copy is out of date"
    for i, cell in enumerate(ran):
        if not source(cell).strip():
            continue
        assert cell.get("execution_count") is not None, f"{doc}: code cell {i} was not executed"
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        assert not errors, f"{doc}: code cell {i} raised {errors[0].get('ename')}: {errors[0].get('evalue')}"


def test_every_chapter_is_in_the_toc() -> None:
    """A chapter notebook that the table of contents does not list would never be executed or tested."""
    listed = {ROOT / f"{d}.ipynb" for d in CHAPTERS}
    notebooks = {p for p in (ROOT / "book").rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts}
    assert notebooks <= listed, f"chapters missing from _toc.yml: {sorted(str(p) for p in notebooks - listed)}"
