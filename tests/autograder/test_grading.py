"""One grading run over a class of faulty and tampering submissions next to an honest one.

Every submission is the instructor's toy notebook with some cells replaced. Cells (0-based): 1 imports numpy,
3 defines add (q1, 1 point), 5 sigmoid (q2, 2 points), 7 loop_sum (q3, 2 points).
"""

import csv
import json
import os
import re
import shutil
from pathlib import Path

import pytest

from autograder.__main__ import main
from autograder.sandbox import UID_BASE

TOY = Path(__file__).parent / "fixtures" / "toy"
ADD, SIGMOID, LOOP_SUM = 3, 5, 7
HONEST_SIGMOID = "def sigmoid(x):\n    return 1.0 / (1.0 + np.exp(-x))\n"
# Digits of the toy's hidden SECRET array (tests/hidden/test_q1_add.py), of SECRET + SECRET and SECRET + 1.
SECRET_DIGITS = ["0.7316", "41.90", "6.2831", "1234.5", "1.4632", "83.81", "12.566", "2469.1", "1.7316", "1235.5"]
FORBIDDEN_FORMS = ["import colorsys", "from colorsys import rgb_to_hsv", "importlib.import_module('colorsys')",
                   "__import__('colorsys')", "import colorsys as c"]


def notebook_with(changes=None, extra=(), untag=()):
    """The instructor notebook with cells replaced ({index: source}), cells inserted after the imports, tags cut."""
    notebook = json.loads((TOY / "toy.ipynb").read_text())
    for index, source in (changes or {}).items():
        notebook["cells"][index]["source"] = source
    for index in untag:
        notebook["cells"][index]["metadata"]["tags"] = []
    for source in reversed(extra):
        notebook["cells"].insert(2, {"cell_type": "code", "metadata": {}, "outputs": [], "source": source})
    return json.dumps(notebook)


def submissions(paths):
    hidden_test = paths["assignment"] / "tests" / "hidden" / "test_q2_sigmoid.py"
    out = paths["out"]
    return {
        "honest": notebook_with(),
        "empty": "",
        "invalid_json": '{"cells": [',
        "no_cells": json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}),
        "infinite_loop": notebook_with({LOOP_SUM: "while True:\n    pass\n"}),
        "slow_function": notebook_with({LOOP_SUM: "def loop_sum(values):\n    while True:\n        pass\n"}),
        "memory_hog": notebook_with({SIGMOID: "def sigmoid(x):\n    big = np.ones(8 * 2**30, dtype=np.uint8)\n"
                                              "    return 1.0 / (1.0 + np.exp(-x))\n"}),
        "fork_bomb": notebook_with(extra=[
            "import os, time\nforked = 0\nfor _ in range(200):  # bounded even without a sandbox\n"
            "    try:\n        pid = os.fork()\n    except OSError:\n        break\n"
            "    if pid == 0:\n        time.sleep(30)\n        os._exit(0)\n    forked += 1\nprint('forked', forked)"]),
        "missing_tag": notebook_with(untag=[LOOP_SUM - 1, LOOP_SUM]),
        "renamed": notebook_with({SIGMOID: HONEST_SIGMOID.replace("def sigmoid", "def my_sigmoid")}),
        "monkeypatch": notebook_with({SIGMOID: (
            "import builtins, numpy.testing\nnp.allclose = lambda *a, **k: True\n"
            "np.testing.assert_allclose = lambda *a, **k: None\nnp.array_equal = lambda *a, **k: True\n"
            "builtins.AssertionError = type('Never', (Exception,), {})\n"
            "def sigmoid(x):\n    return x\n")}),
        "always_equal": notebook_with({
            ADD: "class Same(np.ndarray):\n    def __eq__(self, other):\n        return True\n"
                 "def add(a, b):\n    return np.zeros_like(a).view(Same)\n",
            SIGMOID: "class Anything:\n    def __eq__(self, other):\n        return True\n    shape = (1,)\n"
                     "def sigmoid(x):\n    return Anything()\n"}),
        "fake_results": notebook_with({
            ADD: "def add(a, b):\n    return None\n", SIGMOID: "def sigmoid(x):\n    return None\n",
            LOOP_SUM: "def loop_sum(values):\n    return None\n"}, extra=[
            "import json, os\nprint('PASSED 5/5, all checks passed')\nfake = {'student': 'fake_results', 'total': 5}\n"
            "for folder in ['results', %r]:\n" % str(out / "results")
            + "    try:\n        os.makedirs(folder, exist_ok=True)\n"
            "        for name in ['fake_results.json', 'ghost.json']:\n"
            "            open(os.path.join(folder, name), 'w').write(json.dumps(fake))\n"
            "    except OSError as error:\n        print('write failed:', error)"]),
        "early_exit": notebook_with({SIGMOID: "import os\nos._exit(3)\n" + HONEST_SIGMOID},
                                    extra=["import sys\nsys.exit(0)"]),
        "deleter": notebook_with(extra=[
            "import os, shutil\nfor target in [%r, %r, %r]:\n" % (str(hidden_test), str(paths["subs"]), str(out))
            + "    try:\n        shutil.rmtree(target) if os.path.isdir(target) else os.remove(target)\n"
            "    except OSError as error:\n        print('delete failed:', type(error).__name__)"]),
        "reader": notebook_with(extra=[
            "try:\n    print(open(%r).read())\nexcept OSError as error:\n" % str(hidden_test)
            + "    print('read failed:', type(error).__name__)"]),
        "spoof": notebook_with(extra=[
            "import json, os, sys\nchannel = json.loads(sys.argv[1])['out']  # the reply pipe, from the command line\n"
            "os.write(channel, b'\\x00\\x00\\x00\\x05PASS!')"]),
        "huge_result": notebook_with({SIGMOID: "def sigmoid(x):\n    return np.zeros(9 * 10**6)\n"}),
        "crash_loop": notebook_with(extra=["import os\nos._exit(1)"] * 4),
        "in_place": notebook_with({ADD: "def add(a, b):\n    a += b\n    return a\n"}),
        "wrong_add": notebook_with({ADD: "def add(a, b):\n    return a - b\n"}),
        "leaky_error": notebook_with({ADD: "def add(a, b):\n    raise ValueError(repr(a) + str(b.tolist()))\n"}),
        "leaky_print": notebook_with({ADD: "def add(a, b):\n    print('inputs', a, b)\n    return a + b\n"}),
        "forbidden": notebook_with({SIGMOID: "from colorsys import rgb_to_hsv\n" + HONEST_SIGMOID}),
        "forbidden_forms": notebook_with(extra=[
            "import importlib\nfor attempt in %r:\n" % FORBIDDEN_FORMS
            + "    try:\n        exec(attempt)\n        print('imported:', attempt)\n"
            "    except ImportError as error:\n        print('refused:', type(error).__name__)"]),
        "fork_unbounded": notebook_with(extra=[
            "import os, time\nfor _ in range(100):  # bounded even without a sandbox\n    if os.fork() == 0:\n"
            "        time.sleep(30)\n        os._exit(0)"]),
        "network": notebook_with(extra=[
            "import socket\ntry:\n    socket.create_connection(('1.1.1.1', 80), timeout=2)\n    print('connected')\n"
            "except OSError as error:\n    print('network failed:', error)"]),
    }


# student: (total, {question ("" for the whole notebook): substring of a message}, substring of the output)
EXPECTED = {
    "honest": (5, {}, None),
    "empty": (0, {"": "the notebook file is empty (0 bytes)", "q1_add": "not run: the notebook could not be read"},
              None),
    "invalid_json": (0, {"": "the file is not a valid notebook (invalid JSON",
                         "q2_sigmoid": "not run: the notebook could not be read"}, None),
    "no_cells": (0, {"q3_loop_sum": "no cell is tagged `question:q3_loop_sum`"}, None),
    "infinite_loop": (3, {"q3_loop_sum": 'timed out after 3 s while running the notebook (q3_loop_sum cell '
                                         '"while True:")'}, None),
    "slow_function": (3, {"q3_loop_sum": "timed out after 3 s while calling `loop_sum`"}, None),
    "memory_hog": (3, {"q2_sigmoid": "your code raised MemoryError"}, None),
    "fork_bomb": (5, {}, "forked 1"),
    "missing_tag": (3, {"q3_loop_sum": "no cell is tagged `question:q3_loop_sum`"}, None),
    "renamed": (3, {"q2_sigmoid": "`sigmoid` is not defined in your notebook: did you rename it?"}, None),
    "monkeypatch": (3, {"q2_sigmoid": "sigmoid(0) must be exactly 0.5"}, None),
    "always_equal": (2, {"q1_add": "add([1, 2], [3, 4]) should be [4, 6]", "q2_sigmoid": "Anything is not data"},
                     None),
    "fake_results": (0, {"q1_add": "add should keep the inputs' shape (2,), got ()"}, "PASSED 5/5"),
    "early_exit": (3, {"": "raised SystemExit: the code called sys.exit(0)",
                       "q2_sigmoid": "process exited with code 3"}, None),
    "deleter": (5, {}, "delete failed: "),
    "reader": (5, {}, "read failed: "),
    "network": (5, {}, "network failed: [Errno 101] Network is unreachable"),
    "in_place": (4.75, {"q1_add": "add changed argument 1 in place: return a new array instead"}, None),
    "wrong_add": (4, {"q1_add": "add is wrong: 4 of 4 entries differ from the expected values; largest absolute error"},
                  None),
    "leaky_error": (4, {"q1_add": "your code raised ValueError: […][…] (q1_add cell \"def add(a, b):\", line 2, "
                                  "in add)"}, None),
    "leaky_print": (5, {}, None),
    "forbidden": (3, {"q2_sigmoid": 'q2_sigmoid cell "from colorsys import rgb_to_hsv" raised ForbiddenImportError: '
                                    "this assignment does not allow importing colorsys (forbidden_imports in "
                                    "assignment.toml)"}, None),
    "forbidden_forms": (5, {}, "refused: ForbiddenImportError"),
    "fork_unbounded": (5, {"": "the notebook may run at most 16 processes and threads at once (the grader's "
                               "process limit), and it reached that limit"}, None),
    "crash_loop": (0, {"": "not run: the notebook's process was restarted 3 times already",
                       "q1_add": "not run: the notebook's process was restarted 3 times already"}, None),
    "spoof": (5, {"": "sent an invalid message (the message is not valid JSON)"}, None),
    "huge_result": (3, {"q2_sigmoid": "sent an invalid message (the message is larger than 64 MiB)"}, None),
}


if os.geteuid() != 0:
    # Without root the child runs as the grader's own user with no mount namespace (docs/autograder.md): it could
    # delete, read or write the grader's files and may have network, so those cases are graded only as root.
    for student in ("deleter", "reader", "fake_results", "network"):
        del EXPECTED[student]


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("class")
    paths = {"assignment": root / "toy", "subs": root / "subs", "out": root / "out"}
    shutil.copytree(TOY, paths["assignment"])
    paths["subs"].mkdir()
    for student, text in submissions(paths).items():
        if student not in EXPECTED:
            continue
        folder = paths["subs"] / student if student == "honest" else paths["subs"]  # both layouts
        folder.mkdir(exist_ok=True)
        (folder / ("toy.ipynb" if student == "honest" else f"{student}.ipynb")).write_text(text)
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    code = main(["grade", str(paths["assignment"]), str(paths["subs"]), "--out", str(paths["out"]), "--jobs", "2",
                 "--no-progress"])
    results = {s: json.loads((paths["out"] / "results" / f"{s}.json").read_text()) for s in EXPECTED}
    return code, paths, results, before


def _owner(pid):
    try:
        return os.stat(f"/proc/{pid}").st_uid
    except FileNotFoundError:  # the process ended while we looked
        return None


def messages(question):
    return " | ".join([c["message"] for c in question["checks"]] + question["problems"])


def test_grading_exits_zero_and_writes_every_output(graded):
    code, paths, results, _ = graded
    assert code == 0
    with open(paths["out"] / "gradebook.csv") as f:
        rows = {row["student"]: row for row in csv.DictReader(f)}
    assert sorted(rows) == sorted(EXPECTED)
    assert list(next(iter(rows.values()))) == ["student", "q1_add", "q2_sigmoid", "q3_loop_sum", "total"]
    assert {s: float(r["total"]) for s, r in rows.items()} == {s: float(e[0]) for s, e in EXPECTED.items()}
    summary = json.loads((paths["out"] / "summary.json").read_text())
    assert summary["students"] == len(EXPECTED) and summary["max_total"] == 5
    assert summary["mean"] == pytest.approx(sum(e[0] for e in EXPECTED.values()) / len(EXPECTED))
    q3 = summary["questions"]["q3_loop_sum"]
    q3_broken = {"empty", "invalid_json", "no_cells", "infinite_loop", "slow_function", "missing_tag", "fake_results",
                 "crash_loop"} & set(EXPECTED)
    assert q3["students_not_full_marks"] == len(q3_broken)
    assert q3["failed_checks"]["loop_sum([1, 2, 3]) is 6."] == q3["students_not_full_marks"]
    assert "Checks failed most often:" in (paths["out"] / "summary.md").read_text()
    assert (paths["out"] / "feedback" / "renamed.md").is_file()


@pytest.mark.parametrize("student", sorted(EXPECTED))
def test_each_submission_gets_its_expected_score_and_message(graded, student):
    _, _, results, _ = graded
    total, expected_messages, output = EXPECTED[student]
    result = results[student]
    assert result["total"] == total, json.dumps(result, indent=1)
    for question, text in expected_messages.items():
        found = " | ".join(result["problems"]) if question == "" else messages(result["questions"][question])
        assert text in found, found
    if output is not None:
        assert output in result["output"]


def test_fork_bomb_is_capped_and_cleaned_up(graded):
    _, _, results, _ = graded
    forked = int(results["fork_bomb"]["output"].split("forked ")[1].split()[0])
    assert 1 <= forked < 16  # max_processes = 16 in the toy assignment.toml
    if os.geteuid() == 0:  # the child ran as a uid of its own: none of its processes may be left
        (uid,) = [int(p.split()[-1]) for p in results["fork_bomb"]["protections"] if "unprivileged uid" in p]
        assert uid > UID_BASE
        assert [p for p in os.listdir("/proc") if p.isdigit() and _owner(p) == uid] == []


@pytest.mark.skipif(os.geteuid() != 0, reason="file protections need root (a uid of its own, a mount namespace)")
def test_tampering_changed_no_file_and_leaked_no_hidden_test(graded):
    _, paths, results, before = graded
    assert {p: p.read_bytes() for p in before if p.exists()} == before
    assert not (paths["out"] / "results" / "ghost.json").exists()
    feedback = "\n".join(p.read_text() for p in (paths["out"] / "feedback").iterdir())
    assert "HIDDEN-CHECK-TEXT" not in feedback and "rng.normal" not in feedback
    assert "HIDDEN-CHECK-TEXT" not in results["reader"]["output"]


def test_feedback_names_failed_checks_without_hidden_source(graded):
    _, paths, _, _ = graded
    text = (paths["out"] / "feedback" / "monkeypatch.md").read_text()
    assert "## q2_sigmoid: The sigmoid function (0 / 2)" in text
    assert "FAILED (hidden check): sigmoid(-x) is 1 - sigmoid(x)" in text
    assert "x = np.linspace" not in text


def test_sandbox_records_its_protections(graded):
    _, _, results, _ = graded
    protections = " | ".join(results["honest"]["protections"])
    assert "limits: 1024 MiB memory, 20 s CPU" in protections
    if os.geteuid() == 0:
        assert "runs as unprivileged uid" in protections and "no network" in protections


def test_hidden_values_never_reach_students(graded):
    """A hidden check failing with np.testing on a secret array, a student's exception or print showing the
    hidden inputs: no digit of them in feedback or in what results/*.json shows students (the instructors' detail
    keeps the full message)."""
    _, paths, results, _ = graded
    feedback = "\n".join(p.read_text() for p in (paths["out"] / "feedback").iterdir())
    shown = "\n".join(json.dumps([r["problems"], r["output"], [c["message"] for q in r["questions"].values()
                                                                 for c in q["checks"]]]) for r in results.values())
    assert [d for d in SECRET_DIGITS if d in feedback or d in shown] == []
    details = [c["detail"] for c in results["wrong_add"]["questions"]["q1_add"]["checks"] if c["detail"]]
    assert any("DESIRED" in d for d in details), details


def test_every_form_of_a_forbidden_import_is_refused(graded):
    _, _, results, _ = graded
    output = results["forbidden_forms"]["output"]
    assert output.count("refused: ForbiddenImportError") == len(FORBIDDEN_FORMS) and "imported:" not in output
    messages_q2 = messages(results["forbidden"]["questions"]["q2_sigmoid"])
    assert ('`sigmoid` is not defined in your notebook: did you rename it? Or did the cell that defines it stop with '
            'an error? (q2_sigmoid cell "from colorsys import rgb_to_hsv"') in messages_q2
    assert "(line 1, in <module>)" in messages_q2


def test_messages_name_cells_as_students_see_them(graded):
    """No message counts cells with markdown cells ("cell 8"): a cell is its question and first line."""
    _, _, results, _ = graded
    texts = [m for r in results.values() for m in r["problems"] + [p for q in r["questions"].values()
                                                                   for p in q["problems"]]]
    assert texts and [t for t in texts if re.search(r"\bcell \d", t)] == []


def test_feedback_keeps_messages_in_their_list_item_and_marks_the_output(graded):
    _, paths, _, _ = graded
    text = (paths["out"] / "feedback" / "wrong_add.md").read_text()
    item = text.split("- FAILED (check): add([1, 2], [3, 4]) is [4, 6].")[1].split("\n- ")[0]
    assert "Mismatched elements" in item and all(line.startswith("  ") for line in item.strip("\n").split("\n"))
    honest = (paths["out"] / "feedback" / "honest.md").read_text()
    assert "## What your notebook printed" in honest and "Grading did not use it" in honest
