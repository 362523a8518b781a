"""The course's assignments, graded by the autograder as a class would be.

For each folder under assignments/: the instructor's notebook earns full marks on every public and hidden
check; the released blank notebook fails every check (so no check passes on code that does nothing); the
folder follows docs/assignment-format.md; and the source notebook runs top to bottom in a Jupyter kernel.
"""

import json
import shutil
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from autograder import grade, load_assignment, release
from autograder.notebook import read_notebook, tagged_questions

ROOT = Path(__file__).resolve().parent.parent
ASSIGNMENTS = sorted(p.parent for p in (ROOT / "assignments").glob("*/assignment.toml"))


@pytest.fixture(scope="module", params=ASSIGNMENTS, ids=lambda p: p.name)
def graded(request, tmp_path_factory):
    """Grade two submissions in one run: the instructor's notebook and the released blank one."""
    assignment = load_assignment(request.param)
    tmp = tmp_path_factory.mktemp(request.param.name)
    submissions = tmp / "submissions"
    submissions.mkdir()
    shutil.copyfile(assignment.source_notebook, submissions / "solution.ipynb")
    shutil.copyfile(release(assignment.root, tmp / "released"), submissions / "blank.ipynb")
    summary = grade(assignment.root, submissions, tmp / "out", jobs=1, progress=False)
    assert summary["failed"] == {}, f"the grader itself failed: {summary['failed']}"
    return {s: json.loads((tmp / "out" / "results" / f"{s}.json").read_text()) for s in ("solution", "blank")}


def checks_of(result):
    return [(q, c) for q, record in result["questions"].items() for c in record["checks"]]


@pytest.mark.parametrize("root", ASSIGNMENTS, ids=lambda p: p.name)
def test_assignment_follows_the_format(root):
    assignment = load_assignment(root)
    points = [q.points for q in assignment.questions]
    assert len(points) >= 5 and all(p == int(p) and p > 0 for p in points) and 20 <= sum(points) <= 30
    for question in assignment.question_ids:
        for kind in ("public", "hidden"):
            assert (root / "tests" / kind / f"test_{question}.py").is_file(), f"{question} has no {kind} tests"
    notebook = read_notebook(assignment.source_notebook)
    assert tagged_questions(notebook) == set(assignment.question_ids)
    assert all(not c.get("outputs") and c.get("execution_count") is None
               for c in notebook["cells"] if c["cell_type"] == "code"), "commit the notebook without outputs"


def test_solutions_earn_full_marks(graded):
    result = graded["solution"]
    failed = [f"{q}: {c['name']} -> {c['message']}" for q, c in checks_of(result) if not c["passed"]]
    assert failed == [] and result["problems"] == []
    assert result["total"] == result["max_total"]


def test_blank_notebook_fails_every_check(graded):
    result = graded["blank"]
    passed = [f"{q}: {c['name']}" for q, c in checks_of(result) if c["passed"]]
    assert passed == [], "these checks pass on a notebook with no solutions, so they cannot catch anything"
    assert all("NotImplementedError" in c["message"] for _, c in checks_of(result))
    assert result["total"] == 0


@pytest.mark.parametrize("root", ASSIGNMENTS, ids=lambda p: p.name)
def test_source_notebook_runs_top_to_bottom(root, monkeypatch):
    notebook = nbformat.read(load_assignment(root).source_notebook, as_version=4)
    # The notebook's last cell, check(), does nothing under the grader's flag: the grading tests above run
    # every check already. Nothing is written back to the notebook.
    monkeypatch.setenv("AUTOGRADER_SANDBOX", "1")
    NotebookClient(notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(root)}}).execute()
    errors = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert errors == []
