"""The instructor's path through the command line: progress and summary, the rubric column of manually graded
questions (merged without regrading), exports for Canvas and Moodle, and the assignment.toml keys they rely on."""

import csv
import dataclasses
import json
import shutil
from pathlib import Path

import pytest

from autograder.__main__ import main
from autograder.config import load_assignment
from autograder.notebook import code_cells, read_notebook
from autograder.runner import Session
from autograder.testing import Student

TOY = Path(__file__).parent / "fixtures" / "toy"
ESSAY = '''
[[questions]]
id = "q4_essay"
title = "Explain the sigmoid"
points = 2
manual = true
rubric = [
    { id = "shape", points = 1, criterion = "describes the S shape" },
    { id = "range", points = 1, criterion = "says the values lie between 0 and 1" },
]
'''


def rows(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


@pytest.fixture()
def toy_class(tmp_path):
    """The toy with a manual question q4_essay (a tagged markdown cell), and two students' copies of its solution."""
    assignment = tmp_path / "toy"
    shutil.copytree(TOY, assignment)
    (assignment / "assignment.toml").write_text((assignment / "assignment.toml").read_text() + ESSAY)
    notebook = json.loads((assignment / "toy.ipynb").read_text())
    notebook["cells"].append({"cell_type": "markdown", "metadata": {"tags": ["question:q4_essay"]},
                              "source": "The sigmoid is an S-shaped curve."})
    (assignment / "toy.ipynb").write_text(json.dumps(notebook))
    (tmp_path / "subs").mkdir()
    for student in ("alice", "bob"):
        (tmp_path / "subs" / f"{student}.ipynb").write_text(json.dumps(notebook))
    return assignment, tmp_path / "subs", tmp_path / "out"


def test_grade_shows_progress_ends_with_the_summary_and_exports(tmp_path, capsys):
    out, subs = tmp_path / "out", tmp_path / "subs"
    subs.mkdir()
    for student in ("alice", "bob"):
        shutil.copyfile(TOY / "toy.ipynb", subs / f"{student}.ipynb")
    code = main(["grade", str(TOY), str(subs), "--out", str(out), "--jobs", "1", "--export", "canvas",
                 "--export", "moodle"])
    printed = capsys.readouterr()
    assert code == 0
    assert "grading: 100%" in printed.err and "2/2" in printed.err  # tqdm's bar on stderr
    lines = printed.out.strip().split("\n")
    assert lines[0] == "# Grading summary (2 submissions)"
    assert "Total: mean 5.00 / 5, standard deviation 0.00, min 5, max 5" in printed.out
    assert lines[-3:] == ["graded 2, skipped 0 already graded and unchanged", f"wrote {out / 'gradebook_canvas.csv'}",
                          f"wrote {out / 'gradebook_moodle.csv'}"]
    canvas = rows(out / "gradebook_canvas.csv")
    assert canvas[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Toy NumPy warm-up"]
    assert canvas[1] == ["Points Possible", "", "", "", "", "5"]
    assert canvas[2:] == [["", "", "", "alice", "", "5"], ["", "", "", "bob", "", "5"]]
    assert rows(out / "gradebook_moodle.csv") == [["Username", "Toy NumPy warm-up", "Feedback"],
                                                  ["alice", "5", "5 of 5 points"], ["bob", "5", "5 of 5 points"]]


def test_export_command_per_format_and_identifier(tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    assert main(["export", str(TOY), str(out), "--format", "canvas"]) == 2
    assert "no gradebook at" in capsys.readouterr().err
    (out / "gradebook.csv").write_text("student,q1_add,q2_sigmoid,q3_loop_sum,total\ncarol,1,0.5,2,3.5\n")
    assert main(["export", str(TOY), str(out), "--format", "moodle", "--id-column", "email"]) == 0
    assert rows(out / "gradebook_moodle.csv") == [["Email address", "Toy NumPy warm-up", "Feedback"],
                                                  ["carol", "3.5", "3.5 of 5 points"]]
    assert main(["export", str(TOY), str(out), "--format", "canvas", "--id-column", "sis_user_id"]) == 0
    assert rows(out / "gradebook_canvas.csv")[2] == ["", "", "carol", "", "", "3.5"]
    assert main(["export", str(TOY), str(out), "--format", "canvas", "--id-column", "email"]) == 2
    assert "id_column must be one of" in capsys.readouterr().err


def test_rubric_column_is_merged_on_the_next_run_without_regrading(toy_class, capsys):
    assignment, subs, out = toy_class
    assert main(["grade", str(assignment), str(subs), "--out", str(out), "--jobs", "1", "--no-progress"]) == 0
    # Before the instructor scores it: an empty column, totals without it, a blank rubric.csv to fill in.
    assert rows(out / "gradebook.csv") == [["student", "q1_add", "q2_sigmoid", "q3_loop_sum", "q4_essay", "total"],
                                           ["alice", "1", "2", "2", "", "5"], ["bob", "1", "2", "2", "", "5"]]
    assert rows(out / "rubric.csv") == [["student", "q4_essay:shape", "q4_essay:range", "q4_essay:comment"],
                                        ["alice", "", "", ""], ["bob", "", "", ""]]
    assert "q4_essay: Explain the sigmoid (not graded yet / 2)" in (out / "feedback" / "alice.md").read_text()
    assert "Graded by the instructor in rubric.csv: q4_essay (not graded yet for 2 of 2)" in capsys.readouterr().out
    results = {p: p.stat().st_mtime_ns for p in (out / "results").iterdir()}

    (out / "rubric.csv").write_text("student,q4_essay:shape,q4_essay:range,q4_essay:comment\n"
                                    'alice,1,0.5,"the range is right, the shape is not explained"\nbob,1,,\n')
    assert main(["grade", str(assignment), str(subs), "--out", str(out), "--jobs", "1", "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert "graded 0, skipped 2 already graded and unchanged" in printed  # no notebook was run again
    assert {p: p.stat().st_mtime_ns for p in (out / "results").iterdir()} == results
    assert rows(out / "gradebook.csv")[1:] == [["alice", "1", "2", "2", "1.5", "6.5"], ["bob", "1", "2", "2", "", "5"]]
    assert "q4_essay (not graded yet for 1 of 2)" in printed
    feedback = (out / "feedback" / "alice.md").read_text()
    assert "**Total: 6.5 / 7**" in feedback and "## q4_essay: Explain the sigmoid (1.5 / 2)" in feedback
    assert "- range: 0.5" in feedback and "- comment: the range is right, the shape is not explained" in feedback
    summary = json.loads((out / "summary.json").read_text())
    assert summary["questions"]["q4_essay"]["not_graded"] == 1 and summary["mean"] == 5.75


@pytest.mark.parametrize("text, message", [
    ("student,q4_essay:shape,q4_essay:range\nalice,2,1\n", "row alice, column q4_essay:shape: expected points from 0 to 1, got '2'"),
    ("student,q4_essay:shape,q4_essay:range\nalice,one,1\n", "expected points from 0 to 1, got 'one'"),
    ("student,q4_essay:shap,q4_essay:range\nalice,1,1\n", "unknown: q4_essay:shap"),
    ("student,q4_essay:shape,q4_essay:range\nalice,1,1\nalice,0,0\n", "student 'alice' is listed twice"),
])
def test_a_bad_rubric_is_refused_with_its_row_and_column(toy_class, capsys, text, message):
    assignment, subs, out = toy_class
    out.mkdir()
    (out / "rubric.csv").write_text(text)
    assert main(["grade", str(assignment), str(subs), "--out", str(out), "--jobs", "1", "--no-progress"]) == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize("question, message", [
    ('id = "q9"\npoints = 2\nmanual = true\nrubric = [{ id = "a", points = 1 }]',
     "the rubric's points add up to 1, not the question's 2"),
    ('id = "q9"\nrubric = [{ id = "a", points = 1 }]', "a rubric needs manual = true"),
    ('id = "q9"\nweights = "../w.npz"', "weights must be a file name ending in .npz"),
    ('id = "q9"\ntimeout = -1', "question q9: timeout must be a positive number"),
    ('id = "q1_add"\nmanual = true', "tests 'q1_add', which is graded by the instructor"),
])
def test_question_keys_are_checked(tmp_path, question, message):
    shutil.copytree(TOY, tmp_path / "toy")
    toml = tmp_path / "toy" / "assignment.toml"
    text = toml.read_text().replace('[[questions]]\nid = "q1_add"\ntitle = "Add two arrays"\npoints = 1\n', "")
    toml.write_text(text + "\n[[questions]]\n" + question + "\n" + ('' if "q1_add" in question else
                                                                     '[[questions]]\nid = "q1_add"\n'))
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.")):
        load_assignment(tmp_path / "toy")


@pytest.mark.parametrize("allow_gpu", [False, True])
def test_the_sandbox_sees_a_gpu_only_when_the_assignment_allows_it(monkeypatch, allow_gpu):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0")  # as on a grading machine with a GPU
    assignment = dataclasses.replace(load_assignment(TOY), allow_gpu=allow_gpu)
    cells = [c for c in code_cells(read_notebook(TOY / "toy.ipynb")) if "check()" not in c.source]
    cells.append(dataclasses.replace(cells[0], number=99, source="import os\ngpus = os.environ.get('CUDA_VISIBLE_DEVICES')"))
    session = Session(assignment, cells, [])
    try:
        assert Student(session).gpus == ("0" if allow_gpu else "")
    finally:
        session.close()


def test_the_a4_rubric_format_is_read_as_its_readme_shows(tmp_path):
    """A4 (assignments/a4_training_tricks) grades q8_experiment by rubric: the README's example file merges as expected."""
    from autograder.rubric import read_rubric, rubric_columns

    a4 = load_assignment(Path(__file__).parents[2] / "assignments" / "a4_training_tricks")
    criteria = ["runs", "plot", "conclusion", "explanation"]
    assert rubric_columns(a4) == [f"q8_experiment:{c}" for c in criteria] + ["q8_experiment:comment"]
    readme = (a4.root / "README.md").read_text(encoding="utf-8")
    example = readme.split("```csv\n")[1].split("```")[0]
    (tmp_path / "rubric.csv").write_text(example, encoding="utf-8")
    scores = read_rubric(tmp_path / "rubric.csv", a4)
    assert {s: v["q8_experiment"].score for s, v in scores.items()} == {"alice": 3.5, "bob": 3.0, "carol": None}
    assert scores["alice"]["q8_experiment"].comment.startswith("the spread is reported")


def test_check_names_a_manual_question_without_failing_it():
    from autograder.report import check_text
    from autograder.results import CheckResult, GradingResult, QuestionResult

    result = GradingResult("a4.ipynb", {
        "q1": QuestionResult("Sum", 1, 1.0, [CheckResult("sum works", False, True)]),
        "q8": QuestionResult("Experiment", 4, 0.0, [], manual=True, graded=False)})
    lines = check_text(result).split("\n")
    assert lines[1:] == ["q1 (Sum): passed (1/1 checks)", "q8 (Experiment): graded by your instructor, not by checks"]
    assert result.all_passed
