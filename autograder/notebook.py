"""Notebooks as plain JSON: read them defensively, find question cells, strip solutions."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["NotebookError", "Cell", "read_notebook", "write_notebook", "code_cells", "strip_solutions", "tagged_questions",
           "solution_lines", "QUESTION_TAG", "SKIP_TAG"]

QUESTION_TAG = "question:"
SKIP_TAG = "skip-grading"
MAX_NOTEBOOK_BYTES = 50 * 2**20
_BEGIN = re.compile(r"^(\s*)### BEGIN SOLUTION\s*$")
_END = re.compile(r"^\s*### END SOLUTION\s*$")
_MAGIC = re.compile(r"^(\s*)(?=[%!])")


class NotebookError(ValueError):
    """The file is not a notebook the grader can read; the message says why in a student's terms."""


@dataclass(frozen=True)
class Cell:
    """A code cell the grader runs: its 1-based position among all cells and the questions it is tagged with."""

    number: int
    source: str
    questions: tuple[str, ...]


def read_notebook(path: str | Path) -> dict[str, Any]:
    """Parse a notebook file, raising NotebookError for an empty, huge or malformed file."""
    path = Path(path)
    size = path.stat().st_size
    if size == 0:
        raise NotebookError("the notebook file is empty (0 bytes): was it saved?")
    if size > MAX_NOTEBOOK_BYTES:
        raise NotebookError(f"the notebook file is {size / 2**20:.0f} MiB, more than the {MAX_NOTEBOOK_BYTES // 2**20} MiB allowed")
    try:
        notebook = json.loads(path.read_bytes())
    except (ValueError, UnicodeDecodeError) as error:
        raise NotebookError(f"the file is not a valid notebook (invalid JSON: {error})") from None
    if not isinstance(notebook, dict) or not isinstance(notebook.get("cells"), list):
        raise NotebookError("the file is JSON but not a notebook (it has no list of cells)")
    for cell in notebook["cells"]:
        if not isinstance(cell, dict) or not isinstance(_source(cell), str):
            raise NotebookError("the notebook has a malformed cell")
    return notebook


def write_notebook(notebook: dict[str, Any], path: str | Path) -> None:
    """Write in the layout Jupyter itself uses (one-space indent), so diffs stay small."""
    Path(path).write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def _source(cell: dict[str, Any]) -> Any:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) and all(isinstance(s, str) for s in source) else source


def _tags(cell: dict[str, Any]) -> list[str]:
    metadata = cell.get("metadata")
    tags = metadata.get("tags", []) if isinstance(metadata, dict) else []
    return [t for t in tags if isinstance(t, str)] if isinstance(tags, list) else []


def tagged_questions(notebook: dict[str, Any]) -> set[str]:
    """Every question id some cell (code or markdown) is tagged with."""
    return {t.removeprefix(QUESTION_TAG) for cell in notebook["cells"] for t in _tags(cell) if t.startswith(QUESTION_TAG)}


def code_cells(notebook: dict[str, Any]) -> list[Cell]:
    """The code cells to run, in order, without skip-grading cells; magics and shell lines become ``pass``
    (at the same indentation, so the code stays valid and line numbers in tracebacks stay right)."""
    cells = []
    for number, cell in enumerate(notebook["cells"], start=1):
        tags = _tags(cell)
        if cell.get("cell_type") != "code" or SKIP_TAG in tags:
            continue
        source = _source(cell)
        if source.lstrip().startswith("%%"):
            continue  # a cell magic (%%time, %%bash) makes the whole cell something other than Python
        source = "\n".join(_MAGIC.sub(r"\1pass #", line) for line in source.split("\n"))
        questions = tuple(t.removeprefix(QUESTION_TAG) for t in tags if t.startswith(QUESTION_TAG))
        cells.append(Cell(number, source, questions))
    return cells


def strip_solutions(notebook: dict[str, Any]) -> dict[str, Any]:
    """A copy for students: solutions replaced, outputs and execution counts cleared."""
    stripped = json.loads(json.dumps(notebook))
    for cell in stripped["cells"]:
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
        placeholder = ["# YOUR CODE HERE", "raise NotImplementedError()"] if cell.get("cell_type") == "code" \
            else ["YOUR ANSWER HERE"]
        lines, inside = [], False
        for line in _source(cell).split("\n"):
            begin = _BEGIN.match(line)
            if begin:
                inside = True
                lines += [begin.group(1) + p for p in placeholder]
            elif _END.match(line):
                inside = False
            elif not inside:
                lines.append(line)
        if inside:
            raise ValueError(f"notebook: a cell has '### BEGIN SOLUTION' without '### END SOLUTION':\n{_source(cell)}")
        cell["source"] = "\n".join(lines)
    return stripped


def solution_lines(notebook: dict[str, Any]) -> list[str]:
    """The non-blank lines between solution markers (release tests scan for these)."""
    found, inside = [], False
    for cell in notebook["cells"]:
        for line in _source(cell).split("\n"):
            if _BEGIN.match(line):
                inside = True
            elif _END.match(line):
                inside = False
            elif inside and line.strip():
                found.append(line.strip())
    return found
