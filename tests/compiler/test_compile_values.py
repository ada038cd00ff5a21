"""ct.compile computes what the eager program computes: values (float64: to 1e-12), dtypes,
shapes and gradients (float64: to 1e-12 relative), on a corpus of programs that mix fused
chains, semiring reductions, barrier ops, views, constants and in-place updates; and a
few of them against central differences (ct.testing.gradcheck)."""
import numpy as np
import pytest

import contract as ct
import contract.nn.functional as F

RNG = np.random.default_rng(15)


def T(*shape, dtype=ct.float64, grad=True):
    data = RNG.standard_normal(shape)
    if np.dtype(dtype).kind == "c":
        data = data + 1j * RNG.standard_normal(shape)
    return ct.tensor(data, dtype=dtype, requires_grad=grad)


W_CONST = RNG.standard_normal((4, 5))          # captured array: a constant
T_CONST = ct.tensor(RNG.standard_normal((5, 3)))  # captured Tensor without grad: a constant


def _inplace(x, y):
    h = x @ y
    h += 1.0
    h[0] = 2.0
    return h.sum(1)


def _view_then_inplace(x):
    h = x * 1.0
    v = h.T
    v[0].add_(1.0)
    return h.sum(0), v


def _no_grad_inside(x, y):
    with ct.no_grad():
        scale = (x @ y).sum()
    return (x @ y) * scale


PROGRAMS = [
    ("A@B@x", lambda a, b, x: a @ b @ x, [(5, 6), (6, 7), (7,)]),
    ("trace", lambda a, m: (a @ m).trace(), [(5, 6), (6, 5)]),
    ("xy sum", lambda x, y: (x * y).sum(1), [(4, 6), (4, 6)]),
    ("logsumexp", lambda a, b: (a.unsqueeze(2) + b.unsqueeze(0)).logsumexp(1),
     [(3, 4), (4, 5)]),
    ("logsumexp chain", lambda a, b, c: ((a.unsqueeze(2) + b.unsqueeze(0)).logsumexp(1)
                                         .unsqueeze(2) + c.unsqueeze(0)).logsumexp(1),
     [(3, 4), (4, 5), (5, 2)]),
    ("amax", lambda a, b: (a.unsqueeze(2) + b.unsqueeze(0)).amax(1), [(3, 4), (4, 5)]),
    ("amin", lambda a, b: (a.unsqueeze(2) + b.unsqueeze(0)).amin(1), [(3, 4), (4, 5)]),
    ("max()", lambda a, b: (a.unsqueeze(2) + b.unsqueeze(0)).max(), [(3, 4), (4, 5)]),
    ("logsumexp keepdim", lambda a, b: (a.unsqueeze(2) + b.unsqueeze(0)).logsumexp(
        1, keepdim=True), [(3, 4), (4, 5)]),
    ("logsumexp const", lambda a, b: (a.unsqueeze(2) + 1.5 + b.unsqueeze(0)).logsumexp(1),
     [(3, 4), (4, 5)]),
    ("logsumexp alone", lambda a: a.logsumexp(1), [(3, 4)]),
    ("mlp", lambda x, w1, b1, w2: (x @ w1 + b1).relu() @ w2, [(8, 5), (5, 6), (6,), (6, 3)]),
    ("scales", lambda x, y: -(2.0 * x * y).mean(0) * 3, [(4, 6), (4, 6)]),
    ("transposes", lambda x, y: (x.T @ y).permute(1, 0).sum(), [(4, 6), (4, 5)]),
    ("reshape merge", lambda x: x.reshape(24).sum(), [(4, 6)]),
    ("reshape split", lambda x: (x.reshape(2, 2, 6) * 2).sum(1), [(4, 6)]),
    ("reshape no refinement", lambda x: (x.reshape(4, 6) * 1).reshape(6, 4).sum(0),
     [(2, 12)]),
    ("diagonal", lambda a, m: (a @ m).diagonal().sum(), [(5, 6), (6, 5)]),
    ("diagonal 3d", lambda x: (x * 2).diagonal(0, 0, 2).sum(0), [(3, 2, 3)]),
    ("expand sum", lambda x: x.sum(0).expand(3, 6).sum(), [(4, 6)]),
    ("expand new dims", lambda x: (x.expand(5, 2, 3, 4) * 2).sum((0, 1)), [(2, 3, 4)]),
    ("expand root", lambda x: (x.sum(0) * 2).expand(3, 3, 4), [(2, 3, 4)]),
    ("einsum", lambda a, b, x: ct.einsum("ij,jk->ik", a, b) @ x, [(5, 6), (6, 7), (7,)]),
    ("einsum ellipsis", lambda a, b: ct.einsum("...ij,jk->...ik", a, b).sum(1),
     [(2, 3, 4), (4, 5)]),
    ("einsum group", lambda x: ct.einsum("b (h p) -> b h", x.reshape(2, 12), p=3) * 2,
     [(2, 3, 4)]),
    ("einsum diagonal", lambda m: ct.einsum("ii->i", m @ m), [(4, 4)]),
    ("einsum size-1", lambda x, y: ct.einsum("ij,ij->j", x, y) * 2, [(1, 3), (4, 3)]),
    ("tensordot", lambda a, b: ct.tensordot(a, b, ([2], [0])).mean(), [(2, 3, 4), (4, 5)]),
    ("batched matmul", lambda a, b: (a @ b).sum(0), [(2, 3, 4), (4, 5)]),
    ("vector matmuls", lambda v, b: (v @ b) @ (b.T @ v), [(4,), (4, 5)]),
    ("bmm", lambda a: ct.bmm(a, a.transpose(1, 2)).sum(), [(2, 3, 4)]),
    ("dot outer", lambda v, w: ct.outer(v, w).sum(1) * ct.dot(v, v), [(4,), (5,)]),
    ("keepdim", lambda x: x.sum(dim=(0, 2), keepdim=True) * x, [(2, 3, 4)]),
    ("squeeze", lambda x: (x.unsqueeze(0).unsqueeze(3) * 2).squeeze().sum(-1), [(2, 3, 4)]),
    ("size-1 broadcast", lambda x, y: (x * y).sum(0), [(4, 1, 3), (1, 5, 3)]),
    ("0-d operands", lambda x, s: (x * s).sum(1) * s, [(2, 3, 4), ()]),
    ("shared", lambda a, b: (a @ b).sum() + (a @ b).sum(0).sum(), [(5, 6), (6, 7)]),
    ("two results", lambda a, b: ((a @ b).sum(0), (a @ b).T), [(5, 6), (6, 7)]),
    ("barriers", lambda x, y: (ct.where(x > 0, x, y).exp() * y).sum(0) / 3, [(4, 6), (4, 6)]),
    ("cat stack", lambda x, y: ct.stack([ct.cat([x, y]).sum(0), y[0]]), [(4, 6), (4, 6)]),
    ("indexing", lambda x: (x[1:] @ x[0]).sum() + x[[0, 2]].sum(), [(3, 4)]),
    ("max(dim)", lambda a: a.max(1).values * 2, [(3, 4)]),
    ("linear", lambda x, w, b: F.linear(x, w, b).sum(), [(2, 3, 4), (5, 4), (5,)]),
    ("constants", lambda x: (x @ W_CONST) @ T_CONST, [(3, 4)]),
    ("in-place", _inplace, [(3, 4), (4, 5)]),
    ("view then in-place", _view_then_inplace, [(3, 4)]),
    ("no_grad inside", _no_grad_inside, [(3, 4), (4, 5)]),
    ("detach", lambda x, y: (x @ y).detach() * (x @ y), [(3, 4), (4, 5)]),
]


def _outputs(result):
    return list(result) if isinstance(result, (tuple, list)) else [result]


def _run(fn, args, seeds=None):
    """Results and (with seeds) the gradients of every input."""
    for a in args:
        a.grad = None
    outs = _outputs(fn(*args))
    grads = None
    if seeds is not None:
        loss = sum((o * s).sum() for o, s in zip(outs, seeds) if o.requires_grad)
        loss.backward()
        grads = [None if a.grad is None else a.grad.numpy().copy() for a in args]
    return [o.detach().numpy().copy() for o in outs], [(o.shape, o.dtype) for o in outs], grads


@pytest.mark.parametrize("name, fn, shapes", PROGRAMS, ids=[p[0] for p in PROGRAMS])
def test_values_and_gradients_equal_eager(name, fn, shapes):
    args = [T(*s) for s in shapes]
    compiled = ct.compile(fn)
    seeds = [T(*o.shape, grad=False) for o in _outputs(fn(*args))]
    eager = _run(fn, args, seeds)
    for _ in range(2):                       # the tracing call, then a replay
        got = _run(compiled, args, seeds)
        assert got[1] == eager[1]
        for g, e in zip(got[0], eager[0]):
            np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-12)
        for g, e in zip(got[2], eager[2]):
            assert (g is None) == (e is None)
            if e is not None:
                np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-12 * np.abs(e).max())


@pytest.mark.parametrize("name", ["A@B@x", "logsumexp chain", "mlp", "scales", "einsum group",
                                  "expand new dims", "amax"])
def test_gradients_match_central_differences(name):
    fn, shapes = next((f, s) for n, f, s in PROGRAMS if n == name)
    assert ct.testing.gradcheck(ct.compile(fn), [T(*s) for s in shapes])


@pytest.mark.parametrize("dtype, rtol", [(ct.float32, 2e-5), (ct.complex128, 1e-12)])
def test_other_float_dtypes(dtype, rtol):
    a, b, x = T(5, 6, dtype=dtype), T(6, 7, dtype=dtype), T(7, dtype=dtype)

    def fn(a, b, x):
        return (a @ b @ x) * 2 - (a.T * 3).sum(0)
    got, want = ct.compile(fn)(a, b, x), fn(a, b, x)
    assert got.dtype == want.dtype
    np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), rtol=rtol)


def test_integer_and_mixed_dtype_programs_run_as_eager():
    def fn(i, x):
        return (i * 3).sum(1) @ i, (i @ x).sum()
    f = ct.compile(fn)
    i = ct.tensor([[1, 2], [3, 2 ** 20]])
    x = ct.tensor([[1.5], [2.5]], dtype=ct.float32)
    got, want = f(i, x), fn(i, x)
    assert got[0].dtype == want[0].dtype and got[0].tolist() == want[0].tolist()
    assert got[1].dtype == want[1].dtype and got[1].item() == want[1].item()
    big = ct.tensor([[1, 2], [3, 2 ** 40]])      # 3 * 2**80 does not fit int64: both refuse
    for run in (f, fn):
        with pytest.raises(ct.ContractError, match="int64 cannot hold"):
            run(big, x)


def test_nan_inf_and_ties_propagate_as_eager():
    a = ct.tensor([[np.nan, 1.0], [np.inf, 2.0]], dtype=ct.float64)
    b = ct.tensor([[1.0, 1.0], [1.0, 1.0]], dtype=ct.float64)

    def fn(a, b):
        return (a @ b).sum(0), (a.unsqueeze(2) + b.unsqueeze(0)).amax(1)
    with np.errstate(invalid="ignore"):
        pairs = list(zip(ct.compile(fn)(a, b), fn(a, b)))
    for got, want in pairs:
        np.testing.assert_array_equal(got.numpy(), want.numpy())


def test_zero_size_and_0d_inputs():
    def fn(x, y, s):
        return (x @ y).sum(0) * s, (x * 2).sum()
    x, y, s = ct.ones(0, 3, dtype=ct.float64), ct.ones(3, 4, dtype=ct.float64), ct.tensor(2.)
    for got, want in zip(ct.compile(fn)(x, y, s), fn(x, y, s)):
        assert got.shape == want.shape
        np.testing.assert_array_equal(got.numpy(), want.numpy())


def test_non_contiguous_inputs():
    base = T(6, 8, grad=False)
    x, y = base[:, ::2], base.T[::2, :6]
    fn = ct.compile(lambda x, y: (x @ y).trace() + (x * x).sum())
    np.testing.assert_allclose(fn(x, y).numpy(), ((x @ y).trace() + (x * x).sum()).numpy(),
                               rtol=1e-12)


def test_modules_compile_with_live_parameters():
    conv, lin = ct.nn.Conv2d(3, 4, 3), ct.nn.Linear(16, 5)

    def net(x):
        h = F.max_pool2d(conv(x).relu(), 2)
        return lin(F.avg_pool2d(h, 1).flatten(1))
    x = ct.tensor(RNG.standard_normal((2, 3, 6, 6)), dtype=ct.float32)
    compiled = ct.compile(net)
    got, want = compiled(x), net(x)
    np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), rtol=1e-6)
    params = list(conv.parameters()) + list(lin.parameters())
    got.sum().backward()
    mine = [p.grad.numpy().copy() for p in params]
    for p in params:
        p.grad = None
    want.sum().backward()
    for m, p in zip(mine, params):
        np.testing.assert_allclose(m, p.grad.numpy(), rtol=1e-5, atol=1e-6)
    with ct.no_grad():             # an update in place is seen by the next call
        lin.weight *= 2
    np.testing.assert_allclose(compiled(x).detach().numpy(), net(x).detach().numpy(),
                               rtol=1e-6)


def test_ops_that_refuse_zeros_are_traced_on_other_stand_ins():
    a, b = ct.tensor([7, -7, 9]), ct.tensor([2, 3, -4])
    f = ct.compile(lambda a, b: (a // b, a % b))
    for got, want in zip(f(a, b), (a // b, a % b)):
        assert got.tolist() == want.tolist()
    with pytest.raises(ct.ContractError, match="division by zero"):
        f(a, ct.tensor([1, 0, 1]))              # the replay refuses what eager refuses


def test_a_network_traced_under_no_grad_records_no_graph():
    def fn(a, b):
        with ct.no_grad():
            return a @ b
    a = ct.randn(3, 4, dtype=ct.float64, requires_grad=True)
    b = ct.randn(4, 2, dtype=ct.float64, requires_grad=True)
    got = ct.compile(fn)(a, b)
    assert not got.requires_grad and got.grad_fn is None and not fn(a, b).requires_grad
    np.testing.assert_allclose(got.numpy(), (a @ b).detach().numpy(), rtol=1e-12)


def test_a_constant_chain_past_52_labels_folds_into_one_network():
    rng = np.random.default_rng(60)
    ws = [ct.tensor(rng.uniform(0.5, 1.0, (2, 2))) for _ in range(60)]

    def fn(x):
        for w in ws:
            x = x @ w
        return x
    x = ct.tensor(rng.uniform(0.5, 1.0, (1, 2)))
    f = ct.compile(fn)
    np.testing.assert_allclose(f(x).numpy(), fn(x).numpy(), rtol=1e-10)
    assert len(f.program(x).networks) == 1


def test_squeeze_of_a_0d_intermediate_is_a_no_op_as_eager():
    f = ct.compile(lambda x: (x * 3).squeeze(0))
    x = ct.tensor(2.)
    assert f(x).item() == 6.0 and f(x).shape == ()
