"""Every differentiable Tensor op against central differences (float64)."""
import numpy as np
import pytest

import contract as ct
from contract.testing import gradcheck


def _t(*shape, seed=0, positive=False):
    rng = np.random.default_rng(seed)
    data = rng.standard_normal(shape)
    if positive:
        data = np.abs(data) + 0.5
    return ct.tensor(data, dtype=ct.float64, requires_grad=True)


UNARY = {
    "neg": lambda x: -x, "abs": lambda x: x.abs(), "exp": lambda x: x.exp(),
    "log": lambda x: (x.abs() + 0.5).log(), "sqrt": lambda x: (x.abs() + 0.5).sqrt(),
    "pow3": lambda x: x.pow(3), "pow_half": lambda x: (x.abs() + 0.5) ** 0.5,
    "rpow": lambda x: 2 ** x, "relu": lambda x: x.relu(), "sigmoid": lambda x: x.sigmoid(),
    "tanh": lambda x: x.tanh(), "clamp": lambda x: x.clamp(-0.5, 0.5),
    "clamp_min": lambda x: ct.clamp(x, min=0.1), "sum": lambda x: x.sum(),
    "sum_dim": lambda x: x.sum(dim=1), "sum_neg_keep": lambda x: x.sum(-1, keepdim=True),
    "sum_list": lambda x: x.sum(dim=[0, 2]), "sum_axis": lambda x: ct.sum(x, axis=0),
    "mean": lambda x: x.mean(), "mean_dim": lambda x: x.mean(dim=(0, 1)),
    "var": lambda x: x.var(), "var_dim": lambda x: x.var(1), "std": lambda x: x.std(),
    "std_dim_keep": lambda x: x.std(dim=2, keepdim=True, correction=0),
    "prod": lambda x: x.prod(), "prod_dim": lambda x: x.prod(1),
    "cumsum": lambda x: x.cumsum(1), "transpose": lambda x: x.transpose(0, 2),
    "permute": lambda x: x.permute(2, 0, 1), "view": lambda x: x.view(6, 4),
    "reshape_T": lambda x: x.transpose(0, 1).reshape(-1), "flatten": lambda x: x.flatten(1),
    "unsqueeze": lambda x: x.unsqueeze(1), "expand": lambda x: x[:, :1].expand(2, 5, 4),
    "index_basic": lambda x: x[1, :, ::2], "index_int": lambda x: x[[0, 1, 1]],
    "index_mask": lambda x: x[x > 0], "index_tensor": lambda x: x[:, ct.tensor([2, 0, 2])],
    "gather": lambda x: x.gather(2, ct.tensor(np.array([[[0, 3], [1, 1], [2, 0]]] * 2))),
    "contiguous": lambda x: x.transpose(1, 2).contiguous(), "clone": lambda x: x.clone(),
    "diagonal": lambda x: x.diagonal(dim1=1, dim2=2), "diagonal_off": lambda x: ct.diagonal(
        x, offset=1, dim1=-1, dim2=1), "square": lambda x: x * x, "div_self": lambda x: 1 / (
        x.abs() + 1),
    "stack": lambda x: ct.stack([x, x * 2], dim=1), "cat": lambda x: ct.cat([x, x[:, :1]], 1),
    "chunk": lambda x: x.chunk(2, dim=2)[1], "flip": lambda x: x.flip(0),
    "meshgrid": lambda x: ct.meshgrid(x[0, 0], x[1, 1], indexing="xy")[0],
    "where": lambda x: ct.where(x > 0, x, x * 3),
}


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_op_gradient(name):
    assert gradcheck(UNARY[name], (_t(2, 3, 4, seed=len(name)),))


BINARY = {
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
    "div": lambda a, b: a / (b.abs() + 1), "pow": lambda a, b: (a.abs() + 0.5) ** b,
    "add_alpha": lambda a, b: ct.add(a, b, alpha=2), "rsub": lambda a, b: 1 - a * b,
    "where": lambda a, b: ct.where(a > b, a, b), "addcmul": lambda a, b: ct.addcmul(
        a, tensor1=a, tensor2=b, value=0.1),
}


@pytest.mark.parametrize("name", sorted(BINARY))
@pytest.mark.parametrize("shapes", [((2, 3), (2, 3)), ((2, 3), (3,)), ((4, 1), (1, 3)),
                                    ((2, 1, 3), (4, 1)), ((3,), ())])
def test_broadcast_binary_op_gradient(name, shapes):
    a, b = _t(*shapes[0], seed=1), _t(*shapes[1], seed=2)
    assert gradcheck(BINARY[name], (a, b))


PRODUCTS = {
    "matmul_2d": ((3, 4), (4, 2)), "matmul_1d_1d": ((4,), (4,)), "matmul_1d_2d": ((4,), (4, 2)),
    "matmul_2d_1d": ((3, 4), (4,)), "matmul_batch": ((2, 3, 4), (4, 2)),
    "matmul_bcast": ((2, 1, 3, 4), (5, 4, 2)), "matmul_1d_3d": ((4,), (2, 4, 3)),
}


@pytest.mark.parametrize("name", sorted(PRODUCTS))
def test_matmul_gradient(name):
    sa, sb = PRODUCTS[name]
    assert gradcheck(lambda a, b: a @ b, (_t(*sa, seed=3), _t(*sb, seed=4)))


@pytest.mark.parametrize("fn,shapes", [
    (ct.mm, ((2, 3), (3, 4))), (ct.bmm, ((2, 2, 3), (2, 3, 2))), (ct.dot, ((3,), (3,))),
    (ct.outer, ((2,), (3,))), (lambda a, b: ct.tensordot(a, b, dims=1), ((2, 3), (3, 2))),
    (lambda a, b: ct.tensordot(a, b, dims=([0, 2], [2, 0])), ((2, 3, 4), (4, 5, 2))),
    (lambda a, b: ct.trace(a) * ct.trace(b), ((2, 3), (3, 3))),
])
def test_product_gradients(fn, shapes):
    assert gradcheck(fn, (_t(*shapes[0], seed=5), _t(*shapes[1], seed=6)))


def test_elementwise_chain_with_reused_input():
    assert gradcheck(lambda x: (x * x.sigmoid() + x.exp() / (1 + x * x)).mean(dim=0),
                     (_t(3, 2, seed=7),))


def test_cast_gradient_comes_back_in_the_input_dtype():
    x = ct.tensor([1.5, -2.0], requires_grad=True)
    y = x.double() * ct.tensor([3.0, 4.0], dtype=ct.float64)
    y.sum().backward()
    assert x.grad.dtype == ct.float32
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 4.0])
