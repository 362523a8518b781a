"""Release strips solutions and hidden tests; check prints public results; config and notebook parsing."""

import json
import os
import shutil
from pathlib import Path

import pytest

from autograder.__main__ import main
from autograder.config import load_assignment
from autograder.notebook import code_cells, read_notebook, solution_lines, strip_solutions

TOY = Path(__file__).parent / "fixtures" / "toy"


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    out = tmp_path_factory.mktemp("released")
    assert main(["release", str(TOY), "--out", str(out)]) == 0
    return out


def test_release_has_no_solution_and_no_hidden_test(released):
    secrets = solution_lines(read_notebook(TOY / "toy.ipynb"))
    hidden = [line.strip() for p in (TOY / "tests" / "hidden").glob("*.py") for line in p.read_text().splitlines()
              if len(line.strip()) > 12 and not line.strip().startswith(("import", "def test_", "student."))]
    assert len(secrets) == 4 and len(hidden) > 5
    files = [p for p in released.rglob("*") if p.is_file()]
    assert sorted(p.relative_to(released).as_posix() for p in files) == [
        "assignment.toml", "tests/public/test_q1_add.py", "tests/public/test_q2_sigmoid.py",
        "tests/public/test_q3_loop_sum.py", "toy.ipynb"]
    text = "\n".join(p.read_text() for p in files)
    leaked = [s for s in secrets + hidden if s in text]
    assert leaked == []
    assert "HIDDEN-CHECK-TEXT" not in text


def test_released_notebook_has_placeholders_and_no_outputs(released):
    notebook = json.loads((released / "toy.ipynb").read_text())
    sources = ["".join(c["source"]) for c in notebook["cells"]]
    assert sum("    # YOUR CODE HERE\n    raise NotImplementedError()" in s for s in sources) == 3
    assert all(c.get("outputs", []) == [] for c in notebook["cells"])


def test_blank_notebook_scores_zero_and_check_reports_failures(released, capsys):
    assert main(["check", str(released / "toy.ipynb")]) == 1
    out = capsys.readouterr().out
    assert "q1_add (Add two arrays): FAILED (0/1 checks)" in out
    assert "your code raised NotImplementedError" in out


def test_check_passes_the_instructor_notebook(capsys):
    assert main(["check", str(TOY / "toy.ipynb")]) == 0
    out = capsys.readouterr().out
    assert [line.split(": ")[1] for line in out.splitlines()[1:]] == ["passed (1/1 checks)"] * 3


def test_check_function_in_a_notebook_folder(released, monkeypatch, capsys):
    from autograder import check

    monkeypatch.chdir(released)
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    assert check() is False
    assert "q3_loop_sum (A sum with a loop): FAILED" in capsys.readouterr().out


def test_check_exit_code_for_a_missing_notebook(capsys):
    assert main(["check", str(TOY / "nope.ipynb")]) == 2
    assert "no such notebook file" in capsys.readouterr().err


def test_whole_submission_timeout_stops_a_slow_notebook(tmp_path):
    from autograder.check import check_notebook

    shutil.copytree(TOY, tmp_path / "toy")
    toml = tmp_path / "toy" / "assignment.toml"
    toml.write_text(toml.read_text().replace("timeout = 30", "timeout = 4"))
    notebook = json.loads((TOY / "toy.ipynb").read_text())
    for _ in range(2):  # each cell is under call_timeout (3 s); together they exceed the submission's 4 s
        notebook["cells"].insert(2, {"cell_type": "code", "metadata": {}, "outputs": [],
                                     "source": "import time\ntime.sleep(2.5)"})
    (tmp_path / "toy" / "toy.ipynb").write_text(json.dumps(notebook))
    result = check_notebook(tmp_path / "toy" / "toy.ipynb")
    assert result.total == 0 and not result.all_passed
    assert ('the submission used all of its 4 s while running the notebook (cell "import time" at the top)'
            in result.problems)
    assert result.questions["q1_add"].checks[0].message == "not run: the submission used all of its 4 s"


def test_strip_solutions_keeps_indentation_and_rejects_unclosed_markers():
    cell = {"cell_type": "code", "source": "def f():\n        ### BEGIN SOLUTION\n        return 1\n        ### END SOLUTION\n",
            "outputs": [1], "metadata": {}}
    stripped = strip_solutions({"cells": [cell]})["cells"][0]
    assert stripped["source"] == "def f():\n        # YOUR CODE HERE\n        raise NotImplementedError()\n"
    assert stripped["outputs"] == []
    with pytest.raises(ValueError, match="without '### END SOLUTION'"):
        strip_solutions({"cells": [{"cell_type": "code", "source": "### BEGIN SOLUTION\nx = 1"}]})


def test_magics_become_pass_and_skip_cells_are_dropped():
    notebook = {"cells": [{"cell_type": "code", "source": "if True:\n    !ls\n%time x = 1", "metadata": {}},
                          {"cell_type": "code", "source": "print(1)", "metadata": {"tags": ["skip-grading"]}},
                          {"cell_type": "code", "source": "%%bash\nls", "metadata": {}}]}
    (cell,) = code_cells(notebook)
    assert cell.source == "if True:\n    pass #!ls\npass #%time x = 1" and cell.number == 1


def test_bad_assignment_toml_names_the_problem(tmp_path):
    shutil.copytree(TOY, tmp_path / "toy")
    toml = tmp_path / "toy" / "assignment.toml"
    toml.write_text(toml.read_text().replace('id = "q1_add"', 'id = "Q1 add"'))
    with pytest.raises(ValueError, match=r"question id must match \[a-z0-9_\]\+, got 'Q1 add'"):
        load_assignment(tmp_path / "toy")


@pytest.mark.skipif(os.geteuid() != 0, reason="the fallback refuses only when the grader runs as root")
def test_sandbox_fails_closed_as_root_when_python_is_private(monkeypatch):
    from autograder import sandbox
    from autograder.check import check_notebook
    from autograder.sandbox import _private_ancestors, _python_paths

    if not _private_ancestors(_python_paths()):
        pytest.skip("Python is readable by every user here, so the fallback may run it unprivileged")
    monkeypatch.setattr(sandbox, "USE_NAMESPACES", False)
    result = check_notebook(TOY / "toy.ipynb")
    assert result.total == 0
    assert "not run: the sandbox could not start: cannot run student code as an unprivileged uid" in result.problems[0]


def test_grade_refuses_a_broken_test_file(tmp_path, capsys):
    shutil.copytree(TOY, tmp_path / "toy")
    (tmp_path / "toy" / "tests" / "hidden" / "test_q1_add.py").write_text("import numpy_not_installed\n")
    (tmp_path / "subs").mkdir()
    assert main(["grade", str(tmp_path / "toy"), str(tmp_path / "subs"), "--out", str(tmp_path / "out")]) == 2
    assert "test_q1_add.py: the test file does not load: ModuleNotFoundError" in capsys.readouterr().err


@pytest.mark.parametrize("source, line, what", [
    ("def f():\n    ### BEGIN SOLUTION\n    a = 1\n    ### BEGIN SOLUTION\n    b = 2\n    ### END SOLUTION\n"
     "    secret = 3\n    ### END SOLUTION\n", 4, "inside the solution block opened on line 2"),
    ("def f():\n    return 1\n    ### END SOLUTION\n", 3, "'### END SOLUTION' without a '### BEGIN SOLUTION'"),
    ("def f():\n    ### BEGIN SOLUTION\n    return 1\n", 2, "without '### END SOLUTION'"),
])
def test_release_refuses_nested_or_unmatched_markers(tmp_path, capsys, source, line, what):
    """Regression: nested markers released the lines between the inner and the outer END (``secret = 3``)."""
    shutil.copytree(TOY, tmp_path / "toy")
    notebook = json.loads((TOY / "toy.ipynb").read_text())
    notebook["cells"][5]["source"] = source  # the q2_sigmoid cell
    (tmp_path / "toy" / "toy.ipynb").write_text(json.dumps(notebook))
    assert main(["release", str(tmp_path / "toy"), "--out", str(tmp_path / "out")]) == 2
    error = capsys.readouterr().err
    assert f'q2_sigmoid cell "def f():", line {line}: ' in error and what in error
    assert not (tmp_path / "out" / "toy.ipynb").exists()
    with pytest.raises(ValueError, match=f"line {line}"):
        solution_lines(notebook)


def test_check_text_keeps_multi_line_messages_under_their_check(tmp_path):
    from autograder.report import check_text
    from autograder.results import CheckResult, GradingResult, QuestionResult

    failed = CheckResult("values", False, False, "first line\nsecond line")
    result = GradingResult("nb.ipynb", {"q1": QuestionResult("Q", 1.0, 0.0, [failed])})
    assert not result.all_passed
    assert check_text(result).endswith("  - values: first line\n    second line")
