"""Instructor solutions, chapter 2: neurons.

Each function's docstring is the written answer; its body computes and asserts the numbers the
answer states. The data and settings are the chapter's: the close blobs (seed 2), the XOR gate, and
the XOR networks trained with SGD, learning rate 2 and momentum 0.9.
"""

from __future__ import annotations

import numpy as np

from cnncourse.numpy import MLP, SGD, Perceptron, Sequential, Sigmoid, mse_loss, sigmoid

X_GATE = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
Y_XOR = np.array([[0.0], [1.0], [1.0], [0.0]])


def _close_blobs():
    rng = np.random.default_rng(2)
    x = np.vstack([rng.normal([-0.7, -0.42], 0.4, (50, 2)), rng.normal([0.7, 0.42], 0.4, (50, 2))])
    return x, np.repeat([0, 1], 50)


def _train_xor(hidden: int, seed: int, activation: str = "sigmoid", steps: int = 2000, target: float | None = None):
    """The chapter's XOR network; returns (net, steps taken: the first step with loss < target, or ``steps``)."""
    net = Sequential(*MLP([2, hidden, 1], activation=activation, seed=seed, dtype=np.float64), Sigmoid())
    optimizer = SGD(net, lr=2.0, momentum=0.9)
    for step in range(steps):
        loss, da = mse_loss(net.forward(X_GATE), Y_XOR)
        if target is not None and loss < target:
            return net, step
        net.backward(da)
        optimizer.step()
    return net, steps


def _solves_xor(net) -> bool:
    return bool(((net.forward(X_GATE).ravel() > 0.5) == Y_XOR.ravel().astype(bool)).all())


def exercise_1():
    """z = w.x + b = 2*0 + (-1)*3 + 1 = -2 < 0: the point is on the negative side (the neuron predicts
    class 0). Projection: for any x0 on the line (w.x0 = -b) the signed distance is
    d = w.(x - x0) / ||w|| = (w.x + b) / ||w|| = z / ||w|| = -2 / sqrt(5) = -0.894, so the point is
    0.894 from the boundary. Check: the closest point of the line, x - d w/||w||, has z = 0.
    """
    w, b, x = np.array([2.0, -1.0]), 1.0, np.array([0.0, 3.0])
    z = w @ x + b
    d = z / np.linalg.norm(w)
    assert z == -2 and abs(d + 2 / np.sqrt(5)) < 1e-12 and abs(abs(d) - 0.894) < 5e-4
    foot = x - d * w / np.linalg.norm(w)
    assert abs(w @ foot + b) < 1e-12


def exercise_2():
    """sigma(-z) = 1 / (1 + e^z). Multiply numerator and denominator by e^-z:
    = e^-z / (e^-z + 1) = (1 + e^-z - 1) / (1 + e^-z) = 1 - 1 / (1 + e^-z) = 1 - sigma(z).
    Second derivation of the derivative: sigma'(z) = e^-z / (1 + e^-z)^2
    = [1 / (1 + e^-z)] * [e^-z / (1 + e^-z)] = sigma(z) * sigma(-z) (the second factor is the line
    above) = sigma(z) (1 - sigma(z)).
    """
    z = np.linspace(-6, 6, 25)
    assert np.allclose(sigmoid(-z), 1 - sigmoid(z))
    numeric = (sigmoid(z + 1e-6) - sigmoid(z - 1e-6)) / 2e-6
    assert np.allclose(numeric, sigmoid(z) * sigmoid(-z), atol=1e-8)


def exercise_3():
    """L = -[y log a + (1-y) log(1-a)], a = sigma(z). dL/da = -y/a + (1-y)/(1-a); da/dz = a(1-a);
    dL/dz = -y(1-a) + (1-y)a = a - y. For the squared error of one example, L = (a - y)^2,
    dL/dz = 2(a - y) a(1 - a). At y = 1, z = -5 (confidently wrong, a = sigma(-5) = 0.0067):
    cross-entropy gradient a - y = -0.993; squared-error gradient 2(a-1)a(1-a) = -0.0132, 75 times
    smaller. The squared error's factor a(1-a) is tiny exactly when the sigmoid saturates, also when it
    saturates on the wrong side, so a confidently wrong neuron barely learns; cross-entropy's log
    cancels that factor and the gradient stays about -1 until the answer is right.
    """
    y, z = 1.0, -5.0
    bce = lambda z_: -(y * np.log(sigmoid(z_)) + (1 - y) * np.log(1 - sigmoid(z_)))
    se = lambda z_: (sigmoid(z_) - y) ** 2
    a = sigmoid(z)
    g_bce = (bce(z + 1e-6) - bce(z - 1e-6)) / 2e-6
    g_se = (se(z + 1e-6) - se(z - 1e-6)) / 2e-6
    assert abs(g_bce - (a - y)) < 1e-6 and abs(g_se - 2 * (a - y) * a * (1 - a)) < 1e-6
    assert abs(g_bce + 0.993) < 1e-3 and abs(g_se + 0.0132) < 1e-4 and 70 < g_bce / g_se < 80


def exercise_4():
    """Total mistakes on the chapter's close blobs for the five example orders (seeds 0-4) are
    43, 39, 45, 41, 43 with learning rate 0.01, with 1 and with 100: identical. Starting from w = 0,
    b = 0, every update adds lr * (y - y_hat) * (x, 1), so after any sequence of updates
    theta = lr * (the theta that lr = 1 would give). The prediction depends only on the sign of
    theta . (x, 1), which scaling by lr > 0 does not change, so the same examples are mistakes in the
    same order. (This is why Novikoff's bound does not depend on eta.)
    """
    x, y = _close_blobs()
    totals = {lr: [sum(Perceptron(2, lr=lr).fit(x, y, epochs=1000, seed=s)) for s in range(5)] for lr in (0.01, 1.0, 100.0)}
    assert totals[1.0] == [43, 39, 45, 41, 43]
    assert totals[0.01] == totals[1.0] == totals[100.0]


def exercise_5():
    """Ten seeds each, the chapter's settings (lr 2, momentum 0.9, 2,000 steps): with 2 hidden units
    2 runs of 10 fail (seeds 4 and 6), with 3 and with 8 hidden units none. In both failed runs two
    outputs sit at 0.5: one input of each class, e.g. seed 4 gives (0.01, 0.99, 0.50, 0.50) for
    (0,0), (0,1), (1,0), (1,1). The plot of the two hidden lines w_j . x + b_j = 0 shows why: both
    lines put (1,0) and (1,1) on the same side with saturated hidden units, so the hidden layer maps
    these two inputs to the same point and no output unit can separate them: a local minimum. More
    hidden units give more lines, and a bad start no longer traps the network.
    """
    failures = {h: [s for s in range(10) if not _solves_xor(_train_xor(h, s)[0])] for h in (2, 3, 8)}
    assert failures == {2: [4, 6], 3: [], 8: []}
    net = _train_xor(2, 4)[0]
    outputs = net.forward(X_GATE).ravel()
    assert abs(outputs[2] - 0.5) < 0.01 and abs(outputs[3] - 0.5) < 0.01
    hidden = net[1].forward(net[0].forward(X_GATE))
    assert (hidden[2:] > 0.99).all()  # (1,0) and (1,1) land on the same corner (1, 1) of hidden space


def exercise_6():
    """Steps until the squared error falls below 0.01 (2-4-1 network, lr 2, momentum 0.9, ten seeds,
    at most 3,000 steps): sigmoid hidden units median 75 (range 62-149), all ten get there; ReLU hidden
    units median 20 (range 11 to never), but 2 of 10 runs never reach 0.01. ReLU trains faster when it
    trains (its derivative is 1, not at most 1/4, for active units), but a unit whose input is
    negative for all four points has zero gradient and never recovers ("dead" ReLU), and with only
    four hidden units that can leave too few units to solve XOR.
    """
    sig = np.array([_train_xor(4, s, "sigmoid", 3000, 0.01)[1] for s in range(10)])
    relu = np.array([_train_xor(4, s, "relu", 3000, 0.01)[1] for s in range(10)])
    assert np.median(sig) == 75 and sig.max() < 3000
    assert np.median(relu) == 20 and np.sum(relu == 3000) == 2


if __name__ == "__main__":
    for name, func in sorted(globals().items()):
        if name.startswith("exercise_"):
            func()
            print(name, "ok")
