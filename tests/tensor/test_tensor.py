"""ct.Tensor against NumPy and torch's documented behaviour: creation, attributes, views,
indexing, conversions, products, joins, bad input.  Reductions, elementwise ops, promotion and
broadcasting have their own files here."""
import numpy as np
import pytest

import contract as ct


def test_default_dtypes_follow_torch():
    assert ct.tensor([1.0, 2.0]).dtype == ct.float32
    assert ct.tensor([1, 2]).dtype == ct.int64
    assert ct.tensor([True]).dtype == ct.bool
    assert ct.tensor([1.0], dtype=float).dtype == ct.float64
    assert ct.tensor(np.array([1.0])).dtype == ct.float64
    assert ct.zeros(2, 3).dtype == ct.float32 and ct.randn(2).dtype == ct.float32
    assert ct.arange(3).dtype == ct.int64 and ct.arange(0, 1, 0.5).dtype == ct.float32


def test_shapes_as_varargs_or_one_sequence():
    assert ct.randn(2, 3).shape == ct.randn((2, 3)).shape == ct.ones([2, 3]).shape == (2, 3)
    assert ct.zeros(2, 3).view(3, 2).shape == ct.zeros(6).view((3, 2)).shape


def test_creation_functions_match_numpy():
    np.testing.assert_array_equal(ct.arange(1, 7, 2).numpy(), [1, 3, 5])
    np.testing.assert_allclose(ct.linspace(0, 1, 5).numpy(), np.linspace(0, 1, 5))
    np.testing.assert_array_equal(ct.eye(3).numpy(), np.eye(3))
    np.testing.assert_array_equal(ct.full((2, 2), 7.0).numpy(), np.full((2, 2), 7.0))
    x = ct.randn(3, 4)
    assert ct.zeros_like(x).shape == (3, 4) and ct.ones_like(x).sum().item() == 12


def test_manual_seed_repeats_random_tensors():
    ct.manual_seed(3)
    a = ct.randn(4)
    ct.manual_seed(3)
    np.testing.assert_array_equal(a.numpy(), ct.randn(4).numpy())


def test_attributes():
    x = ct.ones(2, 3, requires_grad=True)
    assert x.ndim == 2 and x.dim() == 2 and x.numel() == 6 and x.size(1) == 3
    assert x.size() == (2, 3) and x.device == "cpu" and x.is_leaf and x.grad is None
    assert x.T.shape == (3, 2)
    y = x * 2
    assert not y.is_leaf and y.requires_grad and y.grad_fn.name() == "MulBackward0"


def test_integer_tensor_cannot_require_grad():
    with pytest.raises(ct.ContractError):
        ct.tensor([1, 2], requires_grad=True)


def test_repr_like_torch():
    assert repr(ct.tensor([1.0, 2.0], requires_grad=True)) == \
        "tensor([1., 2.], requires_grad=True)"
    x = ct.tensor([1.0, 2.0], requires_grad=True)
    assert repr(x * x) == "tensor([1., 4.], grad_fn=<MulBackward0>)"
    assert repr(ct.tensor([1.5, 2.0])) == "tensor([1.5000, 2.0000])"
    assert repr(ct.tensor([1, 2])) == "tensor([1, 2])"
    assert repr(ct.tensor(3.0)) == "tensor(3.)"


def test_views_share_memory_and_strides():
    x = ct.arange(12.0).view(3, 4)
    assert x.stride() == (4, 1) and x.is_contiguous()
    t = x.transpose(0, 1)
    assert t.stride() == (1, 4) and not t.is_contiguous()
    assert t.data_ptr() == x.data_ptr()
    for view in (x.view(4, 3), x.view(-1), x.unsqueeze(0), x[1], x[:, 1:3], t, x.permute(1, 0),
                 x.expand(2, 3, 4), x.reshape(2, 6)):
        assert np.shares_memory(view._data, x._data)
    x[0, 0] = 100.0
    assert t[0, 0].item() == 100.0 and x.view(-1)[0].item() == 100.0


def test_view_on_non_contiguous_raises_like_torch():
    t = ct.arange(6.0).view(2, 3).t()
    with pytest.raises(ct.ContractError, match="view size is not compatible"):
        t.view(6)
    flat = t.reshape(6)
    np.testing.assert_array_equal(flat.numpy(), [0, 3, 1, 4, 2, 5])
    c = t.contiguous()
    assert c.is_contiguous() and c.view(6).tolist() == [0, 3, 1, 4, 2, 5]
    assert x_is_not_copied(ct.ones(2, 2))


def x_is_not_copied(x):
    return x.contiguous() is x


def test_indexing_basic_integer_and_mask():
    data = np.arange(24.0).reshape(2, 3, 4)
    x = ct.tensor(data)
    np.testing.assert_array_equal(x[1, :, ::2].numpy(), data[1, :, ::2])
    np.testing.assert_array_equal(x[[0, 1, 1]].numpy(), data[[0, 1, 1]])
    np.testing.assert_array_equal(x[x > 10].numpy(), data[data > 10])
    np.testing.assert_array_equal(x[:, ct.tensor([2, 0])].numpy(), data[:, [2, 0]])
    with pytest.raises(ct.ContractError):
        x[5]


def test_conversions():
    x = ct.tensor([[1.0, 2.0]])
    assert x.tolist() == [[1.0, 2.0]] and x[0, 1].item() == 2.0
    assert isinstance(x.numpy(), np.ndarray)
    assert x.double().dtype == ct.float64 and x.long().dtype == ct.int64
    assert x.to(ct.float64).dtype == ct.float64 and x.cpu() is x
    y = ct.tensor([1.0], requires_grad=True)
    with pytest.raises(ct.ContractError):
        y.numpy()
    assert y.detach().numpy().tolist() == [1.0] and not y.detach().requires_grad
    a = np.zeros(3)
    t = ct.from_numpy(a)
    a[1] = 4
    assert t[1].item() == 4.0
    c = x.clone()
    c[0, 0] = 9
    assert x[0, 0].item() == 1.0


@pytest.mark.parametrize("sa,sb", [((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 3), (3, 4)),
                                   ((5, 2, 3), (3, 4)), ((2, 1, 2, 3), (4, 3, 2)),
                                   ((3,), (5, 3, 2))])
def test_matmul_shape_rules_match_numpy(sa, sb):
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal(sa), rng.standard_normal(sb)
    got = ct.tensor(a) @ ct.tensor(b)
    np.testing.assert_allclose(got.numpy(), np.matmul(a, b), rtol=1e-10)
    assert ct.matmul(ct.tensor(a), ct.tensor(b)).shape == np.matmul(a, b).shape


def test_matmul_mismatch_raises():
    with pytest.raises(ct.ContractError, match="cannot be multiplied"):
        ct.ones(2, 3) @ ct.ones(4, 2)


def test_products_match_numpy():
    rng = np.random.default_rng(4)
    a, b, v = rng.standard_normal((3, 4)), rng.standard_normal((4, 5)), rng.standard_normal(4)
    ta, tb, tv = ct.tensor(a), ct.tensor(b), ct.tensor(v)
    np.testing.assert_allclose(ct.mm(ta, tb).numpy(), a @ b)
    np.testing.assert_allclose(ct.dot(tv, tv).numpy(), v @ v)
    np.testing.assert_allclose(ct.outer(tv, tv).numpy(), np.outer(v, v))
    np.testing.assert_allclose(ct.tensordot(ta, tb, dims=1).numpy(), np.tensordot(a, b, 1))
    np.testing.assert_allclose(ct.tensordot(ta, ta, dims=([0, 1], [0, 1])).numpy(),
                               np.tensordot(a, a, ([0, 1], [0, 1])))
    np.testing.assert_allclose(ct.trace(ta).numpy(), np.trace(a))
    for offset in (-2, -1, 0, 1, 3):
        np.testing.assert_allclose(ct.diagonal(ta, offset=offset).numpy(), np.diagonal(a, offset))
    c = rng.standard_normal((2, 3, 3))
    np.testing.assert_allclose(ct.bmm(ct.tensor(c), ct.tensor(c)).numpy(), c @ c)
    np.testing.assert_allclose(ct.tensor(c).diagonal(0, 1, 2).numpy(), np.diagonal(c, 0, 1, 2))


def test_gather_stack_cat_meshgrid_match_numpy():
    data = np.arange(12.0).reshape(3, 4)
    x = ct.tensor(data)
    idx = np.array([[0, 3], [1, 1], [2, 0]])
    np.testing.assert_array_equal(x.gather(1, ct.tensor(idx)).numpy(),
                                  np.take_along_axis(data, idx, 1))
    np.testing.assert_array_equal(ct.stack([x, x], dim=1).numpy(), np.stack([data, data], 1))
    np.testing.assert_array_equal(ct.cat([x, x], dim=-1).numpy(), np.concatenate([data] * 2, -1))
    a, b = ct.arange(3), ct.arange(2)
    for indexing in ("ij", "xy"):
        got = ct.meshgrid(a, b, indexing=indexing)
        want = np.meshgrid(np.arange(3), np.arange(2), indexing=indexing)
        for g, w in zip(got, want):
            np.testing.assert_array_equal(g.numpy(), w)


def test_ndarray_on_the_left_gives_a_tensor():
    out = np.ones(3) * ct.ones(3)
    assert isinstance(out, ct.Tensor)


def test_in_place_errors_are_contract_errors():
    x = ct.ones(2, 3)
    with pytest.raises(ct.ContractError, match="broadcast shape"):
        x += ct.ones(4, 2, 3)
    with pytest.raises(ct.ContractError):
        x[7] = 1.0
    y = ct.ones(2, requires_grad=True)     # a leaf (torch allows y[0] = 5 on a non-leaf)
    with pytest.raises(ct.ContractError, match="in-place"):
        y[0] = 5.0
    x[0] = ct.tensor([1.0, 2.0, 3.0])
    assert x.tolist()[0] == [1.0, 2.0, 3.0]


def test_cuda_without_cupy_is_a_contract_error():
    try:
        import cupy  # noqa: F401
        pytest.skip("cupy is installed here")
    except ImportError:
        pass
    with pytest.raises(ct.ContractError, match="CuPy"):
        ct.ones(2).cuda()
    with pytest.raises(ct.ContractError, match="CuPy"):
        ct.tensor([1.0], device="cuda")


def test_readme_table_equations():
    from contract.tensors.ops.linalg import diagonal_equation, matmul_equation, tensordot_equation
    from contract.tensors.ops.elementwise import broadcast_equation
    from contract.tensors.ops.reduce import reduce_equation
    assert [reduce_equation(3, ()), reduce_equation(3, (1,)), reduce_equation(4, (0, 2, 3))] \
        == ["abc->abc", "abc->ac", "abcd->b"]
    assert reduce_equation(3, (0, 1, 2)) == "abc->"
    assert broadcast_equation((2, 3), (3,))[0] == "ab,b->ab"
    assert broadcast_equation((4, 1), (1, 3)) == ("ab,ab->ab", (4, 3))
    assert [matmul_equation(*r) for r in [(2, 2), (1, 1), (1, 2), (1, 3), (2, 1), (3, 1), (4, 3)]] \
        == ["ab,bc->ac", "a,a->", "b,bc->c", "c,acd->ad", "ab,b->a", "abc,c->ab",
            "abcd,bde->abce"]
    assert tensordot_equation(2, 2, (1,), (0,)) == "ab,bd->ad"
    assert tensordot_equation(3, 3, (0, 2), (2, 0)) == "abc,cea->be"
    assert diagonal_equation(2, 0, 1) == "aa->a" and diagonal_equation(3, 0, 1) == "aac->ca"


# -- creation: torch's positional arguments ------------------------------------------------
def test_randint_high_and_size_positional():
    ct.manual_seed(0)
    out = ct.randint(3, (5,))
    assert tuple(out.shape) == (5,) and out.dtype == np.int64
    assert 0 <= int(out.min()) and int(out.max()) < 3
    assert tuple(ct.randint(1, 4, (2, 2)).shape) == (2, 2)


# -- bad input raises ContractError (no AttributeError / ValueError / ZeroDivisionError) --
@pytest.mark.parametrize("call", [
    lambda: ct.ones(4).chunk(0),
    lambda: ct.ones(4).chunk(-1),
    lambda: ct.ones(2, 2).flip([0, 0]),
    lambda: ct.ones(2).type_as(3),
    lambda: ct.cat([np.ones(2)]),
    lambda: ct.stack((1, 2)),
    lambda: ct.dot(ct.ones(3), 2),
    lambda: ct.outer([1., 2.], ct.ones(2)),
    lambda: ct.meshgrid(),
    lambda: ct.meshgrid(ct.ones(2, 2)),
    lambda: ct.linspace(0, 1, -1),
    lambda: ct.eye(-1),
    lambda: ct.eye(2, -3),
    lambda: ct.randn(-1),
    lambda: ct.rand(2, -1),
    lambda: ct.randint(0, 3, (-1,)),
    lambda: ct.full((2,), "a"),
    lambda: ct.zeros(-1),
], ids=["chunk0", "chunk-neg", "flip-dup", "type_as", "cat-ndarray", "stack-ints", "dot-int",
        "outer-list", "meshgrid-empty", "meshgrid-2d", "linspace-neg", "eye-neg", "eye-m-neg",
        "randn-neg", "rand-neg", "randint-neg", "full-str", "zeros-neg"])
def test_bad_input_raises_contract_error(call):
    with pytest.raises(ct.ContractError):
        call()


def test_chunk_and_flip_still_work():
    parts = ct.tensor(np.arange(7.)).chunk(3)
    assert [p.tolist() for p in parts] == [[0., 1., 2.], [3., 4., 5.], [6.]]
    np.testing.assert_array_equal(ct.tensor([[1, 2], [3, 4]]).flip([0, 1]).numpy(),
                                  [[4, 3], [2, 1]])
    x, y = ct.meshgrid(ct.tensor([1, 2]), ct.tensor(5))
    assert tuple(x.shape) == (2, 1) and y.tolist() == [[5], [5]]


def test_mT_transposes_the_last_two_dims():
    x = ct.tensor(np.arange(24.).reshape(2, 3, 4))
    np.testing.assert_array_equal(x.mT.numpy(), np.swapaxes(np.arange(24.).reshape(2, 3, 4),
                                                            -1, -2))
    with pytest.raises(ct.ContractError):
        ct.ones(3).mT


# -- gather -------------------------------------------------------------------------
def test_gather_with_an_index_smaller_than_the_input():
    data = np.arange(12.).reshape(3, 4)
    x = ct.tensor(data, requires_grad=True)
    index = np.array([[3, 0]])                 # (1, 2): smaller than (3, 4) in both dims
    out = x.gather(1, ct.tensor(index))
    assert tuple(out.shape) == (1, 2)
    np.testing.assert_array_equal(out.detach().numpy(), [[3., 0.]])
    out.sum().backward()
    expected = np.zeros((3, 4))
    expected[0, 3] = expected[0, 0] = 1
    np.testing.assert_array_equal(x.grad.numpy(), expected)
    down = x.gather(0, ct.tensor([[2, 1]]))
    np.testing.assert_array_equal(down.detach().numpy(), [[8., 5.]])


@pytest.mark.parametrize("index", [[[-1, 0], [0, 1]], [[4, 0], [0, 1]]])
def test_gather_out_of_range_index_is_refused(index):
    with pytest.raises(ct.ContractError, match="out of bounds"):
        ct.ones(2, 3).gather(1, ct.tensor(index))


def test_gather_index_too_large_or_wrong_rank_is_refused():
    with pytest.raises(ct.ShapeError):
        ct.ones(2, 3).gather(1, ct.tensor([[0]] * 3))
    with pytest.raises(ct.ShapeError):
        ct.ones(2, 3).gather(1, ct.tensor([0, 1]))


# -- indexing: torch's sequence-as-tuple rule, empty in-place regions ------------------
M = np.arange(12.).reshape(3, 4)


def test_a_list_of_index_lists_indexes_like_a_tuple():
    x = ct.tensor(M, requires_grad=True)
    out = x[[[0, 1], [2, 2]]]                    # torch: x[[0, 1], [2, 2]]
    np.testing.assert_array_equal(out.detach().numpy(), M[[0, 1], [2, 2]])
    out.sum().backward()
    expected = np.zeros((3, 4))
    expected[0, 2] = expected[1, 2] = 1
    np.testing.assert_array_equal(x.grad.numpy(), expected)
    assert x[[ct.tensor(0), ct.tensor(2)]].item() == M[0, 2]
    assert tuple(x[[slice(None), None]].shape) == (3, 1, 4)
    np.testing.assert_array_equal(x[[0, 2]].detach().numpy(), M[[0, 2]])     # plain list


def test_setitem_with_a_list_of_index_lists():
    y = ct.tensor(M)
    y[[[0, 1], [2, 2]]] = -1.
    expected = M.copy()
    expected[[0, 1], [2, 2]] = -1
    np.testing.assert_array_equal(y.numpy(), expected)


@pytest.mark.parametrize("index", [[], ct.tensor([False, False, False]), ct.tensor(False)],
                         ids=["empty-list", "all-false-mask", "0d-false"])
def test_in_place_update_of_an_empty_region(index):
    x = ct.tensor(M)
    x[index] += 1                                # nothing selected: nothing changes
    np.testing.assert_array_equal(x.numpy(), M)
