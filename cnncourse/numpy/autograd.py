"""A scalar reverse-mode autograd: backpropagation on one number at a time.

Every arithmetic operation on :class:`Value` objects records its inputs and its name, so the
expression becomes a computational graph. ``backward()`` walks that graph from the output back to
the inputs and applies the chain rule at each node: the gradient that arrives at a node (the
*upstream* gradient) times the node's *local* gradient is what it passes on to each input.

>>> x, y, z = Value(-2.0, "x"), Value(5.0, "y"), Value(-4.0, "z")
>>> f = (x + y) * z
>>> f.backward()
>>> f.data, x.grad, y.grad, z.grad
(-12.0, -4.0, -4.0, 3.0)

The layers in :mod:`cnncourse.numpy.layers` do the same thing for whole arrays at once.
"""

from __future__ import annotations

import math
from numbers import Real
from typing import Callable

__all__ = ["Value", "trace", "to_dot"]


class Value:
    """A scalar that remembers how it was computed, so gradients can flow back through it.

    Args:
        data: the number.
        label: a name shown when the graph is drawn (``"x"``, ``"loss"``).

    Attributes:
        data: the value computed in the forward pass.
        grad: d(root)/d(self) after ``root.backward()``; 0.0 before.
        inputs: the Values this one was computed from (empty for a leaf).
        op: the name of the operation that produced it (``""`` for a leaf).
    """

    def __init__(self, data: float, label: str = "", *, _inputs: tuple[Value, ...] = (), _op: str = ""):
        if isinstance(data, bool) or not isinstance(data, Real):
            raise TypeError(f"data must be a real number, got {type(data).__name__}")
        self.data = float(data)
        self.grad = 0.0
        self.label = label
        self.inputs = _inputs
        self.op = _op
        # Adds this node's contribution to the grads of its inputs; set by the operation that made it.
        self._backward: Callable[[], None] = lambda: None

    def __repr__(self) -> str:
        name = f"{self.label}: " if self.label else ""
        return f"Value({name}data={self.data:.4g}, grad={self.grad:.4g})"

    # ---- binary operations: each sets out._backward to "upstream times local gradient" ----
    def __add__(self, other: Value | float) -> Value:
        other = _as_value(other)
        if other is NotImplemented:
            return NotImplemented
        out = Value(self.data + other.data, _inputs=(self, other), _op="+")

        def _backward() -> None:
            # Addition passes the upstream gradient unchanged to both inputs. The += (not =) is
            # what makes gradients add up when a value feeds into more than one operation.
            self.grad += out.grad
            other.grad += out.grad

        out._backward = _backward
        return out

    def __sub__(self, other: Value | float) -> Value:
        other = _as_value(other)
        if other is NotImplemented:
            return NotImplemented
        out = Value(self.data - other.data, _inputs=(self, other), _op="-")

        def _backward() -> None:
            self.grad += out.grad
            other.grad -= out.grad

        out._backward = _backward
        return out

    def __mul__(self, other: Value | float) -> Value:
        other = _as_value(other)
        if other is NotImplemented:
            return NotImplemented
        out = Value(self.data * other.data, _inputs=(self, other), _op="*")

        def _backward() -> None:
            # Multiplication swaps its inputs: d(ab)/da = b and d(ab)/db = a.
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out

    def __truediv__(self, other: Value | float) -> Value:
        other = _as_value(other)
        if other is NotImplemented:
            return NotImplemented
        if other.data == 0.0:
            raise ZeroDivisionError("division of a Value by zero")
        out = Value(self.data / other.data, _inputs=(self, other), _op="/")

        def _backward() -> None:
            self.grad += out.grad / other.data
            other.grad -= self.data / other.data**2 * out.grad

        out._backward = _backward
        return out

    def __pow__(self, exponent: float) -> Value:
        if isinstance(exponent, Value) or isinstance(exponent, bool) or not isinstance(exponent, Real):
            raise TypeError(f"exponent must be a plain number, got {type(exponent).__name__}")
        exponent = float(exponent)
        if self.data < 0 and not exponent.is_integer():
            raise ValueError(f"a negative base ({self.data}) needs an integer exponent, got {exponent}")
        if self.data == 0 and exponent < 0:
            raise ZeroDivisionError(f"0 raised to the negative power {exponent}")
        out = Value(self.data**exponent, _inputs=(self,), _op=f"**{exponent:g}")

        def _backward() -> None:
            self.grad += exponent * self.data ** (exponent - 1) * out.grad

        out._backward = _backward
        return out

    def max(self, other: Value | float) -> Value:
        """The max gate, ``Value.max(a, b)``: routes the whole gradient to the larger input.

        On a tie the gradient goes to ``self`` (PyTorch's ``torch.maximum`` splits it in half).
        """
        if _as_value(other) is NotImplemented:
            raise TypeError(f"other must be a Value or a number, got {type(other).__name__}")
        other = _as_value(other)
        winner = self if self.data >= other.data else other
        out = Value(winner.data, _inputs=(self, other), _op="max")

        def _backward() -> None:
            winner.grad += out.grad

        out._backward = _backward
        return out

    # ---- the reflected forms let a plain number stand on the left: 2 * x, 1 - x, 1 / x ----
    def __radd__(self, other: float) -> Value:
        return _as_value(other) + self if isinstance(other, Real) else NotImplemented

    def __rsub__(self, other: float) -> Value:
        return _as_value(other) - self if isinstance(other, Real) else NotImplemented

    def __rmul__(self, other: float) -> Value:
        return _as_value(other) * self if isinstance(other, Real) else NotImplemented

    def __rtruediv__(self, other: float) -> Value:
        return _as_value(other) / self if isinstance(other, Real) else NotImplemented

    def __neg__(self) -> Value:
        out = Value(-self.data, _inputs=(self,), _op="neg")

        def _backward() -> None:
            self.grad -= out.grad

        out._backward = _backward
        return out

    # ---- unary functions: the local gradient is the derivative at the input ----
    def exp(self) -> Value:
        out = Value(math.exp(self.data), _inputs=(self,), _op="exp")

        def _backward() -> None:
            self.grad += out.data * out.grad  # d(e^x)/dx = e^x, already computed

        out._backward = _backward
        return out

    def log(self) -> Value:
        if self.data <= 0:
            raise ValueError(f"log needs a positive input, got {self.data}")
        out = Value(math.log(self.data), _inputs=(self,), _op="log")

        def _backward() -> None:
            self.grad += out.grad / self.data

        out._backward = _backward
        return out

    def tanh(self) -> Value:
        out = Value(math.tanh(self.data), _inputs=(self,), _op="tanh")

        def _backward() -> None:
            self.grad += (1.0 - out.data**2) * out.grad

        out._backward = _backward
        return out

    def sigmoid(self) -> Value:
        # Two forms of the same function, so that exp never overflows for large |x|.
        if self.data >= 0:
            s = 1.0 / (1.0 + math.exp(-self.data))
        else:
            e = math.exp(self.data)
            s = e / (1.0 + e)
        out = Value(s, _inputs=(self,), _op="sigmoid")

        def _backward() -> None:
            self.grad += s * (1.0 - s) * out.grad

        out._backward = _backward
        return out

    def relu(self) -> Value:
        out = Value(max(self.data, 0.0), _inputs=(self,), _op="relu")

        def _backward() -> None:
            # The gradient at exactly 0 is taken as 0, as PyTorch does.
            self.grad += (self.data > 0) * out.grad

        out._backward = _backward
        return out

    def backward(self) -> None:
        """Fill ``.grad`` of every Value this one depends on with d(self)/d(that value).

        Each call starts from zero (it resets the grads of the whole graph), seeds
        ``self.grad = 1.0`` and visits the nodes in reverse topological order, so a node passes its
        gradient on only after everything that uses it has added to it.
        """
        nodes, _ = trace(self)
        for node in nodes:
            node.grad = 0.0
        self.grad = 1.0
        for node in reversed(nodes):
            node._backward()


def _as_value(x: Value | float) -> Value:
    """Wrap a plain number as a leaf Value; NotImplemented for anything else (Python then raises)."""
    if isinstance(x, Value):
        return x
    if isinstance(x, Real) and not isinstance(x, bool):
        return Value(x)
    return NotImplemented


def trace(root: Value) -> tuple[list[Value], list[tuple[Value, Value]]]:
    """All Values that ``root`` depends on, and the edges between them.

    Returns:
        nodes: every Value in the graph once, in topological order (inputs before the values
            computed from them; ``root`` last).
        edges: ``(input, output)`` pairs, one per use of ``input`` in computing ``output``.
    """
    if not isinstance(root, Value):
        raise TypeError(f"root must be a Value, got {type(root).__name__}")
    nodes: list[Value] = []
    edges: list[tuple[Value, Value]] = []
    visited: set[int] = set()
    # Depth-first search with an explicit stack (a long chain would overflow Python's recursion
    # limit); a node is appended after all of its inputs, which is a topological order.
    stack: list[tuple[Value, bool]] = [(root, False)]
    while stack:
        node, inputs_done = stack.pop()
        if inputs_done:
            nodes.append(node)
            continue
        if id(node) in visited:
            continue
        visited.add(id(node))
        stack.append((node, True))
        for child in node.inputs:
            edges.append((child, node))
            if id(child) not in visited:
                stack.append((child, False))
    return nodes, edges


def to_dot(root: Value) -> str:
    """The graph of ``root`` as Graphviz DOT text, drawn left to right.

    Each Value is a record box ``label | data | grad``; each operation is a circle between its
    inputs and its output. Render it with ``dot -Tsvg`` or the ``graphviz`` Python package.
    """
    nodes, edges = trace(root)
    lines = ["digraph {", "  rankdir=LR;"]
    for node in nodes:
        name = f"n{id(node)}"
        label = _dot_escape(node.label)
        lines.append(
            f'  {name} [shape=record, label="{{ {label} | data {node.data:.4f} | grad {node.grad:.4f} }}"];'
        )
        if node.op:
            lines.append(f'  {name}_op [shape=circle, label="{_dot_escape(node.op)}"];')
            lines.append(f"  {name}_op -> {name};")
    for child, parent in edges:
        lines.append(f"  n{id(child)} -> n{id(parent)}_op;")
    lines.append("}")
    return "\n".join(lines)


def _dot_escape(text: str) -> str:
    # These characters structure a record label in DOT; escaped, they are shown as themselves.
    for ch in '\\"{}|<>':
        text = text.replace(ch, "\\" + ch)
    return text
