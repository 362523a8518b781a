"""Trained models: a training cell runs with its question's own budget, or the student hands in weights (.npz) and
the training cells are skipped; either way the grader measures accuracy on held-out images whose labels it keeps."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from autograder.grade import grade

TOY = Path(__file__).parent / "fixtures" / "toy"
TOY_TORCH = Path(__file__).parent / "fixtures" / "toy_torch"
NEVER_ENDS = "while True:\n    pass\n"


def perfect_weights():
    """TinyNet weights that compare the top half's mean with the bottom half's: every image right."""
    w = np.zeros((2, 16), np.float32)
    w[1, :8], w[1, 8:] = 1.0, -1.0
    w[0] = -w[1]
    return {"fc.weight": w, "fc.bias": np.zeros(2, np.float32)}


def with_training_cell(source):
    notebook = json.loads((TOY_TORCH / "toy_torch.ipynb").read_text())
    for cell in notebook["cells"]:
        if "training" in cell["metadata"]["tags"]:
            cell["source"] = source
    return json.dumps(notebook)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    pytest.importorskip("torch")
    tmp = tmp_path_factory.mktemp("trained")
    subs = tmp / "subs"
    submissions = {
        "trains": (with_training_cell(json.loads((TOY_TORCH / "toy_torch.ipynb").read_text())["cells"][6]["source"]),
                   None),
        "weights": (with_training_cell(NEVER_ENDS), perfect_weights()),  # would time out if it ran
        "bad_weights": (with_training_cell(NEVER_ENDS),
                        {"fc.weight": np.zeros((3, 16), np.float32), "extra.bias": np.zeros(2, np.float32)}),
        "pickled_weights": (with_training_cell(NEVER_ENDS), {"fc.weight": np.array([{"a": 1}], dtype=object)}),
    }
    for student, (notebook, weights) in submissions.items():
        (subs / student).mkdir(parents=True)
        (subs / student / "toy_torch.ipynb").write_text(notebook)
        if weights is not None:
            np.savez(subs / student / "tiny_net.npz", **weights)
    summary = grade(TOY_TORCH, subs, tmp / "out", jobs=2, progress=False)
    assert summary.failed == {}
    return {s: json.loads((tmp / "out" / "results" / f"{s}.json").read_text()) for s in submissions}


def messages(question):
    return " | ".join([c["message"] for c in question["checks"]] + question["problems"])


def test_a_notebook_that_trains_is_graded_on_held_out_images(graded):
    result = graded["trains"]
    assert result["total"] == 4 and result["problems"] == [], json.dumps(result, indent=1)
    assert "40 s CPU" not in " ".join(result["protections"])  # the training question's 20 s were added to the 40
    assert "60 s CPU" in " ".join(result["protections"])


def test_handed_in_weights_skip_training_and_are_evaluated(graded):
    result = graded["weights"]
    assert result["total"] == 4, json.dumps(result, indent=1)
    assert result["questions"]["q2_trained"]["problems"] == []  # the never-ending training cell did not run


def test_weights_that_do_not_fit_get_a_clear_message(graded):
    result = graded["bad_weights"]
    q2 = result["questions"]["q2_trained"]
    assert result["total"] == 3 and q2["score"] == 1  # q1 and q2's public check are unaffected
    assert ("the weights file tiny_net.npz does not fit your TinyNet(): missing fc.bias; unexpected extra.bias; "
            "fc.weight has shape (3, 16) in the file but (2, 16) in the model") in messages(q2)


def test_a_pickle_in_the_weights_file_is_refused(graded):
    q2 = graded["pickled_weights"]["questions"]["q2_trained"]
    assert q2["score"] == 1
    assert "the weights file tiny_net.npz could not be read as named arrays (np.load with allow_pickle=False)" \
        in messages(q2)


@pytest.mark.parametrize("sleep", [4, 8])
def test_training_cells_run_with_their_questions_budget(tmp_path, sleep):
    """The toy's call_timeout is 3 s; q3's cells tagged `training` get 6 s each (and 5 more CPU seconds)."""
    assignment = tmp_path / "toy"
    shutil.copytree(TOY, assignment)
    toml = assignment / "assignment.toml"
    toml.write_text(toml.read_text().replace('title = "A sum with a loop"\npoints = 2',
                                             'title = "A sum with a loop"\npoints = 2\ntimeout = 6\ncpu_time = 5'))
    notebook = json.loads((TOY / "toy.ipynb").read_text())
    notebook["cells"].insert(8, {"cell_type": "code", "metadata": {"tags": ["question:q3_loop_sum", "training"]},
                                 "outputs": [], "source": f"import time\ntime.sleep({sleep})"})
    (tmp_path / "subs").mkdir()
    (tmp_path / "subs" / "student.ipynb").write_text(json.dumps(notebook))
    grade(assignment, tmp_path / "subs", tmp_path / "out", jobs=1, progress=False)
    result = json.loads((tmp_path / "out" / "results" / "student.json").read_text())
    assert result["total"] == 5, json.dumps(result, indent=1)  # the checks do not need what the cell makes
    assert "limits: 1024 MiB memory, 25 s CPU" in " ".join(result["protections"])
    timed_out = 'timed out after 6 s while running the notebook (q3_loop_sum cell "import time")'
    assert result["questions"]["q3_loop_sum"]["problems"] == ([timed_out] if sleep > 6 else [])


def test_a_weights_file_is_read_as_data_only_and_bounded(tmp_path):
    """The grader reads handed-in weights itself: not a zip, or one that unpacks to more than the limit, is refused
    before NumPy unpacks anything."""
    from autograder.runner import MAX_WEIGHTS_BYTES, _read_weights
    from autograder.testing import StudentError

    np.savez_compressed(tmp_path / "bomb.npz", w=np.zeros(MAX_WEIGHTS_BYTES + 2**20, np.uint8))
    assert (tmp_path / "bomb.npz").stat().st_size < 2**20  # small on disk
    (tmp_path / "text.npz").write_text("not an archive")
    with open(tmp_path / "one.npz", "wb") as f:  # one array in .npy format under an .npz name
        np.save(f, np.ones(3))
    for name, message in [("bomb.npz", "unpacks to 49 MiB, more than the 48 MiB"),
                          ("text.npz", "not an .npz archive"), ("one.npz", "not an .npz archive")]:
        with pytest.raises(StudentError, match=message) as error:
            _read_weights(tmp_path / name)
        assert error.value.type_name == "BadWeights"
    np.savez(tmp_path / "good.npz", **perfect_weights())
    assert {k: v.shape for k, v in _read_weights(tmp_path / "good.npz").items()} == {"fc.weight": (2, 16),
                                                                                   "fc.bias": (2,)}
