"""Every instructor solution in book/solutions/ runs and its assertions hold."""

from __future__ import annotations

import importlib.util
import inspect
import re
from pathlib import Path

import pytest

from .conftest import ROOT, toc_documents

SOLUTIONS = ROOT / "book" / "solutions"


def solution_files() -> list[Path]:
    return sorted(SOLUTIONS.glob("[0-9][0-9]_*.py"))


def load(path: Path):
    spec = importlib.util.spec_from_file_location(f"solutions_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def exercises(path: Path) -> list[tuple[str, object]]:
    return [(n, f) for n, f in inspect.getmembers(load(path), inspect.isfunction) if re.fullmatch(r"exercise_\d+", n)]


CASES = [(path, name) for path in solution_files() for name, _ in exercises(path)]


@pytest.mark.parametrize(("path", "name"), CASES, ids=[f"{p.stem}::{n}" for p, n in CASES])
def test_solution_runs(path: Path, name: str) -> None:
    func = dict(exercises(path))[name]
    assert (func.__doc__ or "").strip(), f"{path.name}: {name} has no written answer (docstring)"
    func()


def chapter_exercise_numbers(notebook: Path) -> set[int]:
    """Exercise numbers of a chapter: the numbered items under its 'Exercises' heading."""
    import json

    cells = json.loads(notebook.read_text())["cells"]
    text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    section = re.split(r"^#+\s*Exercises\s*$", text, flags=re.M)
    if len(section) < 2:
        return set()
    body = re.split(r"^#+\s", section[1], maxsplit=1, flags=re.M)[0]
    return {int(m) for m in re.findall(r"^(\d+)\.\s", body, flags=re.M)}


@pytest.mark.parametrize("doc", [d for d in toc_documents() if (ROOT / f"{d}.ipynb").exists()])
def test_every_exercise_has_a_solution(doc: str) -> None:
    notebook = ROOT / f"{doc}.ipynb"
    numbers = chapter_exercise_numbers(notebook)
    assert numbers, f"{doc}: no numbered exercises found under an 'Exercises' heading"
    chapter = notebook.parent.name  # e.g. 05_pooling
    path = SOLUTIONS / f"{chapter}.py"
    assert path.exists(), f"{doc}: no instructor solutions at {path.relative_to(ROOT)}"
    solved = {int(n.split("_")[1]) for n, _ in exercises(path)}
    assert numbers <= solved, f"{doc}: exercises {sorted(numbers - solved)} have no solution in {path.name}"
