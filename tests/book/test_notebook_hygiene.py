"""Committed notebooks carry no error output, and chapters import code only from cnncourse.

A chapter may import the standard library and installed packages, but never a module that lives in
this repository outside cnncourse, and never edits sys.path or runs other files to get at code.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import re
from pathlib import Path

import pytest

from .conftest import ROOT, chapter_notebooks

ALL_NOTEBOOKS = sorted(
    p
    for p in ROOT.rglob("*.ipynb")
    if not {".venv", "_build", "node_modules", ".ipynb_checkpoints"} & set(p.relative_to(ROOT).parts)
)
MAGIC = re.compile(r"^\s*[%!]")
LOADERS = re.compile(r"sys\.path|%run|exec\s*\(\s*open|runpy|importlib\.(machinery|util\.spec_from_file)|__import__")


def code_cells(path: Path) -> list[str]:
    nb = json.loads(path.read_text())
    return ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]


def imported_modules(source: str) -> list[str]:
    """Top-level module names imported by a cell (IPython magics are skipped)."""
    code = "\n".join("" if MAGIC.match(line) else line for line in source.splitlines())
    names = []
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Import):
            names += [a.name.split(".")[0] for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                names.append("." * node.level)
            elif node.module:
                names.append(node.module.split(".")[0])
    return names


def is_outside_cnncourse(module: str) -> bool:
    """True when `module` is code from this repository that is not the cnncourse package."""
    if module.startswith(".") :
        return True
    if module == "cnncourse":
        return False
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin in (None, "built-in", "frozen"):
        return spec is None
    origin = Path(spec.origin).resolve()
    return ROOT in origin.parents and ".venv" not in origin.parts


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_error_outputs(path: Path) -> None:
    nb = json.loads(path.read_text())
    for i, cell in enumerate(nb["cells"]):
        for out in cell.get("outputs", []):
            assert out.get("output_type") != "error", f"{path.name}: cell {i} has an error output ({out.get('ename')})"


@pytest.mark.parametrize("path", chapter_notebooks(), ids=lambda p: p.name)
def test_chapter_imports_only_cnncourse(path: Path) -> None:
    for i, source in enumerate(code_cells(path)):
        assert not LOADERS.search(source), f"{path.name}: cell {i} loads code by path instead of importing cnncourse"
        bad = [m for m in imported_modules(source) if is_outside_cnncourse(m)]
        assert not bad, f"{path.name}: cell {i} imports {bad}, code from outside cnncourse or not installed"


def test_rule_catches_a_local_module(tmp_path: Path) -> None:
    """The import rule itself: a module of this repository outside cnncourse is flagged, numpy is not."""
    assert is_outside_cnncourse("autograder")
    assert is_outside_cnncourse(".helpers")
    assert is_outside_cnncourse("no_such_module_xyz")
    assert not is_outside_cnncourse("numpy")
    assert not is_outside_cnncourse("cnncourse")
    assert imported_modules("%matplotlib inline\nfrom cnncourse.numpy import im2col\nimport os.path") == ["cnncourse", "os"]
