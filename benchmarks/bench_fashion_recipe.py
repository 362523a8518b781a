"""The Fashion-MNIST recipe against d2l's LeNet setting, measured in one run on the same machine.

Trains ``cnncourse.torch.recipes.D2L_LENET`` (sigmoid, average pooling, plain SGD at lr 0.9, batch
256, 10 epochs) and ``RECIPE`` (``train_fashion_mnist``) on the 60,000 training images, alternating
the two for each seed so that a change in the machine's load hits both, and prints test accuracy
(mean and spread over the seeds), wall-clock and CPU time per run, and the ratio of the mean times.
Target: recipe accuracy >= 91.5% (mean over 3 seeds) and wall-time ratio recipe/baseline <= 1.
Both use torch's default number of threads (2 on the book's machine). Results go to
benchmarks/results/fashion_recipe.json, which chapter 9 reads and displays.

    python benchmarks/bench_fashion_recipe.py                 # baseline and recipe, 3 seeds
    python benchmarks/bench_fashion_recipe.py --ablation      # every row of recipes.ABLATION too
    python benchmarks/bench_fashion_recipe.py --tune          # recipe candidates on a held-out 10,000 training images
"""

from __future__ import annotations

import argparse
import datetime
import json
import platform
import statistics
import time
from pathlib import Path

import torch

from cnncourse import data
from cnncourse.torch.recipes import ABLATION, D2L_LENET, RECIPE, TrainConfig, train_with_config

RESULTS = Path(__file__).resolve().parent / "results"


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def run(config: TrainConfig, split: data.Split, seed: int) -> dict:
    wall, cpu = time.perf_counter(), time.process_time()
    _, history = train_with_config(config, split, seed=seed, device="cpu")
    return {"seed": seed, "test_acc": history.val_acc[-1], "wall_s": time.perf_counter() - wall,
            "cpu_s": time.process_time() - cpu}


def summary(runs: list[dict]) -> dict:
    accs, walls, cpus = ([r[k] for r in runs] for k in ("test_acc", "wall_s", "cpu_s"))
    spread = statistics.stdev if len(runs) > 1 else (lambda v: 0.0)
    return {"acc_mean": statistics.mean(accs), "acc_std": spread(accs), "wall_mean": statistics.mean(walls),
            "wall_std": spread(walls), "cpu_mean": statistics.mean(cpus), "runs": runs}


def line(name: str, s: dict) -> str:
    return (f"{name:58s} {100 * s['acc_mean']:6.2f} +- {100 * s['acc_std']:.2f} %   "
            f"wall {s['wall_mean']:6.1f} +- {s['wall_std']:4.1f} s   cpu {s['cpu_mean']:6.1f} s")


def report(baseline_runs: list[dict], recipe_runs: list[dict], seeds: list[int]) -> dict:
    baseline, recipe = summary(baseline_runs), summary(recipe_runs)
    return {"date": datetime.date.today().isoformat(), "machine": cpu_name(), "threads": torch.get_num_threads(),
            "torch": torch.__version__, "seeds": seeds[: len(recipe_runs)], "complete": len(recipe_runs) == len(seeds),
            "baseline": baseline, "recipe": recipe, "wall_ratio": recipe["wall_mean"] / baseline["wall_mean"],
            "cpu_ratio": recipe["cpu_mean"] / baseline["cpu_mean"]}


def write(result: dict) -> None:
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "fashion_recipe.json").write_text(json.dumps(result, indent=1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--ablation", action="store_true", help="also run every row of recipes.ABLATION")
    parser.add_argument("--tune", action="store_true", help="compare recipe candidates on held-out training data")
    parser.add_argument("--only", nargs="*", help="with --tune: only these candidates (by name)")
    args = parser.parse_args()
    split = data.load_fashion_mnist()
    seeds = list(range(args.seeds))
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {cpu_name()}")

    if args.tune:
        # Held out: the last 10,000 training images. The test set plays no part in choosing.
        held = data.Split(split.x_train[:50000], split.y_train[:50000], split.x_train[50000:],
                          split.y_train[50000:], split.class_names)
        candidates = {"lr 0.2 (the first recipe)": RECIPE.replace(lr=0.2),
                      "lr 0.2, 5 epochs": RECIPE.replace(lr=0.2, epochs=5),
                      "lr 0.2, width 20": RECIPE.replace(lr=0.2, width=20),
                      "lr 0.1, batch 128": RECIPE.replace(lr=0.1, batch_size=128),
                      "lr 0.4 (the recipe)": RECIPE, "lr 0.6": RECIPE.replace(lr=0.6), "lr 0.8": RECIPE.replace(lr=0.8)}
        if args.only:
            candidates = {name: config for name, config in candidates.items() if name in args.only}
        path = RESULTS / "fashion_recipe_tuning.json"  # earlier candidates stay; those run now are replaced
        tuned = json.loads(path.read_text()) if path.exists() else {}
        for name, config in candidates.items():
            tuned[name] = summary([run(config, held, s) for s in seeds])
            print(line(f"[held-out] {name}", tuned[name]), flush=True)
            RESULTS.mkdir(exist_ok=True)
            path.write_text(json.dumps(tuned, indent=1))
        return

    baseline_runs, recipe_runs = [], []
    for seed in seeds:  # alternate, so that both see the same load
        baseline_runs.append(run(D2L_LENET, split, seed))
        recipe_runs.append(run(RECIPE, split, seed))
        print(f"seed {seed}: baseline {baseline_runs[-1]}, recipe {recipe_runs[-1]}", flush=True)
        # Written after every seed, so that an interrupted run still leaves what it measured.
        result = report(baseline_runs, recipe_runs, seeds)
        write(result)
    baseline, recipe, ratio = result["baseline"], result["recipe"], result["wall_ratio"]
    print(line("d2l LeNet (baseline)", baseline))
    print(line("recipe (train_fashion_mnist)", recipe))
    print(f"wall-time ratio recipe/baseline {ratio:.2f} (target <= 1), CPU-time ratio {result['cpu_ratio']:.2f}; "
          f"accuracy gain {100 * (recipe['acc_mean'] - baseline['acc_mean']):.1f} points; "
          f"recipe target 91.5%: {'met' if recipe['acc_mean'] >= 0.915 and ratio <= 1 else 'NOT met'}")

    if args.ablation:
        rows = []
        for name, config in ABLATION:
            s = summary([run(config, split, seed) for seed in seeds])
            print(line(name, s), flush=True)
            rows.append({"row": name, **s})
            result["ablation"] = rows
            write(result)


if __name__ == "__main__":
    main()
