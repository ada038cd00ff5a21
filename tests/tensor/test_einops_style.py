"""``ct.rearrange``, ``ct.reduce``, ``ct.repeat`` (issue 17 item 3) against einops on one
shared corpus, on arrays and Tensors; gradients by central differences (and against
einops on torch when torch is installed); errors in einsum's style."""
import numpy as np
import pytest

import contract as ct
from contract.testing import gradcheck

einops = pytest.importorskip("einops")

# (pattern, shape, sizes): the shared corpus, run by every function it fits
REARRANGE = [
    ("b c h w -> b h w c", (2, 3, 4, 5), {}),
    ("b c (h p) (w q) -> b (c p q) h w", (2, 3, 4, 6), {"p": 2, "q": 2}),
    ("b c (h p) (w q) -> b (c p q) h w", (1, 1, 4, 4), {"p": 2, "q": 2}),
    ("b c h w -> b 1 (c h w)", (2, 3, 4, 5), {}),
    ("b c h w -> (b c) () h w", (2, 3, 4, 5), {}),
    ("b 1 h w -> b h w", (2, 1, 4, 5), {}),
    ("b () h w -> w h b", (2, 1, 4, 5), {}),
    ("b ... -> ... b", (2, 3, 4), {}),
    ("b ... c -> c ... b", (2, 3, 4, 5), {}),
    ("... -> ...", (), {}),
    ("-> 1 1", (), {}),
    ("(b1 b2) h w -> (b2 h) (b1 w)", (6, 2, 3), {"b1": 2}),
    ("b h w -> b (w h)", (2, 0, 3), {}),
    ("h w -> w h", (3, 1), {}),
    ("batch seq (head dim) -> batch head seq dim", (2, 3, 8), {"head": 2}),
]
REDUCE = [
    ("b c h w -> b c", (2, 3, 4, 5), {}),
    ("b c (h p) (w q) -> b c h w", (2, 3, 4, 6), {"p": 2, "q": 3}),
    ("b c h w -> b () c 1", (2, 3, 4, 5), {}),
    ("b c h w -> (c b) w", (2, 3, 4, 5), {}),
    ("b ... -> b", (2, 3, 4), {}),
    ("... h w -> h w", (2, 3, 4, 5), {}),
    ("b ... w -> b ...", (2, 3, 4, 5), {}),
    ("b c h w -> b c h w", (2, 3, 4, 1), {}),
    ("i -> ", (7,), {}),
    ("(i j) -> j", (6,), {"i": 3}),
]
REPEAT = [
    ("h w -> h w c", (3, 4), {"c": 3}),
    ("h w -> (h c) w", (3, 4), {"c": 2}),
    ("h w -> (c h) w", (3, 4), {"c": 2}),
    ("b c h w -> b c (h k) (w 1 j)", (2, 3, 4, 5), {"k": 2, "j": 3}),
    ("h w -> 1 h w", (3, 4), {}),
    ("... -> k ...", (2, 3), {"k": 2}),
    ("h w -> h w c", (0, 4), {"c": 2}),
    ("w -> h w", (3,), {"h": 0}),
]
REDUCTIONS = ["sum", "mean", "max", "min", "prod"]


def _logsumexp(tensor, axes):
    """A numpy logsumexp over ``axes`` (einops takes a callable reduction)."""
    if not axes:
        return tensor
    top = tensor.max(axis=axes, keepdims=True)
    top = np.where(np.isfinite(top), top, 0)
    return (top + np.log(np.exp(tensor - top).sum(axis=axes, keepdims=True))).squeeze(axes)


def _data(shape, seed=0, dtype=np.float64):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def _assert_same(got, want):
    got = got.detach().numpy() if isinstance(got, ct.Tensor) else np.asarray(got)
    assert got.shape == want.shape
    assert got.dtype == want.dtype, (got.dtype, want.dtype)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


SHAPING = [("rearrange",) + c for c in REARRANGE] + [("repeat",) + c for c in REPEAT]


@pytest.mark.parametrize("kind, pattern, shape, sizes", SHAPING,
                         ids=[f"{c[0]}:{c[1]}" for c in SHAPING])
def test_rearrange_and_repeat_match_einops(kind, pattern, shape, sizes):
    x = _data(shape)
    want = getattr(einops, kind)(x, pattern, **sizes)
    _assert_same(getattr(ct, kind)(x, pattern, **sizes), want)
    _assert_same(getattr(ct, kind)(ct.tensor(x), pattern, **sizes), want)


@pytest.mark.parametrize("reduction", REDUCTIONS + ["logsumexp"])
@pytest.mark.parametrize("pattern, shape, sizes", REDUCE, ids=[c[0] for c in REDUCE])
def test_reduce_matches_einops(pattern, shape, sizes, reduction):
    x = _data(shape, seed=len(pattern))
    how = _logsumexp if reduction == "logsumexp" else reduction
    want = einops.reduce(x, pattern, how, **sizes)
    _assert_same(ct.reduce(x, pattern, reduction, **sizes), want)
    _assert_same(ct.reduce(ct.tensor(x), pattern, reduction, **sizes), want)


@pytest.mark.parametrize("dtype", ["int8", "int32", "uint8", "bool", "float16", "float32",
                                   "complex64"])
def test_dtypes_follow_einops_on_numpy(dtype):
    x = (np.arange(24) % 5 - 2).reshape(2, 3, 4).astype(dtype)
    for fn, pattern, extra in [(ct.rearrange, "a b c -> c (a b)", ()),
                               (ct.repeat, "a b c -> a b c k", ()),
                               (ct.reduce, "a b c -> a c", ("sum",))]:
        sizes = {"k": 2} if fn is ct.repeat else {}
        got = fn(x, pattern, *extra, **sizes)
        want = getattr(einops, fn.__name__)(x, pattern, *extra, **sizes)
        # a sum of ints or bools is int64, as torch's (numpy's uint8 sum is uint64)
        exact = fn is ct.reduce and x.dtype.kind in "biu"
        assert got.dtype == (np.int64 if exact else want.dtype)
        np.testing.assert_array_equal(got, want.astype(got.dtype))
    if dtype != "complex64":
        for reduction in ("max", "min"):
            got = ct.reduce(x, "a b c -> a", reduction)
            want = einops.reduce(x, "a b c -> a", reduction)
            assert got.dtype == want.dtype
            np.testing.assert_array_equal(got, want)


def test_mean_scales_in_the_accumulation_dtype():
    x = np.full((3, 2), 40000.0, np.float16)            # the float16 sum overflows
    got = ct.reduce(x, "i j -> j", "mean")
    assert got.dtype == np.float16 and np.all(got == 40000.0)
    t = ct.reduce(ct.tensor(x), "i j -> j", "mean")
    assert t.dtype == np.float16 and np.all(t.detach().numpy() == 40000.0)
    ints = np.arange(6).reshape(2, 3)
    assert ct.reduce(ints, "a b -> a", "mean").dtype == np.float64          # numpy's mean
    with pytest.raises(ct.ContractError, match="mean"):                      # torch's mean
        ct.reduce(ct.tensor(ints), "a b -> a", "mean")


def test_empty_reductions():
    x = np.zeros((2, 0))
    assert np.all(np.isnan(ct.reduce(x, "a b -> a", "mean")))            # numpy's and torch's
    assert np.all(np.isnan(ct.reduce(ct.tensor(x), "a b -> a", "mean").numpy()))
    np.testing.assert_array_equal(ct.reduce(x, "a b -> a", "sum"), [0.0, 0.0])
    np.testing.assert_array_equal(ct.reduce(x, "a b -> a", "prod"), [1.0, 1.0])
    assert ct.reduce(np.zeros((0, 3)), "a b -> a", "mean").shape == (0,)


def test_prod_is_exact_with_zeros_and_signs():
    x = np.array([[-2.0, 3.0, 0.0], [-1.5, -4.0, 2.0], [0.0, 0.0, 5.0], [-0.5, 7.0, -3.0]])
    np.testing.assert_array_equal(ct.reduce(x, "a b -> a", "prod"), np.prod(x, axis=1))
    ints = np.array([[-3, 2, 7], [0, 5, -1]], np.int64)
    np.testing.assert_array_equal(ct.reduce(ints, "a b -> a", "prod"), [-42, 0])
    t = ct.tensor(x, requires_grad=True)
    ct.reduce(t, "a b -> a", "prod").sum().backward()
    others = np.array([[np.prod(np.delete(row, k)) for k in range(3)] for row in x])
    np.testing.assert_array_equal(t.grad.numpy(), others)     # exact, zeros included


GRADIENT_CASES = [
    ("rearrange", "b c (h p) w -> b (c p) h w", (), {"p": 2}, (2, 2, 4, 3)),
    ("rearrange", "b h w -> w 1 (h b)", (), {}, (2, 3, 4)),
    ("repeat", "h w -> (h c) w k", (), {"c": 2, "k": 3}, (3, 2)),
    ("reduce", "b c (h p) (w q) -> b c h w", ("sum",), {"p": 2, "q": 2}, (2, 2, 4, 4)),
    ("reduce", "b c (h p) (w q) -> b c h w", ("mean",), {"p": 2, "q": 2}, (2, 2, 4, 4)),
    ("reduce", "b c (h p) (w q) -> b c h w", ("max",), {"p": 2, "q": 2}, (2, 2, 4, 4)),
    ("reduce", "b c h w -> (c b) 1", ("min",), {}, (2, 2, 3, 3)),
    ("reduce", "b c h w -> c w", ("prod",), {}, (2, 2, 3, 3)),
    ("reduce", "b ... -> b", ("logsumexp",), {}, (2, 3, 4)),
]


@pytest.mark.parametrize("kind, pattern, extra, sizes, shape", GRADIENT_CASES,
                         ids=[f"{c[0]}:{c[2][:1]}:{c[1]}" for c in GRADIENT_CASES])
def test_gradients_by_central_differences(kind, pattern, extra, sizes, shape):
    x = ct.tensor(_data(shape, seed=3), requires_grad=True)
    fn = getattr(ct, kind)
    assert gradcheck(lambda t: fn(t, pattern, *extra, **sizes), (x,))


def test_max_shares_the_gradient_between_ties_as_torch_does():
    x = ct.tensor([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]], requires_grad=True)
    ct.reduce(x, "a b -> a", "max").sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [[0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3]])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("pattern, shape, sizes", REDUCE[:6], ids=[c[0] for c in REDUCE[:6]])
def test_values_and_gradients_match_einops_on_torch(pattern, shape, sizes, reduction):
    torch = pytest.importorskip("torch")
    data = np.round(_data(shape, seed=5) * 2) / 2                # ties, to exercise max/min
    theirs = torch.tensor(data, requires_grad=True)
    value = einops.reduce(theirs, pattern, reduction, **sizes)
    ours = ct.tensor(data, requires_grad=True)
    got = ct.reduce(ours, pattern, reduction, **sizes)
    np.testing.assert_allclose(got.detach().numpy(), value.detach().numpy(), rtol=1e-12,
                               atol=1e-12)
    cotangent = _data(tuple(value.shape), seed=6)
    value.backward(torch.tensor(cotangent))
    got.backward(ct.tensor(cotangent))
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_lists_are_stacked_as_einops_does():
    arrays = [_data((2, 3), seed=k) for k in range(4)]
    want = einops.rearrange(arrays, "n h w -> h (n w)")
    np.testing.assert_array_equal(ct.rearrange(arrays, "n h w -> h (n w)"), want)
    tensors = [ct.tensor(a, requires_grad=True) for a in arrays]
    got = ct.rearrange(tensors, "n h w -> h (n w)")
    np.testing.assert_array_equal(got.detach().numpy(), want)
    got.sum().backward()
    assert all(np.all(t.grad.numpy() == 1) for t in tensors)
    np.testing.assert_array_equal(ct.reduce(arrays, "n h w -> h w", "sum"),
                                  einops.reduce(arrays, "n h w -> h w", "sum"))


ERRORS = [
    (ct.rearrange, ("b c -> b",), {}, ct.ContractError, r"rearrange\('b c -> b'\): .*'c' only on the left"),
    (ct.rearrange, ("b -> b c",), {}, ct.ContractError, r"'c' only on the right.*ct.repeat"),
    (ct.reduce, ("b -> b c", "sum"), {}, ct.ContractError, r"reduce\('b -> b c'\): .*'c' only on the right"),
    (ct.repeat, ("b c -> b",), {}, ct.ContractError, r"repeat\('b c -> b'\): .*'c' only on the left"),
    (ct.repeat, ("b c -> b c k",), {}, ct.ContractError, r"new axis 'k' needs its size.*k=3"),
    (ct.repeat, ("b c -> b c k",), {"k": 2.5}, ct.ContractError, r"size of axis 'k'"),
    (ct.rearrange, ("b b -> b",), {}, ct.ContractError, r"axis 'b' appears twice on the left"),
    (ct.rearrange, ("b c -> b c c",), {}, ct.ContractError, r"appears twice on the right"),
    (ct.rearrange, ("b c -> b c ...",), {}, ct.ContractError, r"'\.\.\.' is on the right"),
    (ct.rearrange, ("b ... -> b",), {}, ct.ContractError, r"'\.\.\.' is on the left"),
    (ct.rearrange, ("b c",), {}, ct.EquationSyntaxError, r"has no '->'"),
    (ct.rearrange, ("b, c -> b c",), {}, ct.EquationSyntaxError, r"2 terms before '->'"),
    (ct.rearrange, ("b c -> b c 2",), {}, ct.EquationSyntaxError, r"(?s)anonymous axis '2'.*\^"),
    (ct.rearrange, ("b c -> (b c",), {}, ct.EquationSyntaxError, r"(?s)column 12.*\^"),
    (ct.rearrange, ("b (...) -> b",), {}, ct.EquationSyntaxError, r"unexpected '\.\.\.'"),
    (ct.reduce, ("b c -> b", "median"), {}, ct.ContractError, r"unknown reduction 'median'.*sum"),
    (ct.reduce, ("b c -> b", None), {}, ct.ContractError, r"unknown reduction None"),
    (ct.rearrange, ("b c d -> b c d",), {}, ct.ShapeError, r"rearrange\('b c d -> b c d'\): operand 0 has 2 dimensions"),
    (ct.rearrange, ("b (c d) -> b c d",), {}, ct.ShapeError, r"cannot infer the sizes of c, d"),
    (ct.rearrange, ("b (c d) -> b c d",), {"c": 4}, ct.ShapeError, r"not a multiple of 4"),
    (ct.rearrange, ("b 1 -> b",), {}, ct.ShapeError, r"anonymous axis .* has size 3"),
    (ct.rearrange, ("b c -> c b",), {"x": 2}, ct.ContractError, r"a size was given for label 'x'"),
    (ct.rearrange, ("b c -> c b",), {"b": 5}, ct.ShapeError, r"label 'b' was given size 5"),
    (ct.rearrange, (42,), {}, ct.ContractError, r"a pattern must be a str"),
]


@pytest.mark.parametrize("fn, args, sizes, kind, words", ERRORS, ids=[e[4][:40] for e in ERRORS])
def test_errors_in_einsums_style(fn, args, sizes, kind, words):
    for operand in (np.ones((2, 3)), ct.ones(2, 3)):
        with pytest.raises(kind, match=words):
            fn(operand, *args, **sizes)


def test_every_error_is_a_contract_error_never_an_internal_one():
    bad = ["", "->", "-> -> x", "b c -> b c", "(b c) -> b c", "b c -> b (c d)", "1 -> 1 1",
           "b ... -> b (...)", "b c -> ()", "b× c÷ -> c÷ b×"]
    for pattern in bad:
        for fn, extra in ((ct.rearrange, ()), (ct.reduce, ("max",)), (ct.repeat, ())):
            try:
                fn(np.ones((2, 3)), pattern, *extra)
            except Exception as err:    # noqa: BLE001
                assert isinstance(err, ct.ContractError), (pattern, fn, repr(err))


def test_a_semiring_name_is_a_reduction():
    x = _data((3, 4), seed=9)
    np.testing.assert_allclose(ct.reduce(x, "a b -> a", "log"), _logsumexp(x, (1,)), rtol=1e-12)
    np.testing.assert_array_equal(ct.reduce(np.abs(x), "a b -> b", "maxtimes"),
                                  np.abs(x).max(axis=0))
    np.testing.assert_array_equal(ct.reduce(x, "a b -> b", "minplus"), x.min(axis=0))


def test_dask_arrays_stay_dask():
    da = pytest.importorskip("dask.array")
    x = _data((2, 3, 4, 6), seed=11)
    lazy = da.from_array(x, chunks=(1, 3, 4, 3))
    for fn, args, sizes in [(ct.rearrange, ("b c (h p) (w q) -> b (c p q) h w",), {"p": 2, "q": 2}),
                            (ct.reduce, ("b c h w -> b c", "mean"), {}),
                            (ct.reduce, ("b c h w -> b c", "prod"), {}),
                            (ct.repeat, ("b c h w -> b c h w k",), {"k": 2})]:
        got = fn(lazy, *args, **sizes)
        assert isinstance(got, da.Array)
        np.testing.assert_allclose(got.compute(), fn(x, *args, **sizes), rtol=1e-12)


def test_expand_to_an_empty_axis_is_empty_and_differentiable():
    t = ct.ones(1, 3, requires_grad=True)
    y = t.expand(0, 3)                      # torch: an empty view; it was a reshape error
    assert y.shape == (0, 3)
    y.sum().backward()
    np.testing.assert_array_equal(t.grad.numpy(), np.zeros((1, 3)))
