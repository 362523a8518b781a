"""Notebooks as plain JSON: read them defensively, find question cells, strip solutions."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["NotebookError", "Cell", "read_notebook", "write_notebook", "code_cells", "strip_solutions",
           "tagged_questions", "solution_lines", "cell_labels", "QUESTION_TAG", "SKIP_TAG", "TRAINING_TAG"]

QUESTION_TAG = "question:"
SKIP_TAG = "skip-grading"
TRAINING_TAG = "training"  # trains a model: runs with its question's budget, skipped when weights are handed in
MAX_NOTEBOOK_BYTES = 50 * 2**20
_BEGIN = re.compile(r"^(\s*)### BEGIN SOLUTION\s*$")
_END = re.compile(r"^\s*### END SOLUTION\s*$")
_MAGIC = re.compile(r"^(\s*)(?=[%!])")
LABEL_CHARS = 60  # how much of a cell's first line names it in messages


class NotebookError(ValueError):
    """The file is not a notebook the grader can read; the message says why in a student's terms."""


@dataclass(frozen=True)
class Cell:
    """A code cell the grader runs: its 1-based position among all cells (an id, never shown to students), the
    questions it is tagged with, and its label as a JupyterLab user finds it (question and first line)."""

    number: int
    source: str
    questions: tuple[str, ...]
    label: str = ""
    training: bool = False  # tagged `training`


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


def _first_line(source: str) -> str:
    line = next((line.strip() for line in source.split("\n") if line.strip()), "")
    return line if len(line) <= LABEL_CHARS else line[:LABEL_CHARS - 1] + "…"


def cell_labels(notebook: dict[str, Any]) -> dict[int, str]:
    """Each cell's number -> how messages name it: the question it belongs to (or the question above it) and its
    first line, e.g. ``q4_im2col cell "def im2col(x, kh, kw, stride=1, padding=0):"``."""
    labels, above = {}, ""
    for number, cell in enumerate(notebook["cells"], start=1):
        questions = [t.removeprefix(QUESTION_TAG) for t in _tags(cell) if t.startswith(QUESTION_TAG)]
        first = _first_line(_source(cell)) if isinstance(_source(cell), str) else ""
        if questions:
            labels[number] = f'{"/".join(questions)} cell "{first}"'
            above = questions[-1]
        else:
            labels[number] = f'cell "{first}" ' + (f"below {above}" if above else "at the top")
    return labels


def tagged_questions(notebook: dict[str, Any]) -> set[str]:
    """Every question id some cell (code or markdown) is tagged with."""
    return {t.removeprefix(QUESTION_TAG) for cell in notebook["cells"] for t in _tags(cell) if t.startswith(QUESTION_TAG)}


def code_cells(notebook: dict[str, Any]) -> list[Cell]:
    """The code cells to run, in order, without skip-grading cells; magics and shell lines become ``pass``
    (at the same indentation, so the code stays valid and line numbers in tracebacks stay right)."""
    cells, labels = [], cell_labels(notebook)
    for number, cell in enumerate(notebook["cells"], start=1):
        tags = _tags(cell)
        if cell.get("cell_type") != "code" or SKIP_TAG in tags:
            continue
        source = _source(cell)
        if source.lstrip().startswith("%%"):
            continue  # a cell magic (%%time, %%bash) makes the whole cell something other than Python
        source = "\n".join(_MAGIC.sub(r"\1pass #", line) for line in source.split("\n"))
        questions = tuple(t.removeprefix(QUESTION_TAG) for t in tags if t.startswith(QUESTION_TAG))
        cells.append(Cell(number, source, questions, labels[number], TRAINING_TAG in tags))
    return cells


def _solution_blocks(source: str, label: str) -> list[tuple[int, int]]:
    """(begin, end) 0-based line indices of each solution block; NotebookError for nested or unmatched markers,
    naming the cell and the line (as nbgrader does), because stripping them would release solution lines."""
    blocks, begin = [], None
    for index, line in enumerate(source.split("\n")):
        if _BEGIN.match(line):
            if begin is not None:
                raise NotebookError(f"{label}, line {index + 1}: '### BEGIN SOLUTION' inside the solution block "
                                    f"opened on line {begin + 1} (solution blocks cannot nest)")
            begin = index
        elif _END.match(line):
            if begin is None:
                raise NotebookError(f"{label}, line {index + 1}: '### END SOLUTION' without a '### BEGIN SOLUTION' "
                                    "above it")
            blocks.append((begin, index))
            begin = None
    if begin is not None:
        raise NotebookError(f"{label}, line {begin + 1}: '### BEGIN SOLUTION' without '### END SOLUTION'")
    return blocks


def strip_solutions(notebook: dict[str, Any]) -> dict[str, Any]:
    """A copy for students: solutions replaced, outputs and execution counts cleared.

    Raises NotebookError naming the cell and line of a nested or unmatched solution marker."""
    stripped = json.loads(json.dumps(notebook))
    labels = cell_labels(stripped)
    for number, cell in enumerate(stripped["cells"], start=1):
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
        placeholder = ["# YOUR CODE HERE", "raise NotImplementedError()"] if cell.get("cell_type") == "code" \
            else ["YOUR ANSWER HERE"]
        lines = _source(cell).split("\n")
        for begin, end in reversed(_solution_blocks(_source(cell), labels[number])):
            indent = _BEGIN.match(lines[begin]).group(1)
            lines[begin:end + 1] = [indent + p for p in placeholder]
        cell["source"] = "\n".join(lines)
    return stripped


def solution_lines(notebook: dict[str, Any]) -> list[str]:
    """The non-blank lines between solution markers (release tests scan for these)."""
    found, labels = [], cell_labels(notebook)
    for number, cell in enumerate(notebook["cells"], start=1):
        lines = _source(cell).split("\n")
        for begin, end in _solution_blocks(_source(cell), labels[number]):
            found += [line.strip() for line in lines[begin + 1:end] if line.strip()]
    return found
