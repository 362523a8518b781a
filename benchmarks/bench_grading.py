"""How fast the autograder grades a class, and what isolation costs beyond running the student's own code.

Grades N copies of an assignment's instructor notebook (full marks each) with --jobs 1 and --jobs 2 and prints
submissions per minute, seconds per submission, and the seconds per submission beyond a bare ``python -c`` that
executes the same code cells (interpreter start, imports and the student's code, but no sandbox, no tests).
That difference includes the student's code the tests call (A1's tests train networks), so the first line
separates what isolation itself costs: starting a sandboxed child, and one call's round trip.

    python benchmarks/bench_grading.py                      # A1, 40 submissions, plus the toy fixture
    python benchmarks/bench_grading.py --assignment tests/autograder/fixtures/toy -n 40

Then it grades the same submissions on Dask (``autograder.cluster``): a LocalCluster of 1 and of 2 single-threaded
worker processes, started before the clock runs (its start-up is printed apart), against --jobs 1 and --jobs 2.
The Dask path's overhead per submission is (Dask wall time - --jobs wall time) x workers / N: the seconds each
submission costs a worker beyond what the process pool spends (sending the notebook and the result, scheduling,
the client writing results). On a loaded machine the two runs' grading times differ by more than that, so it also
prints each path's time outside grading, wall time x workers / N minus the mean ``seconds`` the results record
for grading one notebook, and their difference, which other load moves much less. ``--no-dask`` skips this part.

Targets: at most 1.0 s per trivial (toy) submission with isolation, --jobs 2 at least 1.7x faster than --jobs 1,
and the Dask path at most 0.2 s per submission more than --jobs.
With --jobs 1 it also prints the CPU seconds per submission (grader and sandboxed children together), which other
work on a shared machine moves much less than wall time: compare versions of the grader by that number.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from autograder import runner
from autograder.config import load_assignment
from autograder.grade import grade
from autograder.notebook import code_cells, read_notebook

ROOT = Path(__file__).resolve().parent.parent
A1 = ROOT / "assignments" / "a1_neurons_backprop"
TOY = ROOT / "tests" / "autograder" / "fixtures" / "toy"


def bare_seconds(notebook: Path, repeats: int = 3) -> float:
    """Median time of a plain ``python -c`` running the notebook's code cells (the student's own cost)."""
    # Without the `from autograder import check; check()` cell: in the sandbox it is a stub that imports nothing.
    cells = [c.source for c in code_cells(read_notebook(notebook)) if "from autograder import" not in c.source]
    source = "\n".join(cells)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
           "MKL_NUM_THREADS": "1", "MPLBACKEND": "Agg"}
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", source], check=True, env=env, cwd=notebook.parent,
                       stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


def isolation_costs(calls: int = 300) -> tuple[float, float, float]:
    """Seconds to start a sandboxed child and run the toy's cells, a bare ``python -c 'import numpy'``,
    and one call's round trip (``student.add`` on two 10-element arrays)."""
    assignment = load_assignment(TOY)
    session = runner.Session(assignment, code_cells(read_notebook(TOY / "toy.ipynb")), [])
    start = time.perf_counter()
    session.start()
    started = time.perf_counter() - start
    a = np.ones(10)
    start = time.perf_counter()
    for _ in range(calls):
        session.call("add", [a, a], {})
    per_call = (time.perf_counter() - start) / calls
    session.close()
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import numpy"], check=True)
    return started, time.perf_counter() - start, per_call


def count_calls(function, *args, **kwargs) -> tuple[object, int]:
    """Run function, counting the calls tests make into sandboxed children of this process."""
    calls = [0]
    original = runner.Session.call

    def counted(self, *a, **k):
        calls[0] += 1
        return original(self, *a, **k)

    runner.Session.call = counted
    try:
        return function(*args, **kwargs), calls[0]
    finally:
        runner.Session.call = original


def cpu_seconds() -> float:
    """User + system CPU time of this process and its waited-for children (the sandboxed workers)."""
    return sum(r.ru_utime + r.ru_stime for r in (resource.getrusage(resource.RUSAGE_SELF),
                                                 resource.getrusage(resource.RUSAGE_CHILDREN)))


def copies(notebook: Path, folder: Path, n: int) -> Path:
    """A submissions folder holding ``n`` copies of ``notebook``, one per student."""
    folder.mkdir()
    for i in range(n):
        shutil.copyfile(notebook, folder / f"student{i:03d}.ipynb")
    return folder


def bench(assignment_dir: Path, n: int) -> None:
    assignment = load_assignment(assignment_dir)
    with tempfile.TemporaryDirectory() as tmp:
        subs = copies(assignment.source_notebook, Path(tmp) / "subs", n)
        bare = bare_seconds(assignment.source_notebook)
        seconds = {}
        for jobs in (1, 2):
            start, cpu = time.perf_counter(), cpu_seconds()
            summary, calls = count_calls(grade, assignment_dir, subs, Path(tmp) / f"out{jobs}", jobs=jobs,
                                         progress=False)
            seconds[jobs] = time.perf_counter() - start
            if jobs == 1:  # in-process, so the calls and the children's CPU time are counted
                print(f"{assignment_dir.name:24s} the tests call the student's code {calls / n:.0f} times per "
                      "submission (training included), time the bare run does not spend; "
                      f"CPU {(cpu_seconds() - cpu) / n:.2f} s per submission")
            assert len(summary.graded) == n and summary.mean == summary.max_total, json.dumps(summary.to_dict())
            per = seconds[jobs] / n
            print(f"{assignment_dir.name:24s} jobs={jobs}  {n} submissions in {seconds[jobs]:6.1f} s  "
                  f"{60 / per:6.1f} submissions/min  {per:5.2f} s/submission  "
                  f"(wall time per submission x jobs beyond bare python -c: {per * jobs - bare:+.2f} s)")
        print(f"{assignment_dir.name:24s} bare python -c of the code cells: {bare:.2f} s; "
              f"--jobs 2 speed-up: {seconds[1] / seconds[2]:.2f}x")


def bench_dask(assignment_dir: Path, n: int) -> None:
    """Grade n copies on LocalClusters of 1 and 2 workers, each right after a --jobs run of the same width."""
    from distributed import Client  # only for this part: the local grader does not need Dask

    from autograder.cluster import local_cluster

    assignment = load_assignment(assignment_dir)
    with tempfile.TemporaryDirectory() as tmp:
        subs = copies(assignment.source_notebook, Path(tmp) / "subs", n)
        for workers in (1, 2):
            start = time.perf_counter()
            grade(assignment_dir, subs, Path(tmp) / f"jobs{workers}", jobs=workers, progress=False)
            jobs_seconds = time.perf_counter() - start
            start = time.perf_counter()
            with local_cluster(workers) as cluster, Client(cluster) as client:
                client.wait_for_workers(workers)
                started = time.perf_counter() - start
                start = time.perf_counter()
                summary = grade(assignment_dir, subs, Path(tmp) / f"dask{workers}", progress=False,
                                scheduler=cluster.scheduler_address)
                dask_seconds = time.perf_counter() - start
            assert len(summary.graded) == n and summary.mean == summary.max_total, json.dumps(summary.to_dict())
            assert (Path(tmp) / f"dask{workers}" / "gradebook.csv").read_text() == \
                (Path(tmp) / f"jobs{workers}" / "gradebook.csv").read_text()
            overhead = (dask_seconds - jobs_seconds) * workers / n
            outside = {kind: wall * workers / n - np.mean([json.loads(p.read_text())["seconds"] for p in
                                                           (Path(tmp) / f"{kind}{workers}" / "results").glob("*.json")])
                       for kind, wall in (("jobs", jobs_seconds), ("dask", dask_seconds))}
            print(f"{assignment_dir.name:24s} dask workers={workers}  {n} submissions in {dask_seconds:6.1f} s  "
                  f"{60 * n / dask_seconds:6.1f} submissions/min  {dask_seconds / n:5.2f} s/submission  "
                  f"(--jobs {workers}: {jobs_seconds:6.1f} s, {60 * n / jobs_seconds:6.1f}/min)\n"
                  f"{'':24s}   Dask overhead {overhead:+.2f} s per submission; time outside grading per submission: "
                  f"--jobs {outside['jobs']:.3f} s, Dask {outside['dask']:.3f} s, difference "
                  f"{outside['dask'] - outside['jobs']:+.3f} s; cluster start-up {started:.1f} s (not counted)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--assignment", type=Path, action="append", help="assignment folder(s); default A1 and toy")
    parser.add_argument("-n", type=int, default=40, help="submissions per run")
    parser.add_argument("--no-dask", action="store_true", help="skip the Dask LocalCluster runs")
    parser.add_argument("--only-dask", action="store_true", help="only the Dask runs (and their --jobs runs)")
    args = parser.parse_args()
    folders = args.assignment or ([A1] if A1.is_dir() else []) + [TOY]
    if not A1.is_dir() and not args.assignment:
        print("assignments/a1_neurons_backprop not found: benchmarking the toy fixture only")
    if not args.only_dask:
        started, bare_numpy, per_call = isolation_costs()
        print(f"isolation: start a sandboxed child and run the toy's cells {started:.2f} s "
              f"(bare python -c 'import numpy': {bare_numpy:.2f} s); one call's round trip {per_call * 1e3:.2f} ms")
        for folder in folders:
            bench(folder.resolve(), args.n)
    if not args.no_dask:
        print(f"load average before the Dask runs: {' '.join(f'{x:.1f}' for x in os.getloadavg())} "
              f"on {os.cpu_count()} cores")
        for folder in folders:
            bench_dask(folder.resolve(), args.n)


if __name__ == "__main__":
    main()
