"""Complex autograd follows torch's convention; complex operands refuse a real einsum dtype.

For a real loss ``L`` of ``z = x + iy``, ``z.grad`` is ``dL/dx + i dL/dy``.  The oracle
is NumPy in float64 / complex128: each case has a NumPy forward, and the gradient is
taken by central differences on the real and the imaginary parts separately.
"""
import warnings

import numpy as np
import pytest

import contract as ct
from contract.dtypes import conj, grad_cast
from contract.testing import GradcheckError, gradcheck

EPS = 1e-6
C, R = "c", "r"     # an operand drawn complex128 or float64


def _draw(shapes, seed):
    rng = np.random.default_rng(seed)
    out = []
    for kind, shape in shapes:
        a = rng.standard_normal(shape) + 0.5
        if kind == C:
            a = a + 1j * (rng.standard_normal(shape) - 0.3)
        out.append(a)
    return out


# name: (contract function, NumPy function, operands)
CASES = {
    "einsum-2": (lambda a, b: ct.einsum("ij,jk->ik", a, b),
                 lambda a, b: np.einsum("ij,jk->ik", a, b), [(C, (2, 3)), (C, (3, 4))]),
    "einsum-3": (lambda a, b, c: ct.einsum("ij,jk,kl->il", a, b, c),
                 lambda a, b, c: np.einsum("ij,jk,kl->il", a, b, c),
                 [(C, (2, 3)), (C, (3, 4)), (C, (4, 2))]),
    "einsum-3-star": (lambda a, b, c: ct.einsum("ai,bi,ci->abc", a, b, c),
                      lambda a, b, c: np.einsum("ai,bi,ci->abc", a, b, c),
                      [(C, (2, 3)), (R, (2, 3)), (C, (3, 3))]),
    "einsum-trace": (lambda a: ct.einsum("ii->", a), lambda a: np.einsum("ii->", a),
                     [(C, (3, 3))]),
    "einsum-diagonal": (lambda a, b: ct.einsum("ii,i->i", a, b),
                        lambda a, b: np.einsum("ii,i->i", a, b), [(C, (3, 3)), (C, (3,))]),
    "einsum-ellipsis": (lambda a, b: ct.einsum("...ij,...jk->...ik", a, b),
                        lambda a, b: np.einsum("...ij,...jk->...ik", a, b),
                        [(C, (2, 2, 3)), (C, (3, 2))]),
    "einsum-sum-out": (lambda a: ct.einsum("ijk->j", a), lambda a: np.einsum("ijk->j", a),
                       [(C, (2, 3, 2))]),
    "einsum-mixed": (lambda a, b: ct.einsum("ij,jk->ik", a, b),
                     lambda a, b: np.einsum("ij,jk->ik", a, b), [(R, (2, 3)), (C, (3, 2))]),
    "matmul": (lambda a, b: a @ b, lambda a, b: a @ b, [(C, (3, 4)), (C, (4, 2))]),
    "matmul-batched-vector": (lambda a, b: a @ b, lambda a, b: a @ b,
                              [(C, (2, 3, 4)), (C, (4,))]),
    "matmul-mixed": (lambda a, b: a @ b, lambda a, b: a @ b, [(C, (3, 4)), (R, (4, 2))]),
    "dot": (lambda a, b: ct.dot(a, b), lambda a, b: np.dot(a, b), [(C, (4,)), (C, (4,))]),
    "mul": (lambda a, b: a * b, lambda a, b: a * b, [(C, (2, 3)), (C, (3,))]),
    "mul-mixed": (lambda a, b: a * b, lambda a, b: a * b, [(R, (2, 3)), (C, (3,))]),
    "mul-complex-scalar": (lambda a: a * (2 - 1j), lambda a: a * (2 - 1j), [(R, (2, 3))]),
    "div": (lambda a, b: a / b, lambda a, b: a / b, [(C, (2, 3)), (C, (3,))]),
    "div-mixed": (lambda a, b: a / b, lambda a, b: a / b, [(C, (2, 3)), (R, (2, 3))]),
    "add-sub": (lambda a, b, c: a + b - c, lambda a, b, c: a + b - c,
                [(C, (2, 3)), (R, (3,)), (C, (2, 1))]),
    "neg": (lambda a: -a, lambda a: -a, [(C, (2, 3))]),
    "sum": (lambda a: a.sum(dim=1), lambda a: a.sum(axis=1), [(C, (2, 3))]),
    "mean": (lambda a: a.mean(dim=0), lambda a: a.mean(axis=0), [(C, (2, 3))]),
    "abs": (lambda a: a.abs(), np.abs, [(C, (2, 3))]),
    "pow-2": (lambda a: a ** 2, lambda a: a ** 2, [(C, (2, 3))]),
    "pow-3": (lambda a: a.pow(3), lambda a: a ** 3, [(C, (2, 3))]),
    "pow-half": (lambda a: a ** 0.5, lambda a: a ** 0.5, [(C, (2, 3))]),
    "pow-tensor": (lambda a, b: a ** (b * 0.5), lambda a, b: a ** (b * 0.5),
                   [(C, (2, 3)), (C, (3,))]),
    "exp-log": (lambda a: a.exp() + a.log(), lambda a: np.exp(a) + np.log(a), [(C, (2, 3))]),
    "sqrt-tanh": (lambda a: a.sqrt() * a.tanh(), lambda a: np.sqrt(a) * np.tanh(a),
                  [(C, (2, 3))]),
    "sin-cos-sigmoid": (lambda a: a.sin() + a.cos() * a.sigmoid(),
                        lambda a: np.sin(a) + np.cos(a) / (1 + np.exp(-a)), [(C, (2, 3))]),
    "prod": (lambda a: a.prod(dim=1), lambda a: a.prod(axis=1), [(C, (2, 3))]),
    "var": (lambda a: a.var(dim=1), lambda a: a.var(axis=1, ddof=1), [(C, (2, 4))]),
    "std": (lambda a: a.std(), lambda a: a.std(ddof=1), [(C, (2, 3))]),
    "real-imag-conj": (lambda a: a.real * a.imag + a.conj() * a,
                       lambda a: a.real * a.imag + np.conj(a) * a, [(C, (2, 3))]),
    "to-complex": (lambda a: a.to(ct.complex128) * (1 + 2j), lambda a: a * (1 + 2j),
                   [(R, (2, 3))]),
}


def _numeric(loss, arrays, k):
    """``dL/dx + i dL/dy`` of operand k (``dL/dx`` for a real operand), central differences."""
    x = arrays[k]
    steps = (1.0, 1j) if x.dtype.kind == "c" else (1.0,)
    grad = np.zeros(x.shape, dtype=x.dtype)
    flat, out = x.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        for step in steps:
            flat[i] = old + EPS * step
            plus = loss(*arrays)
            flat[i] = old - EPS * step
            minus = loss(*arrays)
            flat[i] = old
            out[i] += (plus - minus) / (2 * EPS) * step
    return grad


def _real_loss_np(np_fn, kind):
    if kind == "abs2":
        return lambda *a: float((np.abs(np_fn(*a)) ** 2).sum())
    return lambda *a: float(np.real(np_fn(*a)).sum())


def _real_loss_ct(out, kind):
    if kind == "abs2":
        return (out.abs() ** 2).sum()
    return out.real.sum()


@pytest.mark.parametrize("loss", ["abs2", "real"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_gradient_is_dl_dx_plus_i_dl_dy(name, loss):
    ct_fn, np_fn, spec = CASES[name]
    arrays = _draw(spec, seed=len(name))
    tensors = [ct.tensor(a, requires_grad=True) for a in arrays]
    out = ct_fn(*tensors)
    np.testing.assert_allclose(out.detach().numpy(), np_fn(*arrays), rtol=1e-10, atol=1e-12)
    _real_loss_ct(out, loss).backward()
    np_loss = _real_loss_np(np_fn, loss)
    for k, (t, a) in enumerate(zip(tensors, arrays)):
        assert t.grad.dtype == a.dtype, f"operand {k}: a real input gets a real gradient"
        np.testing.assert_allclose(t.grad.numpy(), _numeric(np_loss, arrays, k),
                                   rtol=1e-5, atol=1e-6, err_msg=f"{name}, operand {k}")


@pytest.mark.parametrize("name", ["einsum-3", "matmul-mixed", "div", "pow-tensor", "var",
                                  "real-imag-conj", "abs"])
def test_gradcheck_accepts_complex_inputs(name):
    ct_fn, _, spec = CASES[name]
    tensors = [ct.tensor(a, requires_grad=True) for a in _draw(spec, seed=1)]
    assert gradcheck(ct_fn, tensors)


def test_gradcheck_catches_an_unconjugated_rule():
    from contract.tensors.core import record
    z = ct.tensor(_draw([(C, (3,))], seed=2)[0], requires_grad=True)

    def square(a):      # d(z^2)/dz without torch's conjugate: wrong for complex z
        return record("Square", a._data ** 2, (a,), lambda g: (2 * g * a._data,))
    with pytest.raises(GradcheckError, match="input 0"):
        gradcheck(square, (z,))
    assert gradcheck(lambda a: a * a, (z,))


def test_gradcheck_keeps_real_inputs_real():
    from contract.tensors.core import record
    x = ct.tensor([[1., 2.], [3., 4.]], requires_grad=True)
    assert gradcheck(lambda a: (a * a).sum(dim=1), (x,))
    # a real input is stepped along its real axis only: a VJP that adds an imaginary part to
    # the gradient of a real input would be dropped by the real cast, so the check still holds
    twice = lambda a: record("Twice", a._data * 2, (a,), lambda g: (g * 3,))   # wrong: 3
    assert not gradcheck(twice, (x,), raise_exception=False)


def test_complex_cotangent_on_complex_output_matches_torch_rule():
    # backward(v) of c = a * b gives grad_a = v * conj(b), grad_b = v * conj(a)
    a_np, b_np, v = _draw([(C, (4,)), (C, (4,)), (C, (4,))], seed=3)
    a, b = ct.tensor(a_np, requires_grad=True), ct.tensor(b_np, requires_grad=True)
    (a * b).backward(ct.tensor(v))
    np.testing.assert_allclose(a.grad.numpy(), v * np.conj(b_np), rtol=1e-12)
    np.testing.assert_allclose(b.grad.numpy(), v * np.conj(a_np), rtol=1e-12)


def test_einsum_backward_with_cotangent_is_einsum_of_conjugates():
    a_np, b_np, g = _draw([(C, (2, 3)), (C, (3, 4)), (C, (2, 4))], seed=4)
    a, b = ct.tensor(a_np, requires_grad=True), ct.tensor(b_np, requires_grad=True)
    ct.einsum("ij,jk->ik", a, b).backward(ct.tensor(g))
    np.testing.assert_allclose(a.grad.numpy(), np.einsum("ik,jk->ij", g, np.conj(b_np)))
    np.testing.assert_allclose(b.grad.numpy(), np.einsum("ij,ik->jk", np.conj(a_np), g))


def test_abs_gradient_is_z_over_abs_z_and_zero_at_zero():
    z = ct.tensor(np.array([3 + 4j, 0j, -2j]), requires_grad=True)
    z.abs().sum().backward()
    np.testing.assert_allclose(z.grad.numpy(), [0.6 + 0.8j, 0, -1j])


def test_complex64_gradients_keep_complex64_and_real_leaves_stay_real():
    x = ct.tensor([1., 2.], requires_grad=True)                 # float32
    z = ct.tensor([1 + 1j, 2 - 1j], requires_grad=True)          # complex64
    with warnings.catch_warnings():
        warnings.simplefilter("error")                          # no ComplexWarning
        (x * z).abs().sum().backward()
    assert z.grad.dtype == np.complex64 and x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad.numpy(), np.abs([1 + 1j, 2 - 1j]), rtol=1e-6)


def test_real_imag_conj_ops():
    z = ct.tensor(np.array([1 + 2j, 3 - 4j]))
    np.testing.assert_array_equal(z.real.numpy(), [1, 3])
    np.testing.assert_array_equal(ct.imag(z).numpy(), [2, -4])
    np.testing.assert_array_equal(z.conj().numpy(), [1 - 2j, 3 + 4j])
    x = ct.tensor([1., 2.])
    assert x.real is x and x.conj() is x
    with pytest.raises(ct.ContractError, match="non-complex"):
        x.imag


def test_implicit_backward_of_a_complex_scalar_raises():
    z = ct.tensor(1 + 2j, requires_grad=True)
    with pytest.raises(ct.ContractError, match="real scalar outputs"):
        (z * z).backward()


def test_relu_refuses_complex():
    with pytest.raises(ct.ContractError, match="complex"):
        ct.tensor([1 + 1j]).relu()


def test_conj_of_a_real_array_does_not_copy():
    a = np.ones(3)
    assert conj(a) is a
    assert grad_cast(a, np.dtype("float64")) is a
    np.testing.assert_array_equal(conj(np.array([1 + 2j])), [1 - 2j])
    np.testing.assert_array_equal(grad_cast(np.array([1 + 2j]), np.dtype("float32")), [1])


# -- dtype= on complex operands ---------------------------------------------------------
@pytest.mark.parametrize("dtype", [int, float, np.int32, np.float32, "float64", ct.int64])
@pytest.mark.parametrize("equation", ["i->", "i,i->", "ij,jk->ik", "ii->i", "ij->ji"])
def test_einsum_refuses_a_real_dtype_on_complex_operands(dtype, equation):
    terms = equation.split("->")[0].split(",")
    operands = [np.ones((3,) * len(term)) + 1j for term in terms]
    with pytest.raises(ct.ContractError, match=r"complex128.*imaginary|imaginary.*complex128"):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            ct.einsum(equation, *operands, dtype=dtype)
    if equation not in ("ii->i", "ij->ji"):   # numpy ignores dtype= on its pure views
        with pytest.raises(TypeError):         # and refuses the rest (casting='safe')
            np.einsum(equation, *operands, dtype=dtype if dtype is not ct.int64 else np.int64)


def test_einsum_refusal_names_both_dtypes_and_the_operand():
    with pytest.raises(ct.ContractError) as info:
        ct.einsum("i,i->", np.ones(2), np.ones(2, dtype=np.complex64), dtype=np.float32)
    message = str(info.value)
    assert "operand 1" in message and "complex64" in message and "float32" in message


def test_einsum_refuses_on_plans_and_tensors_too():
    with pytest.raises(ct.ContractError, match="imaginary"):
        ct.plan("i->", np.ones(2, dtype=np.complex64), dtype=np.float64)
    with pytest.raises(ct.ContractError, match="imaginary"):
        ct.einsum("i->", ct.tensor([1 + 1j]), dtype=ct.float32)


def test_einsum_complex_dtype_on_complex_or_real_operands_still_works():
    a = np.array([1 + 2j, 3 - 1j])
    assert ct.einsum("i,i->", a, a, dtype=np.complex64) == np.complex64(np.dot(a, a))
    got = ct.einsum("i->", np.array([1., 2.]), dtype=np.complex128)
    assert got.dtype == np.complex128 and got == 3


def test_tensor_sum_with_a_real_dtype_follows_torch():
    # torch: complex.sum(dtype=float32) / dtype=int64 keep the real part (no error)
    z = ct.tensor(np.array([1.5 + 2j, 2.25 - 1j]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        as_float = z.sum(dtype=ct.float32)
        as_int = z.sum(dtype=ct.int64)
    assert as_float.dtype == np.float32 and as_float.item() == 3.75
    assert as_int.dtype == np.int64 and as_int.item() == 3
    assert z.sum(dtype=ct.complex128).item() == 3.75 + 1j


def test_orderings_and_clamp_refuse_complex_as_torch_does():
    z = ct.tensor([1 + 1j, 2 - 1j])
    for op in (lambda: z < 1, lambda: z >= z, lambda: ct.gt(z, 0), lambda: z.le(1)):
        with pytest.raises(ct.ContractError, match="not supported for complex"):
            op()
    with pytest.raises(ct.ContractError, match="clamp is not supported for complex"):
        z.clamp(0, 1)
    assert (z == z).numpy().tolist() == [True, True] and (z != 1).numpy().tolist() == [True] * 2


@pytest.mark.parametrize("op", [lambda z: z.max(), lambda z: z.min(), lambda z: z.max(0),
                                lambda z: z.amax(0), lambda z: z.amin(), lambda z: z.argmax(),
                                lambda z: z.argmin(0), lambda z: ct.maximum(z, z),
                                lambda z: ct.minimum(z, z),
                                lambda z: ct.nn.functional.max_pool1d(z.reshape(1, 1, 4), 2)])
def test_orderings_refuse_complex_tensors(op):
    """torch raises on max/min/argmax/maximum/max_pool of complex input; so do we, clearly."""
    z = ct.tensor(np.array([1 + 2j, 3 - 1j, 0j, 2 + 0j]))
    with pytest.raises(ct.ContractError, match="complex"):
        op(z)


def test_max_pool_refuses_bool_with_a_clear_error():
    with pytest.raises(ct.ContractError, match="bool"):
        ct.nn.functional.max_pool1d(ct.tensor(np.array([[[True, False, True, False]]])), 2)


def test_complex_logsumexp_value_and_gradient():
    """logsumexp is defined on complex input (torch): the value, and the conjugated softmax."""
    z0 = _draw([(C, (3, 4))], 5)[0]
    z = ct.tensor(z0, requires_grad=True)
    want = np.log(np.exp(z0).sum(axis=1))
    np.testing.assert_allclose(z.logsumexp(1).detach().numpy(), want, rtol=1e-12)
    assert gradcheck(lambda z: z.logsumexp(1), (z,))
    z.logsumexp(1).real.sum().backward()
    soft = np.exp(z0) / np.exp(z0).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(z.grad.numpy(), np.conj(soft), rtol=1e-12)


@pytest.mark.parametrize("semiring", ["maxplus", "minplus", "maxtimes"])
def test_ordering_semirings_refuse_complex_operands(semiring):
    a = np.array([[1 + 1j, 2], [3, 4j]])
    with pytest.raises(ct.ContractError, match="complex"):
        ct.einsum("ij,jk->ik", a, a, semiring=semiring)
    with pytest.raises(ct.ContractError, match="complex"):
        ct.einsum("ij,jk->ik", a, a.real, semiring=semiring, argmax=True)


def test_log_semiring_on_complex_is_log_sum_exp():
    a, b = _draw([(C, (2, 3)), (C, (3, 2))], 9)
    want = np.log(np.exp(a[:, :, None] + b[None, :, :]).sum(axis=1))
    np.testing.assert_allclose(ct.einsum("ij,jk->ik", a, b, semiring="log"), want, rtol=1e-12)
