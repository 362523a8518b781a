"""The scalar autograd against hand-worked examples, PyTorch (float64) and finite differences."""

import math

import numpy as np
import pytest
import torch

from cnncourse.numpy.autograd import Value, to_dot, trace


def test_course_example_x_plus_y_times_z():
    x, y, z = Value(-2.0, "x"), Value(5.0, "y"), Value(-4.0, "z")
    q = x + y
    f = q * z
    f.backward()
    assert q.data == 3.0 and f.data == -12.0
    assert (x.grad, y.grad, z.grad, q.grad) == (-4.0, -4.0, 3.0, -4.0)


def _expression(a, b, c, maximum):
    """One expression that uses every operation; works on Values and on torch tensors alike."""
    d = a * b + 2.0 - c / (1.0 + b * b)
    e = (-d).tanh() * 3.0 + d.relu() - (c * 0.5).sigmoid()
    g = maximum(e, a * c) + 1.0 / (2.0 + e.sigmoid())
    h = (g * g + 1.0).log() + (a * 0.3).exp() ** 1.5 - 2.0 * b
    k = h / (1.0 + e * e) + 4.0 - c ** 2 + (d - 1.0) * g
    return 1.0 - k + 0.5 * maximum(k, 1.0 - a)


@pytest.mark.parametrize("seed", range(5))
def test_random_expression_matches_torch(seed):
    rng = np.random.default_rng(seed)
    a0, b0, c0 = rng.uniform(-2, 2, size=3)
    a, b, c = Value(a0), Value(b0), Value(c0)
    out = _expression(a, b, c, Value.max)
    out.backward()

    ta, tb, tc = (torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (a0, b0, c0))
    tout = _expression(ta, tb, tc, lambda u, v: torch.maximum(u, torch.as_tensor(v, dtype=torch.float64)))
    tout.backward()

    assert out.data == pytest.approx(tout.item(), rel=1e-12, abs=1e-12)
    for v, t in [(a, ta), (b, tb), (c, tc)]:
        assert v.grad == pytest.approx(t.grad.item(), rel=1e-10, abs=1e-12)


def test_gradients_match_finite_differences():
    point = np.array([0.7, -1.3, 0.4])

    def f(p):
        return _expression(*(Value(v) for v in p), Value.max).data

    values = [Value(v) for v in point]
    _expression(*values, Value.max).backward()
    eps = 1e-6
    for i, v in enumerate(values):
        step = np.zeros(3)
        step[i] = eps
        numeric = (f(point + step) - f(point - step)) / (2 * eps)
        assert v.grad == pytest.approx(numeric, rel=1e-5, abs=1e-7)


def test_value_used_twice_accumulates():
    x = Value(3.0, "x")
    y = x * x + x  # dy/dx = 2x + 1 = 7, reached along three paths
    y.backward()
    assert y.data == 12.0 and x.grad == 7.0
    z = x + x
    z.backward()
    assert x.grad == 2.0


def test_backward_twice_gives_the_same_gradients():
    x, y = Value(1.5), Value(-0.5)
    f = (x * y).tanh() + x
    f.backward()
    first = (x.grad, y.grad)
    f.backward()
    assert (x.grad, y.grad) == first


def test_max_gate_routes_gradient_to_the_larger_input():
    a, b = Value(2.0), Value(5.0)
    m = Value.max(a, b) * 3.0
    m.backward()
    assert m.data == 15.0 and (a.grad, b.grad) == (0.0, 3.0)
    c = Value(-1.0)
    m = a.max(c) * 3.0
    m.backward()
    assert (a.grad, c.grad) == (3.0, 0.0)
    # A tie sends everything to the first input, so the gradient still sums to the upstream one.
    t = Value.max(a, Value(2.0))
    t.backward()
    assert a.grad == 1.0


def test_reflected_operators_with_numbers():
    x = Value(4.0)
    assert (2 + x).data == 6.0 and (2 - x).data == -2.0
    assert (2 * x).data == 8.0 and (2 / x).data == 0.5
    (10 / x).backward()
    assert x.grad == pytest.approx(-10 / 16)


def test_unary_functions_at_known_points():
    x = Value(0.0)
    for method, value, grad in [("exp", 1.0, 1.0), ("tanh", 0.0, 1.0), ("sigmoid", 0.5, 0.25), ("relu", 0.0, 0.0)]:
        out = getattr(x, method)()
        out.backward()
        assert (out.data, x.grad) == (value, grad), method
    y = Value(math.e)
    y.log().backward()
    assert y.grad == pytest.approx(1 / math.e)
    # The stable sigmoid neither overflows nor loses its value far from 0.
    assert Value(-1000.0).sigmoid().data == 0.0 and Value(1000.0).sigmoid().data == 1.0


def test_bad_input_raises():
    with pytest.raises(TypeError, match="data must be a real number"):
        Value("3")
    with pytest.raises(TypeError, match="exponent must be a plain number"):
        Value(2.0) ** Value(3.0)
    with pytest.raises(ValueError, match="log needs a positive input"):
        Value(-1.0).log()
    with pytest.raises(ValueError, match="negative base"):
        Value(-2.0) ** 0.5
    with pytest.raises(ZeroDivisionError):
        Value(1.0) / 0
    with pytest.raises(TypeError):
        Value(1.0) + "a"
    with pytest.raises(TypeError, match="other must be a Value or a number"):
        Value(1.0).max("a")
    with pytest.raises(TypeError, match="root must be a Value"):
        trace(3.0)


def test_trace_is_topological_with_one_edge_per_use():
    x, y = Value(2.0, "x"), Value(3.0, "y")
    q = x * y
    f = q + x
    nodes, edges = trace(f)
    assert len(nodes) == 4 and nodes[-1] is f
    position = {id(n): i for i, n in enumerate(nodes)}
    assert all(position[id(a)] < position[id(b)] for a, b in edges)
    assert len(edges) == 4  # x -> q, y -> q, q -> f, x -> f


def test_trace_handles_a_long_chain():
    x = Value(1.0)
    total = x
    for _ in range(5000):  # deeper than Python's default recursion limit
        total = total + x
    total.backward()
    assert x.grad == 5001.0


def test_to_dot_contains_every_node_and_op():
    x, y, z = Value(-2.0, "x"), Value(5.0, "y"), Value(-4.0, "z")
    q = x + y
    q.label = "q"
    f = q * z
    f.label = "f"
    f.backward()
    dot = to_dot(f)
    assert dot.startswith("digraph") and dot.rstrip().endswith("}")
    nodes, edges = trace(f)
    for node in nodes:
        assert f"n{id(node)} [" in dot
        assert f"{{ {node.label} | data {node.data:.4f} | grad {node.grad:.4f} }}" in dot
    assert 'label="+"' in dot and 'label="*"' in dot
    assert dot.count(" -> ") == len(edges) + 2  # plus one op -> value edge for q and f


def test_draw_graph_shows_every_value_and_op():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.text import Annotation

    from cnncourse.plot import draw_graph

    x, y = Value(2.0, "x"), Value(-3.0, "y")
    f = (x * y + 1.0).tanh()
    f.label = "f"
    f.backward()
    fig, ax = plt.subplots()
    assert draw_graph(f, ax=ax) is ax
    nodes, edges = trace(f)
    ops = [n for n in nodes if n.op]
    arrows = [t for t in ax.texts if isinstance(t, Annotation)]
    boxes = [t.get_text() for t in ax.texts if not isinstance(t, Annotation)]
    assert len(boxes) == len(nodes) + len(ops) and len(arrows) == len(edges) + len(ops)
    assert f"x\ndata 2\ngrad {x.grad:.4g}" in boxes
    assert {"*", "+", "tanh"} <= set(boxes)
    # Inputs stand to the left of the values computed from them.
    position = {t.get_text(): t.get_position()[0] for t in ax.texts if not isinstance(t, Annotation)}
    assert position[f"x\ndata 2\ngrad {x.grad:.4g}"] < position["*"] < position["tanh"]
    plt.close(fig)
