"""Make the student version of an assignment: no solutions, no hidden tests, no outputs."""

from __future__ import annotations

import shutil
from pathlib import Path

from autograder.config import load_assignment
from autograder.notebook import read_notebook, strip_solutions, tagged_questions, write_notebook

__all__ = ["release"]


def release(assignment_dir: str | Path, out: str | Path) -> Path:
    """Write the student notebook, assignment.toml, tests/public and the assignment's data ``files`` into out;
    return the notebook's path.

    Raises ValueError if the source notebook lacks a question's tagged cell or has unbalanced solution markers.
    """
    assignment = load_assignment(assignment_dir)
    notebook = read_notebook(assignment.source_notebook)
    missing = [q for q in assignment.question_ids if q not in tagged_questions(notebook)]
    if missing:
        raise ValueError(f"{assignment.source_notebook}: no cell is tagged question:<id> for {missing}")
    out = Path(out)
    (out / "tests" / "public").mkdir(parents=True, exist_ok=True)
    target = out / assignment.notebook
    write_notebook(strip_solutions(notebook), target)
    shutil.copyfile(assignment.root / "assignment.toml", out / "assignment.toml")
    for test in assignment.test_files(hidden=False):
        shutil.copyfile(test, out / "tests" / "public" / test.name)
    for path in assignment.file_paths():  # beside the notebook, where its cells open them (np.load("weights.npz"))
        shutil.copyfile(path, out / path.name)
    return target
