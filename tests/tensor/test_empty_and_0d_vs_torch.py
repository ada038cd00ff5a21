"""Issue 14, classes 14 and 15: empty and 0-d edge cases follow torch, and bad input is a
ContractError, never an internal exception (numpy's, an AttributeError).

- ``ct.einsum`` with Tensors and Python scalars: a scalar takes the Tensors' dtype within its
  category, as torch's scalars do;
- ``chunk``, ``prod`` backward, ``squeeze`` / ``flip`` / ``gather`` on 0-d tensors,
  ``ct.where`` and ``ct.randint`` with bad shapes, ``flatten`` with start after end.

The differential test draws seeded ops, shapes (0-d, zero-size, size 1) and arguments and
compares with torch: both refuse (ContractError here), or both give the same values, shapes,
dtypes and gradients.
"""
import numpy as np
import pytest

import contract as ct

CASES = 1500
SHAPES = [(), (0,), (1,), (3,), (2, 0), (0, 3), (1, 1), (2, 3), (3, 1, 2)]


# -- regressions ---------------------------------------------------------------------
def test_einsum_of_a_tensor_and_a_python_scalar():
    x = ct.ones(3, requires_grad=True)
    y = ct.einsum("i,->i", x, 2.5)
    assert y.dtype == np.float32 and y.tolist() == [2.5] * 3
    y.sum().backward()
    assert x.grad.tolist() == [2.5] * 3


def test_chunk_of_an_empty_tensor():
    assert [tuple(c.shape) for c in ct.zeros(0).chunk(2)] == [(0,), (0,)]


def test_prod_backward_of_an_empty_tensor():
    x = ct.zeros(0, requires_grad=True)
    x.prod().backward()
    assert tuple(x.grad.shape) == (0,)


@pytest.mark.parametrize("op", [lambda t: t.squeeze(0), lambda t: t.flip([0]),
                                lambda t: t.gather(0, ct.tensor(0))])
def test_0d_ops_keep_a_0d_tensor(op):
    out = op(ct.tensor(1.))
    assert tuple(out.shape) == () and out.item() == 1.0


def test_where_and_randint_refuse_bad_shapes():
    with pytest.raises(ct.ShapeError):
        ct.where(ct.ones(2, dtype=ct.bool), ct.ones(3), ct.ones(4))
    with pytest.raises(ct.ContractError):
        ct.randint(5, 0, (3,))
    with pytest.raises(ct.ContractError):
        ct.randint(0, 5, (2.5,))


def test_flatten_with_start_after_end_is_refused():
    with pytest.raises(ct.ContractError, match="start_dim"):
        ct.zeros(2, 3).flatten(1, 0)


# -- differential against torch -----------------------------------------------------
def _dim(rng, ndim):
    return int(rng.integers(-max(ndim, 1) - 1, max(ndim, 1) + 1))


def _draw(rng):
    """An op name, its input shape and its arguments (a few out of range on purpose)."""
    op = ["chunk", "squeeze", "flip", "gather", "flatten", "prod", "prod_all", "where",
          "randint", "einsum_scalar", "unsqueeze", "sum", "mean"][int(rng.integers(13))]
    shape = SHAPES[int(rng.integers(len(SHAPES)))]
    n = len(shape)
    if op == "chunk":
        return op, shape, (int(rng.integers(1, 4)), _dim(rng, n))
    if op in ("squeeze", "unsqueeze", "prod", "sum", "mean"):
        return op, shape, (_dim(rng, n + (op == "unsqueeze")),)
    if op == "flip":
        return op, shape, ([_dim(rng, n) for _ in range(int(rng.integers(0, 3)))],)
    if op == "gather":
        index = tuple(int(k) for k in rng.integers(0, 3, size=int(rng.integers(0, 3))))
        return op, shape, (_dim(rng, n), index, int(rng.integers(0, 2)))
    if op == "flatten":
        return op, shape, (_dim(rng, n), _dim(rng, n))
    if op == "where":
        return op, shape, tuple(SHAPES[int(rng.integers(len(SHAPES)))] for _ in range(2))
    if op == "randint":
        size = tuple(int(k) for k in rng.integers(-1, 3, size=int(rng.integers(0, 3))))
        return op, shape, (int(rng.integers(-2, 3)), int(rng.integers(-2, 4)), size)
    if op == "einsum_scalar":
        # float Tensors: an int Tensor's einsum follows the einsum dtype policy (int64)
        dtype = ["float32", "float64", "float16"][int(rng.integers(3))]
        return op, shape, ([2.5, 3, True, -1.5][int(rng.integers(4))], dtype)
    return op, shape, ()


def _apply(lib, op, shape, args, data):
    """The op's result as ``(values, shape, dtype name)`` tuples (and the input's gradient)."""
    grad = op in ("prod", "prod_all", "sum", "mean")
    t = lib.tensor(data, requires_grad=grad)
    if op == "chunk":
        return [_seen(c) for c in t.chunk(*args)], None
    if op == "squeeze":
        out = t.squeeze(*args)
    elif op == "unsqueeze":
        out = t.unsqueeze(*args)
    elif op == "flip":
        out = t.flip(*args)
    elif op == "gather":
        dim, index, ndim = args
        idx = lib.tensor(index[0] if ndim == 0 and index else list(index), dtype=lib.int64)
        out = t.gather(dim, idx)
    elif op == "flatten":
        out = t.flatten(*args)
    elif op in ("prod", "sum", "mean"):
        out = getattr(t, op)(*args)
    elif op == "prod_all":
        out = t.prod()
    elif op == "where":
        a, b = (lib.tensor(np.arange(np.prod(s, dtype=int), dtype=float).reshape(s)) for s in args)
        out = lib.where(lib.tensor(data > 0), a, b)
    elif op == "randint":
        out = lib.randint(*args)
        return [([], tuple(out.shape), str(out.dtype).split(".")[-1])], None
    else:
        value, dtype = args
        x = lib.tensor(data).to(getattr(lib, dtype))
        out = lib.einsum("...,->...", x, value) if lib is ct else x * value
    if grad:
        out.sum().backward()
        return [_seen(out)], t.grad.detach().numpy()
    return [_seen(out)], None


def _seen(t):
    return (t.detach().numpy().tolist(), tuple(t.shape), str(t.dtype).split(".")[-1])


def _outcome(lib, op, shape, args, data):
    try:
        return _apply(lib, op, shape, args, data)
    except (ct.ContractError if lib is ct else Exception) as err:
        return type(err)


def test_edge_shapes_match_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(14015)
    refused = 0
    for case in range(CASES):
        op, shape, args = _draw(rng)
        data = rng.normal(size=shape).round(1)
        want = _outcome(torch, op, shape, args, data)
        got = _outcome(ct, op, shape, args, data)
        where = str((case, op, shape, args))
        if isinstance(want, type):
            refused += 1
            assert isinstance(got, type), (where, want, got)
            continue
        assert not isinstance(got, type), (where, got)
        assert [g[1:] for g in got[0]] == [w[1:] for w in want[0]], where   # shapes, dtypes
        for g, w in zip(got[0], want[0]):
            np.testing.assert_allclose(np.asarray(g[0], dtype=float),
                                       np.asarray(w[0], dtype=float), rtol=1e-6, err_msg=where)
        if want[1] is not None:
            np.testing.assert_allclose(got[1], want[1], rtol=1e-6, err_msg=where)
    assert 0 < refused < CASES
