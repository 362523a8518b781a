"""Grading on Dask: a real scheduler and workers on 127.0.0.1, a LocalCluster, and their faults.

The cluster runs must give the same gradebook as a ``--jobs`` run, row for row, with a worker SIGKILLed mid-task;
a scheduler that goes away is reported (exit code 3) and a re-run resumes; the local path never imports Dask.
"""

import csv
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import distributed  # pinned in pyproject's cluster extra, which dev includes: a missing one fails loudly
import pytest

from autograder import cluster, release
from autograder.cluster import ClusterError, pack_assignment, submission_files, unpack_assignment
from autograder.config import load_assignment
from autograder.grade import grade
from tests.test_assignments import mistakes_of, with_mistake

ROOT = Path(__file__).resolve().parents[2]
A1 = ROOT / "assignments" / "a1_neurons_backprop"
TOY = Path(__file__).parent / "fixtures" / "toy"
DASK = Path(sys.executable).parent / "dask"
CLASS_SIZE = 40
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(*args: str) -> subprocess.Popen:
    return subprocess.Popen([str(DASK), *args], env=ENV, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out after {timeout} s waiting for {what}"
        time.sleep(0.2)


def gradebook(out: Path) -> list[dict]:
    with open(out / "gradebook.csv", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture
def scheduler_and_workers():
    """A `dask scheduler` and two single-threaded `dask worker` processes (no nanny, so a killed worker stays
    dead); yields (address, {pid: worker process}); stops them all."""
    address = f"tcp://127.0.0.1:{free_port()}"
    processes = [start("scheduler", "--host", "127.0.0.1", "--port", address.rsplit(":", 1)[1], "--no-dashboard")]
    try:
        for i in range(2):
            processes.append(start("worker", address, "--nworkers", "1", "--nthreads", "1", "--no-dashboard",
                                   "--no-nanny", "--name", f"worker{i}", "--death-timeout", "120"))
        with distributed.Client(address, timeout=120) as client:
            client.wait_for_workers(2, timeout=180)
        yield address, {p.pid: p for p in processes[1:]}
    finally:
        stop(processes)


@pytest.fixture(scope="module")
def a1_class(tmp_path_factory) -> Path:
    """CLASS_SIZE submissions of A1 with mixed scores: one per listed mistake, the released blank notebook, and
    copies of the solution."""
    subs = tmp_path_factory.mktemp("a1") / "subs"
    subs.mkdir()
    source = json.loads((A1 / "a1_neurons_backprop.ipynb").read_text(encoding="utf-8"))
    for index, mistake in enumerate(mistakes_of(A1)):
        (subs / f"mistake_{index:02d}.ipynb").write_text(json.dumps(with_mistake(source, mistake)))
    shutil.copyfile(release(A1, subs.parent / "released"), subs / "blank.ipynb")
    for index in range(CLASS_SIZE - len(list(subs.glob("*.ipynb")))):
        shutil.copyfile(A1 / "a1_neurons_backprop.ipynb", subs / f"solution_{index:02d}.ipynb")
    assert len(list(subs.glob("*.ipynb"))) == CLASS_SIZE
    return subs


def test_cluster_with_a_killed_worker_gives_the_jobs_gradebook(a1_class, scheduler_and_workers, tmp_path):
    address, workers = scheduler_and_workers
    out = tmp_path / "cluster"
    grader = subprocess.Popen([sys.executable, "-m", "autograder", "grade", str(A1), str(a1_class), "--out", str(out),
                               "--scheduler", address, "--no-progress"], env=ENV, start_new_session=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        with distributed.Client(address, timeout=60) as client:
            pids = client.run(os.getpid)  # worker address -> pid
            victim_pid = next(iter(workers))
            victim = next(a for a, pid in pids.items() if pid == victim_pid)
            # Kill it in the middle of a task, after a few results have come back.
            wait_for(lambda: len(list((out / "results").glob("*.json"))) >= 3 and client.processing(victim)[victim],
                     900, "the victim worker to be grading a submission")
            killed_tasks = client.processing(victim)[victim]
            os.kill(victim_pid, signal.SIGKILL)
            workers[victim_pid].wait(timeout=30)
        stdout, stderr = grader.communicate(timeout=1800)
    finally:
        if grader.poll() is None:
            os.killpg(grader.pid, signal.SIGKILL)
            grader.wait()
    assert grader.returncode == 0, stderr
    assert f"graded {CLASS_SIZE}, skipped 0" in stdout
    killed_students = [key.split("-", 2)[2] for key in killed_tasks]
    assert killed_students and all((out / "results" / f"{s}.json").is_file() for s in killed_students)

    local = grade(A1, a1_class, tmp_path / "local", jobs=2, progress=False)
    assert local.failed == {} and len(local.graded) == CLASS_SIZE
    rows = gradebook(out)
    assert [r["student"] for r in rows] == sorted(p.stem for p in a1_class.glob("*.ipynb"))  # each once
    assert rows == gradebook(tmp_path / "local")
    assert (out / "gradebook.csv").read_text() == (tmp_path / "local" / "gradebook.csv").read_text()
    assert len({r["total"] for r in rows}) >= 5, "the class should have mixed scores"
    for student in killed_students:  # graded again elsewhere: the same result as the local run's
        cluster_result = json.loads((out / "results" / f"{student}.json").read_text())
        local_result = json.loads((tmp_path / "local" / "results" / f"{student}.json").read_text())
        assert cluster_result["questions"] == local_result["questions"]
        assert cluster_result["notebook"] == local_result["notebook"] == str(a1_class / f"{student}.ipynb")

    # A cluster run over the --jobs run's output resumes it: nothing is graded again.
    again = grade(A1, a1_class, tmp_path / "local", scheduler=address, progress=False)
    assert again.graded == [] and len(again.skipped) == CLASS_SIZE


def toy_class(folder: Path) -> Path:
    """Toy submissions: four correct, one whose cell kills its own process, one that hangs, and (when root) one
    that tries to kill the grader, which its own uid does not allow."""
    notebook = json.loads((TOY / "toy.ipynb").read_text())
    folder.mkdir()
    for i in range(4):
        shutil.copyfile(TOY / "toy.ipynb", folder / f"good{i}.ipynb")
    (folder / "in_a_folder").mkdir()  # a <student>/ submission: its folder's files travel with the notebook
    shutil.copyfile(TOY / "toy.ipynb", folder / "in_a_folder" / "toy.ipynb")
    (folder / "in_a_folder" / "notes.txt").write_text("handed in beside the notebook")
    bad = {"crash": "import os\nos._exit(3)", "hang": "while True:\n    pass"}
    if os.geteuid() == 0:  # without root the child shares the grader's uid and could kill it (then Dask retries)
        bad["killer"] = "import os, signal\ntry:\n    os.kill(os.getppid(), signal.SIGKILL)\nexcept OSError:\n    pass"
    for name, code in bad.items():
        cells = notebook["cells"] + [{"cell_type": "code", "metadata": {}, "outputs": [], "source": code}]
        (folder / f"{name}.ipynb").write_text(json.dumps({**notebook, "cells": cells}))
    return folder


def test_local_cluster_resumes_a_jobs_run_and_survives_crashing_and_hanging_notebooks(tmp_path):
    subs = toy_class(tmp_path / "subs")
    out = tmp_path / "out"
    kept = ["good0", "good1"]
    partial = tmp_path / "partial"
    partial.mkdir()
    for student in kept:
        shutil.copyfile(subs / f"{student}.ipynb", partial / f"{student}.ipynb")
    assert grade(TOY, partial, out, jobs=1, progress=False).graded == kept
    written = {s: (out / "results" / f"{s}.json").stat().st_mtime_ns for s in kept}

    summary = grade(TOY, subs, out, dask_workers=2, progress=False)
    assert summary.failed == {} and summary.skipped == kept
    everyone = {p.stem for p in subs.glob("*.ipynb")} | {"in_a_folder"}
    assert summary.graded == sorted(everyone - set(kept))
    assert {s: (out / "results" / f"{s}.json").stat().st_mtime_ns for s in kept} == written
    results = {p.stem: json.loads(p.read_text()) for p in (out / "results").glob("*.json")}
    assert {s: r["total"] for s, r in results.items()} == {s: 5 for s in everyone}
    assert any("exited with code 3" in p for p in results["crash"]["problems"])
    assert any("timed out" in p for p in results["hang"]["problems"])
    # On the worker, the unpacked assignment (hidden tests) and the submission's folder are hidden from the child.
    if os.geteuid() == 0:
        hidden = [p for p in results["good3"]["protections"] if p.startswith("hidden from student code")]
        assert any(str(cluster.cache_root()) in p for p in hidden), results["good3"]["protections"]
        assert any("autograder-submission-" in p for p in hidden)

    local = grade(TOY, subs, tmp_path / "local", jobs=2, progress=False)
    assert local.failed == {}
    assert (out / "gradebook.csv").read_text() == (tmp_path / "local" / "gradebook.csv").read_text()


def test_a_scheduler_that_goes_away_is_reported_and_a_rerun_resumes(tmp_path):
    notebook = json.loads((TOY / "toy.ipynb").read_text())
    notebook["cells"].append({"cell_type": "code", "metadata": {}, "outputs": [],
                              "source": "import time\ntime.sleep(1.0)"})
    subs, out = tmp_path / "subs", tmp_path / "out"
    subs.mkdir()
    students = [f"student{i:02d}" for i in range(12)]
    for student in students:
        (subs / f"{student}.ipynb").write_text(json.dumps(notebook))
    address = f"tcp://127.0.0.1:{free_port()}"
    scheduler = start("scheduler", "--host", "127.0.0.1", "--port", address.rsplit(":", 1)[1], "--no-dashboard")
    worker = start("worker", address, "--nworkers", "1", "--nthreads", "1", "--no-dashboard", "--no-nanny",
                   "--death-timeout", "60")
    grader = None
    try:
        grader = subprocess.Popen([sys.executable, "-m", "autograder", "grade", str(TOY), str(subs), "--out",
                                   str(out), "--scheduler", address, "--no-progress"], env=ENV,
                                  start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        wait_for(lambda: len(list((out / "results").glob("*.json"))) >= 2, 600, "two results")
        os.killpg(scheduler.pid, signal.SIGKILL)
        stdout, stderr = grader.communicate(timeout=300)
    finally:
        for process in (grader, scheduler, worker):
            if process is not None and process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
    assert grader.returncode == 3, (stdout, stderr)
    assert "went away" in stderr and "run the same command again" in stderr
    written = sorted(p.stem for p in (out / "results").glob("*.json"))
    assert 2 <= len(written) < len(students)
    for student in written:  # complete results, each readable
        assert json.loads((out / "results" / f"{student}.json").read_text())["total"] == 5

    summary = grade(TOY, subs, out, jobs=2, progress=False)
    assert summary.skipped == written and summary.graded == sorted(set(students) - set(written))
    assert [r["student"] for r in gradebook(out)] == students and summary.failed == {}


def test_an_unreachable_scheduler_is_reported(tmp_path, monkeypatch, capsys):
    from autograder.__main__ import main

    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT", 2.0)
    subs = tmp_path / "subs"
    subs.mkdir()
    shutil.copyfile(TOY / "toy.ipynb", subs / "student.ipynb")
    address = f"tcp://127.0.0.1:{free_port()}"  # nothing listens there
    assert main(["grade", str(TOY), str(subs), "--out", str(tmp_path / "out"), "--scheduler", address,
                 "--no-progress"]) == 3
    assert f"could not reach the Dask scheduler at {address}" in capsys.readouterr().err
    assert not list((tmp_path / "out" / "results").glob("*.json"))


def test_bad_cluster_arguments_are_refused(tmp_path):
    with pytest.raises(ValueError, match="dask_workers must be a positive int"):
        grade(TOY, tmp_path, tmp_path / "out", dask_workers=0)
    with pytest.raises(ValueError, match="not both"):
        grade(TOY, tmp_path, tmp_path / "out", dask_workers=1, scheduler="tcp://127.0.0.1:1")
    with pytest.raises(ValueError, match="scheduler: expected an address"):
        cluster._connect("nonsense", None)


def test_the_assignment_travels_by_content_and_is_checked(tmp_path):
    assignment = load_assignment(TOY)
    files = pack_assignment(assignment)
    assert "tests/hidden/test_q1_add.py" in files and "assignment.toml" in files
    folder = unpack_assignment(files, assignment.fingerprint(), tmp_path)
    assert folder == tmp_path / assignment.fingerprint()
    assert load_assignment(folder).fingerprint() == assignment.fingerprint()  # same bytes, same fingerprint
    assert unpack_assignment(files, assignment.fingerprint(), tmp_path) == folder  # once per fingerprint
    with pytest.raises(ValueError, match="expected assignment.toml and tests"):
        unpack_assignment({**files, "../escape.py": b""}, "x" * 64, tmp_path)


def test_a_students_folder_travels_whole_and_a_class_folder_does_not(tmp_path):
    subs = toy_class(tmp_path / "subs")
    assert submission_files(subs / "in_a_folder" / "toy.ipynb", subs) == {
        "toy.ipynb": (TOY / "toy.ipynb").read_bytes(), "notes.txt": b"handed in beside the notebook"}
    assert submission_files(subs / "good0.ipynb", subs) == {"good0.ipynb": (TOY / "toy.ipynb").read_bytes()}
    assert submission_files(subs / "in_a_folder" / "missing.ipynb", subs)["toy.ipynb"]  # the folder's files
    assert submission_files(subs / "missing.ipynb", subs) == {}


def test_the_local_path_never_imports_dask(tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    shutil.copyfile(TOY / "toy.ipynb", subs / "student.ipynb")
    code = (f"import sys; from autograder.__main__ import main; "
            f"code = main(['grade', {str(TOY)!r}, {str(subs)!r}, '--out', {str(tmp_path / 'out')!r}, '--jobs', '1', "
            "'--no-progress']); assert code == 0; "
            "assert not {'distributed', 'dask'} & set(sys.modules), 'the local path imported Dask'")
    subprocess.run([sys.executable, "-c", code], check=True, env=ENV, cwd=tmp_path, stdout=subprocess.DEVNULL)


def test_without_distributed_the_message_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    subs = tmp_path / "subs"
    subs.mkdir()
    shutil.copyfile(TOY / "toy.ipynb", subs / "student.ipynb")
    with pytest.raises(ClusterError, match=r"needs the `distributed` package: pip install 'cnncourse\[cluster\]'"):
        grade(TOY, subs, tmp_path / "out", dask_workers=1, progress=False)
