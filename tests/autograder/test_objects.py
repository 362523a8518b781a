"""Student objects across the process boundary (PyTorch): handles, tensors as arrays, trained models.

Uses the toy PyTorch fixture (tests/autograder/fixtures/toy_torch): a TinyBlock module the tests construct and
inspect, and a TinyNet the notebook trains (or whose weights a student hands in as .npz)."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

from autograder import protocol  # noqa: E402
from autograder.config import load_assignment  # noqa: E402
from autograder.notebook import Cell, code_cells, read_notebook  # noqa: E402
from autograder.runner import Session  # noqa: E402
from autograder.testing import (Student, StudentError, StudentObject, accuracy_of, parameter_count,  # noqa: E402
                                parameter_shapes, state_dict_arrays)

TOY_TORCH = Path(__file__).parent / "fixtures" / "toy_torch"
EXTRA = ("def describe(module):\n    return type(module).__name__ + ' with ' + str(len(list(module.children()))) "
         "+ ' children'\n"
         "def same(a, b):\n    return a is b\n"
         "def as_int64(x):\n    return x.long() * 2\n"
         "def crash():\n    import os\n    os._exit(3)\n"
         "def make_net():\n    return TinyNet()\n"
         "def words(images):\n    return 'not a prediction'\n"
         "class Slow:\n    def wait(self):\n        while True:\n            pass\n")


@pytest.fixture(scope="module")
def session():
    """One sandboxed child running the toy's solution, without its training cell (no test here needs training)."""
    assignment = load_assignment(TOY_TORCH)
    cells = [c for c in code_cells(read_notebook(TOY_TORCH / "toy_torch.ipynb")) if not c.training]
    session = Session(assignment, cells + [Cell(999, EXTRA, (), "the test's extra cell")], [])
    session.start()
    assert session.cell_problems == {}, session.cell_problems
    yield session
    session.close()


def test_constructing_a_class_gives_a_handle_and_methods_run_in_the_child(session):
    student = Student(session)
    block = student.TinyBlock(4, 8, stride=2)
    assert isinstance(block, StudentObject) and repr(block) == "<student object TinyBlock(...)>"
    x = torch.randn(2, 4, 6, 6, generator=torch.Generator().manual_seed(0))
    out = block(x)  # forward, with a tensor in: a tensor comes back
    assert isinstance(out, torch.Tensor) and out.dtype == torch.float32 and tuple(out.shape) == (2, 8, 3, 3)
    # The same values as the grader's own PyTorch layers with the student's weights (the block is in training mode).
    state = {k: torch.from_numpy(v) for k, v in state_dict_arrays(block).items()}
    conv = nn.functional.conv2d(x, state["conv.weight"], stride=2, padding=1)
    bn = nn.functional.batch_norm(conv, None, None, state["bn.weight"], state["bn.bias"], training=True)
    torch.testing.assert_close(out, torch.relu(bn + nn.functional.conv2d(x, state["shortcut.weight"], stride=2)))


def test_parameter_counts_and_shapes_match_torch(session):
    block = Student(session).TinyBlock(16, 32, stride=2)
    reference = {"conv": nn.Conv2d(16, 32, 3, bias=False), "bn": nn.BatchNorm2d(32),
                 "shortcut": nn.Conv2d(16, 32, 1, bias=False)}
    expected = {f"{m}.{n}": tuple(p.shape) for m, layer in reference.items() for n, p in layer.named_parameters()}
    assert parameter_shapes(block) == expected
    assert parameter_count(block) == sum(p.numel() for layer in reference.values() for p in layer.parameters()) == 5184
    state = state_dict_arrays(block)  # buffers too, as plain arrays with their dtypes
    assert state["bn.running_var"].dtype == np.float32 and np.all(state["bn.running_var"] == 1)
    assert state["bn.num_batches_tracked"].dtype == np.int64 and state["bn.num_batches_tracked"].shape == ()


def test_data_attributes_submodules_and_self_returning_methods(session):
    block = Student(session).TinyBlock(3, 3)
    assert block.stride == 1  # a data attribute is data
    assert isinstance(block.shortcut, StudentObject)  # nn.Identity is not data: a handle to it
    x = torch.ones(1, 3, 2, 2)
    torch.testing.assert_close(block.shortcut(x), x)
    same = block.eval()  # returns the module itself: the same handle, not a refused object
    assert isinstance(same, StudentObject) and same._ref == block._ref
    assert block.training is False
    # A handle passed back as an argument is the object itself in the child.
    assert Student(session).same(block, same) is True
    assert Student(session).describe(block) == "TinyBlock with 3 children"
    called = Student(session).same.returning_args([block], b=block)  # arguments after the call: handles again
    assert called.result is False and called.args == ([block],) and called.kwargs == {"b": block}


def test_tensors_keep_dtype_and_shape_and_arrays_stay_arrays(session):
    student = Student(session)
    out = student.as_int64(torch.tensor([[1.7, -2.2]], dtype=torch.float64))
    assert out.dtype == torch.int64 and out.tolist() == [[2, -4]]
    net = student.TinyNet()
    # Arrays in: the student's forward gets an array and fails like in their own notebook.
    with pytest.raises(StudentError) as error:
        net(np.zeros((1, 1, 4, 4), dtype=np.float32))
    assert error.value.type_name in ("TypeError", "AttributeError")
    # A tensor result comes back as an array when the test passed no tensor.
    weight = net.fc.weight
    assert type(weight) is np.ndarray and weight.shape == (2, 16) and weight.dtype == np.float32


def test_objects_that_are_not_data_are_still_refused(session):
    block = Student(session).TinyBlock(2, 2)
    with pytest.raises(StudentError, match="generator is not data") as error:
        block.parameters()
    assert error.value.type_name == "NotData"
    # A factory's result crosses only when the test asks for a handle.
    with pytest.raises(StudentError, match="TinyNet is not data"):
        Student(session).make_net()
    assert isinstance(Student(session).make_net.returning_handle(), StudentObject)


def test_handle_of_another_session_is_refused(session):
    block = Student(session).TinyBlock(2, 2)
    # Never started: one grading process runs one sandboxed child at a time (its uid is named after the process).
    other = Session(load_assignment(TOY_TORCH), [], [])
    with pytest.raises(StudentError, match="belongs to another notebook's process"):
        other.call("same", [block, block], {})
    assert other.child is None


def test_a_handle_dies_with_its_process(session):
    student = Student(session)
    block = student.TinyBlock(2, 2)
    with pytest.raises(StudentError, match="exited with code 3"):
        student.crash()
    with pytest.raises(StudentError, match="no longer exists: the notebook's process was restarted") as error:
        block(torch.zeros(1, 2, 2, 2))
    assert error.value.type_name == "Stopped"
    assert isinstance(student.TinyBlock(2, 2), StudentObject)  # the restarted process serves new handles


def test_a_method_that_hangs_times_out_like_a_function(session):
    slow = Student(session).Slow()
    limits = session.limits
    session.limits = limits._replace(call_timeout=2)  # this test's own short per-call limit
    try:
        with pytest.raises(StudentError, match=r"timed out after 2 s while calling `Slow\(\.\.\.\)\.wait`"):
            slow.wait()
    finally:
        session.limits = limits  # before the restart: the notebook's cells get their usual limit again
    with pytest.raises(StudentError, match="`Slow\\(...\\)` no longer exists: the notebook's process was restarted"):
        slow.wait()
    assert isinstance(Student(session).Slow(), StudentObject)  # the next object lives in the restarted process


def test_accuracy_of_sends_only_images_and_counts_here(session):
    student = Student(session)
    net = student.TinyNet()
    net.load_state_dict({"fc.weight": torch.zeros(2, 16), "fc.bias": torch.tensor([0.0, 1.0])})  # always class 1
    labels = np.array([1, 0, 1, 1, 0, 1, 1])
    images = torch.zeros(7, 1, 4, 4)
    assert accuracy_of(net, images, labels, batch_size=3) == pytest.approx(5 / 7)
    with pytest.raises(ValueError, match="labels"):
        accuracy_of(net, images, labels[:3])
    with pytest.raises(AssertionError, match="class indices"):
        accuracy_of(student.words, images, labels)  # a string is not a prediction


def test_tensor_frames_check_their_dtype():
    back = protocol.decode(protocol.encode({"w": torch.arange(6, dtype=torch.int16).reshape(2, 3)}))
    assert type(back["w"]) is np.ndarray and back["w"].dtype == np.int16 and back["w"].shape == (2, 3)
    half = protocol.decode(protocol.encode(torch.ones(2, dtype=torch.bfloat16)),
                           tensor=lambda a, d: torch.from_numpy(a.copy()).to(getattr(torch, d)))
    assert half.dtype == torch.bfloat16
    frames = protocol.encode(np.zeros(2, dtype=np.int64))
    frames[0] = json.dumps({"value": {"__tensor__": [0, "float32"]}, "arrays": 1}).encode()
    with pytest.raises(protocol.ProtocolError, match="float32 tensor arrived as an array of dtype int64"):
        protocol.decode(frames)
    for forged in ({"__tensor__": [0, "object"]}, {"__handle__": -1}, {"__handle__": "x"}):
        frames[0] = json.dumps({"value": forged, "arrays": 1}).encode()
        with pytest.raises(protocol.ProtocolError):
            protocol.decode(frames)


def test_numpy_grading_never_imports_torch(tmp_path):
    """The autograder itself imports torch only when a test passes a tensor."""
    toy = Path(__file__).parent / "fixtures" / "toy"
    code = ("import sys; from autograder import grade_notebook, load_assignment, load_checks\n"
            f"a = load_assignment({str(toy)!r}); r = grade_notebook(a, load_checks(a), {str(toy / 'toy.ipynb')!r})\n"
            "assert r.total == 5, r.total\nprint('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_too_small_a_memory_limit_for_torch_says_so():
    """The toy NumPy assignment's 1024 MiB address space cannot map torch's libraries: the message names the key."""
    assignment = load_assignment(Path(__file__).parent / "fixtures" / "toy")
    session = Session(assignment, [Cell(1, "import torch", (), 'cell "import torch"')], [])
    try:
        session.start()
    finally:
        session.close()
    assert "the assignment's memory_mb is too small for it; PyTorch needs memory_mb = 4096" in session.cell_problems[1]
