"""The course's assignments, graded by the autograder as a class would be.

For each folder under assignments/: the instructor's notebook earns full marks on every public and hidden
check; the released blank notebook fails every check (so no check passes on code that does nothing); every common
mistake listed in the folder's mistakes.toml loses points on its own question, with the message that names it; the
folder follows docs/assignment-format.md; the public tests (which students get) hold no solution; and the source
notebook runs top to bottom in a Jupyter kernel.

A question with trained `weights` (a network trained in cells tagged `training`) trains once in the whole run: the
top-to-bottom run of the source notebook (one thread, as the grader's child) measures its training cells against the
question's budget and its `skip-grading` cell saves the weights, which the instructor's notebook then hands in when it
is graded; the mistake notebooks hand in a weights file with no arrays, so that their training cells are skipped
(assignments/a3_architectures/README.md, "How the tests train once").
"""

import ast
import copy
import json
import re
import shutil
import tomllib
from pathlib import Path

import nbformat
import numpy as np
import pytest
from nbclient import NotebookClient

from autograder import grade, load_assignment, release
from autograder.notebook import read_notebook, solution_lines, tagged_questions

ROOT = Path(__file__).resolve().parent.parent
ASSIGNMENTS = sorted(p.parent for p in (ROOT / "assignments").glob("*/assignment.toml"))
PUBLIC_TESTS = sorted((ROOT / "assignments").glob("*/tests/public/test_*.py"))


def mistakes_of(root):
    """The common mistakes an assignment's checks catch (its mistakes.toml; see the file's header)."""
    path = root / "mistakes.toml"
    return tomllib.loads(path.read_text(encoding="utf-8"))["mistakes"] if path.is_file() else []


MISTAKES = [(root, index) for root in ASSIGNMENTS for index, _ in enumerate(mistakes_of(root))]


def manual_questions(root):
    """Questions graded by the instructor (`manual = true` in assignment.toml, with a `rubric`): id -> table.
    They have no tests; the grader gives them no checks (see assignments/a4_training_tricks/README.md)."""
    questions = tomllib.loads((root / "assignment.toml").read_text(encoding="utf-8"))["questions"]
    return {q["id"]: q for q in questions if q.get("manual") is True}


def with_mistake(notebook, mistake):
    """The notebook with one mistake made in its question's code cells (replace -> by, or append)."""
    notebook = copy.deepcopy(notebook)
    cells = [c for c in notebook["cells"] if c["cell_type"] == "code"
             and f"question:{mistake['question']}" in c["metadata"].get("tags", [])]
    sources = ["".join(c["source"]) for c in cells]
    if "append" in mistake:
        cells[-1]["source"] = sources[-1] + "\n" + mistake["append"]
        return notebook
    hits = [i for i, source in enumerate(sources) if mistake["replace"] in source]
    assert len(hits) == 1 and sources[hits[0]].count(mistake["replace"]) == 1, (
        f"{mistake['what']}: the text to replace must occur once in the {mistake['question']} cells")
    cells[hits[0]]["source"] = sources[hits[0]].replace(mistake["replace"], mistake["by"])
    return notebook


def trained_questions(root):
    """Questions whose answer is a trained network: id -> the weights file a student may hand in instead."""
    return {q.id: q.weights for q in load_assignment(root).questions if q.weights}


def clock_cell():
    """A cell whose result is the kernel's (CPU time, wall time) in seconds: put around a training cell."""
    return nbformat.v4.new_code_cell("__import__('time').process_time(), __import__('time').monotonic()")


def clock_of(cell):
    return ast.literal_eval(cell.outputs[0]["data"]["text/plain"])


@pytest.fixture(scope="module")
def reference_runs(tmp_path_factory):
    """Per assignment (run on first use): the source notebook executed top to bottom in a Jupyter kernel, in a
    folder of its own (where its skip-grading cells save trained weights). Returns (executed notebook, folder,
    {question: [(CPU s, wall s) of each of its training cells]}). The kernel has one thread (OMP_NUM_THREADS=1), as
    the grader's sandboxed child has, so the CPU times are comparable with a question's cpu_time."""
    runs = {}

    def run(root):
        if root not in runs:
            assignment = load_assignment(root)
            notebook = nbformat.read(assignment.source_notebook, as_version=4)
            timed = []  # (question ids, clock cell before, clock cell after)
            for cell in list(notebook.cells):
                tags = cell.metadata.get("tags", [])
                if cell.cell_type == "code" and "training" in tags:
                    before, after = clock_cell(), clock_cell()
                    at = notebook.cells.index(cell)
                    notebook.cells[at:at + 1] = [before, cell, after]
                    timed.append(([t.removeprefix("question:") for t in tags if t.startswith("question:")],
                                  before, after))
            folder = tmp_path_factory.mktemp(f"{root.name}_run")
            for path in assignment.file_paths():  # the data files the notebook opens (`files` in assignment.toml)
                shutil.copyfile(path, folder / path.name)
            timeout = max([120] + [q.timeout for q in assignment.questions if q.timeout])
            # The notebook's last cell, check(), does nothing under the grader's flag: the grading tests run every
            # check already. Nothing is written back to the notebook.
            with pytest.MonkeyPatch.context() as patch:
                patch.setenv("AUTOGRADER_SANDBOX", "1")
                patch.setenv("OMP_NUM_THREADS", "1")
                NotebookClient(notebook, timeout=timeout, kernel_name="python3",
                               resources={"metadata": {"path": str(folder)}}).execute()
            times = {}
            for questions, before, after in timed:
                (cpu0, wall0), (cpu1, wall1) = clock_of(before), clock_of(after)
                for question in questions:
                    times.setdefault(question, []).append((cpu1 - cpu0, wall1 - wall0))
            runs[root] = (notebook, folder, times)
        return runs[root]

    return run

# Public tests are released to students, so they must not contain what a question asks them to write: expected
# values are literals (hand-worked or computed once with the hidden tests' references and pasted), or properties.
# Helpers a public test module may define: they unpack and validate a student's result or compare it with literal
# expected values (and may loop over a result's parts), nothing else.
PUBLIC_HELPERS = {"call", "check", "check_params", "count", "probe", "size", "unpack3", "separable_blobs"}
# What computing a solution takes: these functions or methods (np.exp, x.sum(...), ...) and the @ operator. Mistake
# detectors that build a *wrong* answer from the input (x * (1 - x)) need none of them.
SOLUTION_OPERATIONS = {
    "exp", "expm1", "log", "log1p", "logaddexp", "tanh", "maximum", "minimum", "clip", "where", "heaviside", "sign",
    "einsum", "dot", "matmul", "tensordot", "inner", "outer", "pad", "sliding_window_view", "as_strided", "ndindex",
    "convolve", "correlate", "correlate2d", "convolve2d", "sum", "mean", "max", "min", "amax", "argmax", "prod",
    "cumsum", "gradient", "diff", "softmax", "logsumexp",
}
LOOPS = (ast.For, ast.AsyncFor, ast.While, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


def allowed_in_helper(loop):
    """A helper may go through a result's parts (a comprehension, or a for loop over a dict's .items())."""
    if isinstance(loop, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
        return all(not isinstance(node, LOOPS) for g in loop.generators for node in ast.walk(g.iter))
    return isinstance(loop, ast.For) and isinstance(loop.iter, ast.Call) \
        and isinstance(loop.iter.func, ast.Attribute) and loop.iter.func.attr == "items"


def solution_code_in(path):
    """What in a public test module could compute a solution: other helpers, loops, nested functions, solution ops."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for top in tree.body:
        is_function = isinstance(top, (ast.FunctionDef, ast.AsyncFunctionDef))
        helper = is_function and top.name in PUBLIC_HELPERS
        if is_function and not helper and not top.name.startswith("test_"):
            found.append(f"line {top.lineno}: helper {top.name}() (only test_* functions and the helpers "
                         f"{sorted(PUBLIC_HELPERS)} are allowed)")
        elif isinstance(top, ast.ClassDef):
            found.append(f"line {top.lineno}: class {top.name}")
        for node in ast.walk(top):
            where = f"line {getattr(node, 'lineno', '?')}"
            if isinstance(node, LOOPS) and not (helper and allowed_in_helper(node)):
                found.append(f"{where}: a loop (write the expected values out instead)")
            elif isinstance(node, ast.Lambda):
                found.append(f"{where}: a lambda")
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node is not top:
                found.append(f"{where}: nested function {node.name}()")
            elif isinstance(node, (ast.BinOp, ast.AugAssign)) and isinstance(node.op, ast.MatMult):
                found.append(f"{where}: matrix product @")
            elif isinstance(node, ast.Call):
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
                if name in SOLUTION_OPERATIONS:
                    found.append(f"{where}: call of {name}()")
    return found


@pytest.fixture(scope="module", params=ASSIGNMENTS, ids=lambda p: p.name)
def graded(request, tmp_path_factory):
    """Grade two submissions in one run: the instructor's notebook and the released blank one."""
    assignment = load_assignment(request.param)
    tmp = tmp_path_factory.mktemp(request.param.name)
    submissions = tmp / "submissions"
    submissions.mkdir()
    weights = trained_questions(request.param)
    if weights:  # trained once, by the top-to-bottom run: the solution hands in what that run saved
        (submissions / "solution").mkdir()
        shutil.copyfile(assignment.source_notebook, submissions / "solution" / "solution.ipynb")
        _, folder, _ = request.getfixturevalue("reference_runs")(request.param)
        for name in weights.values():
            shutil.copyfile(folder / name, submissions / "solution" / name)
    else:
        shutil.copyfile(assignment.source_notebook, submissions / "solution.ipynb")
    shutil.copyfile(release(assignment.root, tmp / "released"), submissions / "blank.ipynb")
    summary = grade(assignment.root, submissions, tmp / "out", jobs=1, progress=False)
    assert summary.failed == {}, f"the grader itself failed: {summary.failed}"
    results = {s: json.loads((tmp / "out" / "results" / f"{s}.json").read_text()) for s in ("solution", "blank")}
    return {**results, "root": str(assignment.root)}


def checks_of(result):
    return [(q, c) for q, record in result["questions"].items() for c in record["checks"]]


@pytest.mark.parametrize("root", ASSIGNMENTS, ids=lambda p: p.name)
def test_assignment_follows_the_format(root):
    assignment = load_assignment(root)
    points = [q.points for q in assignment.questions]
    assert len(points) >= 5 and all(p == int(p) and p > 0 for p in points) and 20 <= sum(points) <= 30
    manual = manual_questions(root)
    for question in assignment.question_ids:
        for kind in ("public", "hidden"):
            has_tests = (root / "tests" / kind / f"test_{question}.py").is_file()
            assert has_tests != (question in manual), f"{question}: {kind} tests iff it is not graded by hand"
    for question, table in manual.items():
        rubric = table.get("rubric", [])
        assert rubric and sum(c["points"] for c in rubric) == table["points"], f"{question}: rubric points != points"
        ids = [c["id"] for c in rubric]
        assert len(set(ids)) == len(ids) and all(c["criterion"] and re.fullmatch(r"[a-z0-9_]+", c["id"])
                                                 for c in rubric), (
            f"{question}: each criterion needs a unique [a-z0-9_]+ id (its rubric.csv column) and a text")
    notebook = read_notebook(assignment.source_notebook)
    assert tagged_questions(notebook) == set(assignment.question_ids)
    assert all(not c.get("outputs") and c.get("execution_count") is None
               for c in notebook["cells"] if c["cell_type"] == "code"), "commit the notebook without outputs"


def test_public_tests_are_found():
    names = {(p.parent.parent.parent.name, p.stem.removeprefix("test_")) for p in PUBLIC_TESTS}
    expected = {(root.name, q) for root in ASSIGNMENTS for q in load_assignment(root).question_ids
                if q not in manual_questions(root)}
    assert expected and names == expected


@pytest.mark.parametrize("path", PUBLIC_TESTS, ids=lambda p: f"{p.parent.parent.parent.name}/{p.stem}")
def test_public_tests_hold_no_solution(path):
    """Students get tests/public/: no reference implementation, numerical gradient or expected value computed there."""
    found = solution_code_in(path)
    assert found == [], f"{path.relative_to(ROOT)} may compute a solution students could copy:\n  " + "\n  ".join(found)


def test_leak_check_flags_reference_code(tmp_path):
    """The check above is not vacuous: it flags the kinds of reference code public tests once held."""
    leaky = tmp_path / "test_q_leaky.py"
    leaky.write_text(
        "import numpy as np\n"
        "def reference_sigmoid(x):\n    return 1.0 / (1.0 + np.exp(-x))\n"
        "def check(student, x, w, b):\n"
        "    out = student.f(x)\n"
        "    cols = np.zeros((4, 4))\n"
        "    for i in range(2):\n        for j in range(2):\n            cols[:, 2 * i + j] = x[i:i + 2, j:j + 2].ravel()\n"
        "    assert np.allclose(out, w @ cols + b)\n"
        "def test_relu(student):\n    x = np.ones(3)\n    assert np.allclose(student.relu(x), np.where(x > 0, x, 0))\n"
    )
    found = "\n".join(solution_code_in(leaky))
    for expected in ("helper reference_sigmoid()", "call of exp()", "line 7: a loop", "line 8: a loop",
                     "matrix product @", "call of where()"):
        assert expected in found, f"{expected!r} not flagged in:\n{found}"


@pytest.mark.parametrize("root", ASSIGNMENTS, ids=lambda p: p.name)
def test_release_leaks_nothing(root, tmp_path):
    """The student version holds the blank notebook, assignment.toml and the public tests: no solution line (beyond
    what the question's text itself shows), no hidden test, no list of mistakes."""
    assignment = load_assignment(root)
    release(root, tmp_path)
    files = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    public = sorted(f"tests/public/{p.name}" for p in assignment.test_files(hidden=False))
    assert files == sorted([assignment.notebook, "assignment.toml", *public, *assignment.files])
    text = "\n".join(p.read_bytes().decode("utf-8", errors="replace") for p in tmp_path.rglob("*") if p.is_file())
    source = read_notebook(assignment.source_notebook)
    question_text = "\n".join("".join(c["source"]) for c in source["cells"] if c["cell_type"] == "markdown")
    secrets = [line for line in solution_lines(source) if len(line) > 15 and line.rstrip(",") not in question_text]
    assert secrets and [line for line in secrets if line in text] == []


@pytest.fixture(scope="module")
def graded_mistakes(tmp_path_factory):
    """Per assignment (graded on first use): student "mistake_<i>" -> result, one notebook per listed mistake."""
    graded = {}

    def results(root):
        if root not in graded:
            tmp = tmp_path_factory.mktemp(f"{root.name}_mistakes")
            (tmp / "subs").mkdir()
            source = json.loads(load_assignment(root).source_notebook.read_text(encoding="utf-8"))
            weights = trained_questions(root)
            on_trained = [m["what"] for m in mistakes_of(root) if m["question"] in weights]
            assert on_trained == [], f"a mistake on a trained question would train once per mistake: {on_trained}"
            for index, mistake in enumerate(mistakes_of(root)):
                notebook = json.dumps(with_mistake(source, mistake))
                if weights:  # a folder with a weights file holding no arrays: the training cells are not run
                    (tmp / "subs" / f"mistake_{index:02d}").mkdir()
                    (tmp / "subs" / f"mistake_{index:02d}" / load_assignment(root).notebook).write_text(notebook)
                    for name in weights.values():
                        np.savez(tmp / "subs" / f"mistake_{index:02d}" / name)
                else:
                    (tmp / "subs" / f"mistake_{index:02d}.ipynb").write_text(notebook)
            summary = grade(root, tmp / "subs", tmp / "out", jobs=2, progress=False)
            assert summary.failed == {}, f"the grader itself failed: {summary.failed}"
            graded[root] = {p.stem: json.loads(p.read_text()) for p in (tmp / "out" / "results").glob("*.json")}
        return graded[root]

    return results


@pytest.mark.parametrize("root, index", MISTAKES,
                         ids=[f"{r.name}-{mistakes_of(r)[i]['question']}-{i}" for r, i in MISTAKES])
def test_each_listed_mistake_loses_points_on_its_question(graded_mistakes, root, index):
    mistake = mistakes_of(root)[index]
    question = graded_mistakes(root)[f"mistake_{index:02d}"]["questions"][mistake["question"]]
    texts = [c["message"] for c in question["checks"] if not c["passed"]] + question["problems"]
    assert question["score"] < question["points"], f"{mistake['what']}: still full marks on {mistake['question']}"
    assert any(mistake["message"] in text for text in texts), f"{mistake['what']}: no message says so:\n" + \
        "\n".join(texts)


def test_readme_lists_every_mistake_the_checks_catch():
    readme = (ROOT / "assignments" / "README.md").read_text(encoding="utf-8")
    own = {root: (root / "README.md").read_text(encoding="utf-8") if (root / "README.md").is_file() else ""
           for root in ASSIGNMENTS}  # an assignment may list its mistakes in its own README for instructors
    missing = [m["what"] for root in ASSIGNMENTS for m in mistakes_of(root)
               if m["what"] not in readme and m["what"] not in own[root]]
    assert MISTAKES and missing == []


def test_solutions_earn_full_marks(graded):
    result = graded["solution"]
    failed = [f"{q}: {c['name']} -> {c['message']}" for q, c in checks_of(result) if not c["passed"]]
    assert failed == [] and result["problems"] == []
    manual = manual_questions(Path(graded["root"]))
    # A question graded by hand has no checks (the instructor's rubric.csv scores it); every other one full marks.
    assert all(result["questions"][q]["checks"] == [] for q in manual)
    assert all(record["score"] == record["points"] for q, record in result["questions"].items() if q not in manual)
    if not manual:
        assert result["total"] == result["max_total"]


def test_blank_notebook_fails_every_check(graded):
    result = graded["blank"]
    passed = [f"{q}: {c['name']}" for q, c in checks_of(result) if c["passed"]]
    assert passed == [], "these checks pass on a notebook with no solutions, so they cannot catch anything"
    assert all("NotImplementedError" in c["message"] for _, c in checks_of(result))
    assert result["total"] == 0


@pytest.mark.parametrize("root", ASSIGNMENTS, ids=lambda p: p.name)
def test_source_notebook_runs_top_to_bottom(root, reference_runs):
    notebook, folder, times = reference_runs(root)
    errors = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert errors == []
    # A trained question: its training cells fit the budget the grader gives them (each cell `timeout` s of wall
    # time, together `cpu_time` s of CPU), and the notebook saves the weights a student hands in. That these weights
    # reach the question's accuracy on held-out images is checked by grading the solution with them (above).
    questions = {q.id: q for q in load_assignment(root).questions}
    for question, name in trained_questions(root).items():
        assert (folder / name).is_file(), f"{question}: the notebook's skip-grading cell should save {name}"
        cells = times.get(question, [])
        assert cells, f"{question} has weights but no cell tagged `training`"
        cpu, wall = sum(c for c, _ in cells), max(w for _, w in cells)
        print(f"{root.name} {question}: training cells took {cpu:.1f} s CPU, at most {wall:.1f} s wall each")
        budget = questions[question]
        assert budget.cpu_time is None or cpu <= budget.cpu_time, (
            f"{question}: training took {cpu:.0f} s of CPU, more than the question's cpu_time {budget.cpu_time}")
        assert budget.timeout is None or wall <= budget.timeout, (
            f"{question}: a training cell took {wall:.0f} s, more than the question's timeout {budget.timeout}")
