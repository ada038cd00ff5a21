"""What ct.compile fuses, read from what it produced: the equations and plans of
``f.program(...)``, FLOPs, the graph its backward keeps, and traced memory high-water
marks (deterministic for these NumPy kernels)."""
import tracemalloc

import numpy as np
import pytest

import contract as ct

RNG = np.random.default_rng(7)


def T(*shape, grad=False):
    return ct.tensor(RNG.standard_normal(shape), dtype=ct.float64, requires_grad=grad)


def equations(f, *args):
    return [(p.equation, p.semiring) for p in f.program(*args).networks]


def test_a_chain_of_matmuls_is_one_network_planned_over_its_leaves():
    a, b, x = T(80, 80), T(80, 80), T(80)
    f = ct.compile(lambda a, b, x: a @ b @ x)
    prog = f.program(a, b, x)
    assert equations(f, a, b, x) == [("ij,jk,k->i", "real")]
    assert prog.flops == ct.plan("ij,jk,k->i", a, b, x).flops
    eager = ct.plan("ij,jk->ik", a, b).flops + ct.plan("ij,j->i", a, x).flops
    assert prog.flops * 40 < eager                 # matrix-vector twice, not a matrix product
    assert len(prog.steps) == 1 and prog.networks[0].steps[0].kernel == "gemm"


@pytest.mark.parametrize("fn, shapes, want", [
    (lambda a, m: (a @ m).trace(), [(6, 5), (5, 6)], ("ij,ji->", "real")),
    (lambda x, y: (x * y).sum(1), [(6, 5), (6, 5)], ("ij,ij->i", "real")),
    (lambda a, b: (a.unsqueeze(2) + b.unsqueeze(0)).logsumexp(1), [(4, 5), (5, 6)],
     ("ij,jk->ik", "log")),
    (lambda a, b: (a.unsqueeze(2) + b.unsqueeze(0)).amax(1), [(4, 5), (5, 6)],
     ("ij,jk->ik", "maxplus")),
    (lambda a, b: (a.unsqueeze(2) + b.unsqueeze(0)).amin(1), [(4, 5), (5, 6)],
     ("ij,jk->ik", "minplus")),
    (lambda a, b, c: ((a.unsqueeze(2) + b.unsqueeze(0)).logsumexp(1).unsqueeze(2)
                      + c.unsqueeze(0)).logsumexp(1), [(4, 5), (5, 6), (6, 3)],
     ("ij,jk,kl->il", "log")),
    (lambda x, y: (x.T @ y).mean() * -2.0, [(6, 5), (6, 4)], ("ij,ik,->", "real")),
    (lambda x: x.reshape(2, 3, 5).sum((0, 2)), [(6, 5)], ("(ij)k->j", "real")),
    (lambda a, b: ct.tensordot(a, b, 1).diagonal().sum(), [(4, 5), (5, 4)],
     ("ij,ji->", "real")),
    (lambda x: x.sum(0).expand(3, 5).sum(), [(6, 5)], ("ij,k->", "real")),
])
def test_the_fused_patterns_write_these_equations(fn, shapes, want):
    assert equations(ct.compile(fn), *[T(*s) for s in shapes]) == [want]


def test_barriers_end_networks_and_run_between_them():
    x, w1, b1, w2 = T(8, 5), T(5, 6), T(6), T(6, 3)
    f = ct.compile(lambda x, w1, b1, w2: (x @ w1 + b1).relu() @ w2)
    prog = f.program(x, w1, b1, w2)
    assert [s.kind for s in prog.steps] == ["network", "barrier", "barrier", "network"]
    text = str(prog)
    assert "network ij,jk->ik (%0 x, %1 w1)" in text and "= relu(" in text
    assert text.count("Plan  ij,jk->ik") == 2 and "add(" in text


def test_a_result_used_twice_is_computed_once():
    a, b = T(5, 6), T(6, 7)
    f = ct.compile(lambda a, b: ((a @ b).sum(0), (a @ b) * 2, (a @ b).T))
    prog = f.program(a, b)
    assert [p.equation for p in prog.networks] == ["ij,jk->ik", "ij->j", "ij,->ij"]
    assert [s.kind for s in prog.steps].count("barrier") == 1         # the transpose view


def test_backward_of_a_network_keeps_only_its_leaves():
    a, b, x = T(5, 6, grad=True), T(6, 7, grad=True), T(7, grad=True)
    y = ct.compile(lambda a, b, x: (a @ b @ x * 2).sum())(a, b, x)
    node = y.grad_fn
    assert node.name() == "EinsumBackward0"
    assert {id(p) for p in node.parents if p.requires_grad} == {id(a), id(b), id(x)}
    assert all(e is None or e is a or e is b or e is x for e in node.edges)


def _peak(fn, *args):
    fn(*args)
    tracemalloc.start()
    try:
        fn(*args)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_no_product_sized_temporary():
    x, y = T(512, 256), T(512, 256)
    f = ct.compile(lambda x, y: (x * y).sum(1))
    assert _peak(f, x, y) < 0.1 * x.numpy().nbytes
    assert _peak(lambda x, y: (x * y).sum(1), x, y) >= x.numpy().nbytes   # eager makes it


def test_logsumexp_without_the_cube():
    n = 64
    a, b = T(n, n), T(n, n)
    f = ct.compile(lambda a, b: (a.unsqueeze(2) + b.unsqueeze(0)).logsumexp(1))
    with ct.block_elements(n * n):             # the semiring kernel's blocks
        assert _peak(f, a, b) < n ** 3 * 8 / 4
    assert _peak(lambda a, b: (a.unsqueeze(2) + b.unsqueeze(0)).logsumexp(1), a, b) \
        >= n ** 3 * 8
    np.testing.assert_allclose(f(a, b).numpy(), ct.einsum("ij,jk->ik", a, b,
                                                          semiring="log").numpy(), rtol=1e-12)


def test_constants_are_contracted_once():
    w1, w2 = T(50, 60), RNG.standard_normal((60, 3))
    f = ct.compile(lambda x: x @ w1 @ w2 * 0.5)
    x = T(1000, 50)
    prog = f.program(x)
    (plan,) = prog.networks
    assert plan.equation == "ij,jk->ik" and plan.shapes == ((1000, 50), (50, 3))
    want = (x @ w1 @ ct.tensor(w2) * 0.5).numpy()       # reassociated: (w1 @ w2) first
    np.testing.assert_allclose(f(x).numpy(), want, rtol=1e-12, atol=1e-12 * np.abs(want).max())


def test_constant_only_work_is_folded_at_build():
    c = T(4, 4)
    f = ct.compile(lambda x: x @ (c @ c).exp())
    prog = f.program(T(3, 4))
    assert [s.kind for s in prog.steps] == ["network"]


def test_a_captured_tensor_that_requires_grad_is_an_operand():
    w = T(4, 3, grad=True)
    f = ct.compile(lambda x: (x @ w).sum())
    x = T(5, 4)
    f(x).backward()
    np.testing.assert_allclose(w.grad.numpy(), np.broadcast_to(x.numpy().sum(0)[:, None],
                                                               (4, 3)), rtol=1e-12)
    with ct.no_grad():
        w *= 2                                   # read at every call
    np.testing.assert_allclose(f(x).item(), (x @ w).sum().item(), rtol=1e-12)


def test_views_stay_views():
    x = T(3, 4)
    y = ct.compile(lambda x: x.T)(x)
    assert np.shares_memory(y.numpy(), x.numpy())
    assert ct.compile(lambda x: x)(x) is x


def test_no_op_runs_twice_per_call_and_replays_do_not_trace():
    calls = []

    def fn(a, b):
        calls.append(1)                         # Python side effects run while tracing only
        return (a @ b).sum()
    f = ct.compile(fn)
    a, b = T(3, 4), T(4, 5)
    for _ in range(3):
        f(a, b)
    assert len(calls) == 1
    f(T(3, 4), T(4, 5))                         # same signature
    assert len(calls) == 1
    for other in [(T(2, 4), b), (a.float(), b.float()), (T(3, 4, grad=True), b)]:
        f(*other)
    assert len(calls) == 4
    with ct.no_grad():
        f(a, b)
    assert len(calls) == 5


def test_non_tensor_arguments_are_part_of_the_signature():
    f = ct.compile(lambda x, dim, scale=1.0: x.sum(dim) * scale)
    x = T(3, 4)
    assert f(x, 0).shape == (4,) and f(x, 1).shape == (3,)
    assert f(x, 1, scale=2.0).tolist() == (x.sum(1) * 2.0).tolist()
    assert f.program(x, 0) is not f.program(x, 1)


def test_nested_arguments_and_results():
    f = ct.compile(lambda d, pair: {"s": (d["a"] @ pair[0]).sum(), "l": [pair[1] * 2, 3]})
    a, b, c = T(3, 4), T(4, 5), T(2)
    got = f({"a": a}, (b, c))
    assert set(got) == {"s", "l"} and got["l"][1] == 3
    np.testing.assert_allclose(got["s"].item(), (a @ b).sum().item(), rtol=1e-12)


def test_arrays_in_arrays_out():
    a, b = RNG.standard_normal((3, 4)), RNG.standard_normal((4, 5))
    f = ct.compile(lambda a, b: (a @ b).sum(0))
    got = f(a, b)
    assert type(got) is np.ndarray
    np.testing.assert_allclose(got, (a @ b).sum(0), rtol=1e-12)


def test_decorator_forms_and_methods():
    @ct.compile(optimize="greedy")
    def f(a, b):
        return a @ b

    class Model:
        def __init__(self):
            self.w = T(4, 2)

        @ct.compile
        def forward(self, x):
            return x @ self.w
    x = T(3, 4)
    assert f.program(x, x.T).networks[0].optimize == "greedy"
    np.testing.assert_allclose(Model().forward(x).numpy().shape, (3, 2))


def test_a_compiled_function_called_while_tracing_is_inlined():
    inner = ct.compile(lambda a, b: a @ b)
    outer = ct.compile(lambda a, b, x: inner(a, b) @ x)
    a, b, x = T(4, 5), T(5, 6), T(6)
    assert [p.equation for p in outer.program(a, b, x).networks] == ["ij,jk,k->i"]


@pytest.mark.parametrize("fn, equation, semiring, shapes", [
    (lambda a, b, x: a @ b @ x, "ij,jk,k->i", "real", [(40, 40), (40, 40), (40,)]),
    (lambda a, b: (a @ b).trace(), "ij,ji->", "real", [(40, 40), (40, 40)]),
    (lambda x, y: (x * y).sum(1), "ij,ij->i", "real", [(64, 16), (64, 16)]),
    (lambda a, b: (a.unsqueeze(2) + b.unsqueeze(0)).logsumexp(1), "ij,jk->ik", "log",
     [(16, 16), (16, 16)]),
])
def test_a_fused_network_is_the_plan_the_hand_written_einsum_runs(fn, equation, semiring,
                                                                  shapes):
    args = [T(*s) for s in shapes]
    (plan,) = ct.compile(fn).program(*args).networks
    assert plan is ct.plan(equation, *args, semiring=semiring)      # one plan cache
