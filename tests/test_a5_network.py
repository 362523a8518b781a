"""The trained network assignment 5 ships (assignments/a5_understanding_breaking): its weights are plain arrays that
fit the network class, the network reaches its test accuracy on Fashion-MNIST, and the notebook's provided cell
defines the same class as make_network.py (which trained it, and from which the hidden tests build the grader's
copy) and loads the same weights."""

import ast
import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from cnncourse.data import load_fashion_mnist

A5 = Path(__file__).resolve().parent.parent / "assignments" / "a5_understanding_breaking"


@pytest.fixture(scope="module")
def make_network():
    spec = importlib.util.spec_from_file_location("a5_make_network", A5 / "make_network.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def weights():
    with np.load(A5 / "fashion_cnn.npz", allow_pickle=False) as archive:  # raises if the file holds a pickle
        return {name: archive[name] for name in archive.files}


def provided_cell():
    """The notebook's cell that defines FashionCNN (not a question: students get it as it is)."""
    notebook = json.loads((A5 / "a5_understanding_breaking.ipynb").read_text(encoding="utf-8"))
    cells = ["".join(c["source"]) for c in notebook["cells"]
             if c["cell_type"] == "code" and "class FashionCNN" in "".join(c["source"])]
    assert len(cells) == 1, "exactly one cell of the notebook should define FashionCNN"
    return cells[0]


def class_node(source, name="FashionCNN"):
    return next(node for node in ast.parse(source).body if isinstance(node, ast.ClassDef) and node.name == name)


def test_weights_are_numeric_arrays_that_fit_the_network(make_network, weights):
    assert all(type(a) is np.ndarray and a.dtype.kind in "fiu" for a in weights.values())
    expected = {name: tuple(value.shape) for name, value in make_network.FashionCNN().state_dict().items()}
    assert {name: a.shape for name, a in weights.items()} == expected


def test_the_network_reaches_its_test_accuracy(make_network, weights):
    model = make_network.FashionCNN()
    model.load_state_dict({name: torch.as_tensor(value) for name, value in weights.items()})
    model.eval()
    data = load_fashion_mnist()
    with torch.no_grad():
        predicted = torch.cat([model(torch.from_numpy(data.x_test[i:i + 2000])).argmax(dim=1)
                               for i in range(0, len(data.x_test), 2000)])
    accuracy = float((predicted.numpy() == data.y_test).mean())
    print(f"A5's network: test accuracy {accuracy:.4f} on {len(data.y_test)} Fashion-MNIST test images")
    assert accuracy >= make_network.MIN_TEST_ACCURACY  # 0.8984 when the file was made (make_network.py)


def test_the_notebook_defines_the_same_network_and_loads_the_file(make_network, weights, monkeypatch):
    source = provided_cell()
    script = (A5 / "make_network.py").read_text(encoding="utf-8")
    assert ast.dump(class_node(source)) == ast.dump(class_node(script)), (
        "the notebook's FashionCNN differs from make_network.py's: copy the class verbatim")
    monkeypatch.chdir(A5)  # where a student's notebook runs, beside fashion_cnn.npz
    namespace = {}
    exec(compile("import numpy as np\nimport torch\nfrom torch import nn\n" + source, "provided cell", "exec"), namespace)
    reference = make_network.FashionCNN()
    reference.load_state_dict({name: torch.as_tensor(value) for name, value in weights.items()})
    x = torch.from_numpy(load_fashion_mnist().x_test[:64])
    with torch.no_grad():
        assert not namespace["model"].training
        torch.testing.assert_close(namespace["model"](x), reference.eval()(x))
