"""Networks written the way the ecosystem's generators write them (issue 14 item 20).

einsum_benchmark's ``regular(n, reg)`` (adapted from cotengra) numbers the edges of a
random regular graph and labels edge ``i`` with ``opt_einsum.get_symbol(i)``: past 52
edges the labels are symbols such as '×' (75) and '÷' (107), joined without spaces and
with an empty output.  Those equations parse and contract like any other; opt_einsum's
own ``contract`` is the oracle (numpy.einsum takes at most 52 labels).
"""
import random

import numpy as np
import opt_einsum
import pytest

import contract as ct


def regular_equation(n, reg, seed, d_min=2, d_max=3):
    """einsum_benchmark's ``regular`` without networkx: a seeded random ``reg``-regular
    graph (configuration model, retried until simple), edge ``i`` -> get_symbol(i)."""
    rng = random.Random(seed)
    while True:
        stubs = [node for node in range(n) for _ in range(reg)]
        rng.shuffle(stubs)
        edges = list(zip(stubs[::2], stubs[1::2]))
        if all(a != b for a, b in edges) and len({frozenset(e) for e in edges}) == len(edges):
            break
    inputs = [[] for _ in range(n)]
    for i, (a, b) in enumerate(edges):
        inputs[a].append(opt_einsum.get_symbol(i))
        inputs[b].append(opt_einsum.get_symbol(i))
    size = {opt_einsum.get_symbol(i): rng.randint(d_min, d_max) for i in range(len(edges))}
    equation = ",".join("".join(term) for term in inputs) + "->"
    return equation, [tuple(size[c] for c in term) for term in inputs]


CASES = [(60, 3, 0), (60, 3, 1), (80, 3, 2), (90, 3, 5)]


@pytest.mark.parametrize("n, reg, seed", CASES)
def test_regular_networks_with_symbol_labels(n, reg, seed):
    equation, shapes = regular_equation(n, reg, seed)
    labels = set(equation) - set(",->")
    assert len(labels) == n * reg // 2 and len(labels) >= 90
    if len(labels) > 107:
        assert {"×", "÷"} <= labels
    rng = np.random.default_rng(seed)
    arrays = [rng.uniform(0.5, 1.0, s) for s in shapes]
    want = opt_einsum.contract(equation, *arrays, optimize="greedy")
    for optimize in ("auto", "greedy"):
        got = ct.einsum(equation, *arrays, optimize=optimize)
        np.testing.assert_allclose(got, want, rtol=1e-9)
    assert ct.plan(equation, *shapes).equation == equation


def test_open_outputs_and_the_interleaved_form_agree():
    equation, shapes = regular_equation(60, 3, 4)
    inputs = equation[:-2].split(",")
    keep = inputs[0][:2]                        # leave two of the first tensor's edges open
    open_equation = equation + keep
    rng = np.random.default_rng(4)
    arrays = [rng.uniform(0.5, 1.0, s) for s in shapes]
    want = opt_einsum.contract(open_equation, *arrays, optimize="greedy")
    np.testing.assert_allclose(ct.einsum(open_equation, *arrays), want, rtol=1e-9)
    number = {c: k for k, c in enumerate(dict.fromkeys(equation[:-2].replace(",", "")))}
    args = [x for term, a in zip(inputs, arrays) for x in (a, [number[c] for c in term])]
    got = ct.einsum(*args, [number[c] for c in keep])
    np.testing.assert_allclose(got, want, rtol=1e-9)


def test_einsum_benchmarks_own_generator_when_installed():
    pytest.importorskip("networkx")
    generators = pytest.importorskip("einsum_benchmark.generators.random")
    equation, shapes = generators.regular(60, 3, seed=1)
    assert ct.plan(equation, *shapes).largest_intermediate > 0
