"""Data files an assignment ships with its notebook (`files` in assignment.toml): checked when the assignment is read,
released beside the student notebook, copied into the working folder of the student's process before any cell runs
(also after a restart), found by `check` in a released folder, carried to Dask workers, and part of the fingerprint."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from autograder import check_notebook, grade, load_assignment, release
from autograder.cluster import pack_assignment, unpack_assignment

TOY_FILES = Path(__file__).parent / "fixtures" / "toy_files"


def copy_of_toy(tmp_path, toml_line=None):
    """A copy of the fixture, with its `files = ...` line replaced by toml_line if given."""
    root = shutil.copytree(TOY_FILES, tmp_path / "toy_files")
    if toml_line is not None:
        toml = (root / "assignment.toml").read_text()
        (root / "assignment.toml").write_text(toml.replace('files = ["table.npz", "greeting.txt"]', toml_line))
    return root


def graded(root, submissions, out):
    summary = grade(root, submissions, out, jobs=1, progress=False)
    assert summary.failed == {}
    return summary, {p.stem: json.loads(p.read_text()) for p in (out / "results").glob("*.json")}


@pytest.mark.parametrize("line, message", [
    ('files = "table.npz"', "files must be a list of file names in the assignment's folder"),
    ('files = ["data/table.npz"]', "no folders"),
    ('files = ["../table.npz"]', "no folders"),
    ('files = [".hidden"]', "no folders"),
    ('files = ["table.npz", "table.npz"]', "must name each file once"),
    ('files = ["assignment.toml"]', "neither assignment.toml nor the notebook"),
    ('files = ["toy_files.ipynb"]', "neither assignment.toml nor the notebook"),
    ('files = ["table.npz", "weights.npz"]', "files lists weights.npz, which is not in"),
])
def test_bad_files_are_refused_with_a_clear_message(tmp_path, line, message):
    root = copy_of_toy(tmp_path, line)
    with pytest.raises(ValueError, match="assignment.toml: ") as error:
        load_assignment(root)
    assert message in str(error.value)


def test_release_puts_the_files_beside_the_notebook(tmp_path):
    release(TOY_FILES, tmp_path / "released")
    released = sorted(p.relative_to(tmp_path / "released").as_posix() for p in (tmp_path / "released").rglob("*")
                      if p.is_file())
    assert released == ["assignment.toml", "greeting.txt", "table.npz", "tests/public/test_q1_lookup.py",
                        "toy_files.ipynb"]
    for name in ("table.npz", "greeting.txt"):
        assert (tmp_path / "released" / name).read_bytes() == (TOY_FILES / name).read_bytes()


def test_the_sandboxed_notebook_opens_the_files_even_after_a_restart(tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    shutil.copyfile(TOY_FILES / "toy_files.ipynb", subs / "solution.ipynb")
    notebook = json.loads((TOY_FILES / "toy_files.ipynb").read_text())
    # A last cell that deletes the files and kills its process: the restarted process gets fresh copies.
    notebook["cells"].append({"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
                              "source": "import os\nos.remove('table.npz')\nos._exit(3)"})
    (subs / "crashes.ipynb").write_text(json.dumps(notebook))
    _, results = graded(TOY_FILES, subs, tmp_path / "out")
    assert results["solution"]["total"] == 1 and results["solution"]["problems"] == []
    assert results["crashes"]["total"] == 1
    assert any("exited with code 3" in p for p in results["crashes"]["problems"])


def test_without_the_feature_the_notebook_would_not_find_them(tmp_path):
    """The same notebook graded with the files dropped from assignment.toml fails: the child's working folder is
    private and empty, so the files above really came from the grader."""
    root = copy_of_toy(tmp_path, "")
    subs = tmp_path / "subs"
    subs.mkdir()
    shutil.copyfile(root / "toy_files.ipynb", subs / "solution.ipynb")
    _, results = graded(root, subs, tmp_path / "out")
    problems = " ".join(results["solution"]["problems"])
    assert results["solution"]["total"] == 0 and "No such file or directory: 'table.npz'" in problems


def test_a_changed_file_changes_the_fingerprint_and_is_graded_again(tmp_path):
    root = copy_of_toy(tmp_path)
    subs = tmp_path / "subs"
    subs.mkdir()
    shutil.copyfile(root / "toy_files.ipynb", subs / "solution.ipynb")
    before = load_assignment(root).fingerprint()
    summary, results = graded(root, subs, tmp_path / "out")
    assert summary.graded == ["solution"] and results["solution"]["total"] == 1
    np.savez(root / "table.npz", values=np.array([2.0, 3.0, 5.0, 7.0, 13.0]))  # the hidden check expects 11
    assert load_assignment(root).fingerprint() != before
    summary, results = graded(root, subs, tmp_path / "out")
    assert summary.graded == ["solution"] and summary.skipped == []
    assert results["solution"]["total"] == pytest.approx(2 / 3, abs=1e-3)  # 2 public checks pass, the hidden fails


def test_check_runs_in_the_released_folder_and_names_a_missing_file(tmp_path):
    folder = tmp_path / "released"
    release(TOY_FILES, folder)
    shutil.copyfile(TOY_FILES / "toy_files.ipynb", folder / "toy_files.ipynb")  # the student solved it
    result = check_notebook(folder / "toy_files.ipynb")
    assert result.all_passed and result.problems == [], result.to_dict()
    (folder / "greeting.txt").unlink()
    with pytest.raises(ValueError, match="files lists greeting.txt, which is not in"):
        check_notebook(folder / "toy_files.ipynb")


def test_the_files_travel_to_dask_workers_by_content(tmp_path):
    assignment = load_assignment(TOY_FILES)
    packed = pack_assignment(assignment)
    assert packed["table.npz"] == (TOY_FILES / "table.npz").read_bytes() and "greeting.txt" in packed
    folder = unpack_assignment(packed, assignment.fingerprint(), tmp_path)
    assert load_assignment(folder).fingerprint() == assignment.fingerprint()
    subs = tmp_path / "subs"
    subs.mkdir()
    shutil.copyfile(TOY_FILES / "toy_files.ipynb", subs / "solution.ipynb")
    _, results = graded(folder, subs, tmp_path / "out")  # as a worker grades: from the unpacked folder
    assert results["solution"]["total"] == 1
    for bad in ("tests/table.npz", "../table.npz", ".table.npz"):
        with pytest.raises(ValueError, match="data files beside assignment.toml"):
            unpack_assignment({**packed, bad: b""}, "y" * 64, tmp_path)
