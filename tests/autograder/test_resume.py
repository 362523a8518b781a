"""A grader killed half-way loses nothing it wrote; re-running grades only what is missing or changed."""

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from autograder.config import load_assignment
from autograder.grade import grade

TOY = Path(__file__).parent / "fixtures" / "toy"
STUDENTS = [f"student{i}" for i in range(6)]


def test_killed_grader_resumes_and_skips_what_is_graded(tmp_path):
    notebook = json.loads((TOY / "toy.ipynb").read_text())
    notebook["cells"].append({"cell_type": "code", "metadata": {}, "outputs": [],
                              "source": "import time\ntime.sleep(0.5)"})
    subs, out = tmp_path / "subs", tmp_path / "out"
    subs.mkdir()
    for student in STUDENTS:
        (subs / f"{student}.ipynb").write_text(json.dumps(notebook))

    grader = subprocess.Popen([sys.executable, "-m", "autograder", "grade", str(TOY), str(subs), "--out", str(out),
                               "--jobs", "1", "--no-progress"], start_new_session=True,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while len(list((out / "results").glob("*.json"))) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(grader.pid, signal.SIGKILL)
    grader.wait()
    written = {p.stem: p.stat().st_mtime_ns for p in (out / "results").glob("*.json")}
    assert 2 <= len(written) < len(STUDENTS)

    summary = grade(TOY, subs, out, jobs=2, progress=False)
    assert summary.skipped == sorted(written)
    assert summary.graded == sorted(set(STUDENTS) - set(written)) and summary.failed == {}
    assert {p.stem: p.stat().st_mtime_ns for p in (out / "results").glob("*.json") if p.stem in written} == written
    with open(out / "gradebook.csv") as f:
        assert {row["student"]: row["total"] for row in csv.DictReader(f)} == {s: "5" for s in STUDENTS}

    (subs / "student0.ipynb").write_text((TOY.parent / "toy" / "toy.ipynb").read_text() + "\n")
    summary = grade(TOY, subs, out, jobs=1, progress=False)
    assert summary.graded == ["student0"] and len(summary.skipped) == len(STUDENTS) - 1


def test_changed_tests_are_loaded_again_in_the_same_process(tmp_path):
    """Regression: the grader cached tests by folder, so a second run in one process used the old tests and stored
    the stale result under the new tests' hash (never to be graded again)."""
    assignment, subs = tmp_path / "toy", tmp_path / "subs"
    shutil.copytree(TOY, assignment)
    subs.mkdir()
    shutil.copyfile(TOY / "toy.ipynb", subs / "student.ipynb")
    assert grade(assignment, subs, tmp_path / "out", jobs=1, progress=False).mean == 5
    hidden = assignment / "tests" / "hidden" / "test_q3_loop_sum.py"
    hidden.write_text(hidden.read_text() + "\n\ndef test_new(student):\n    assert False, 'a new check fails'\n")
    summary = grade(assignment, subs, tmp_path / "out", jobs=1, progress=False)
    assert summary.graded == ["student"]
    result = json.loads((tmp_path / "out" / "results" / "student.json").read_text())
    assert result["questions"]["q3_loop_sum"]["score"] == 2 * 3 / 4  # the new check counts
    assert result["assignment_hash"] == load_assignment(assignment).fingerprint()
