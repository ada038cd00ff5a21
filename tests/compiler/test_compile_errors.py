"""ct.compile's errors: code that needs a value while tracing names the op, the line of the
function and the way out; in-place updates of arguments and unhashable arguments are
refused; nothing else escapes as a non-ContractError."""
import inspect

import numpy as np
import pytest

import contract as ct


def _if_on_a_tensor(x):
    if x.sum() > 0:
        return x
    return -x


def _item(x):
    return x * x.sum().item()


def _float(x):
    return x * float(x.max())


def _asarray(x):
    return np.asarray(x) * 2


def _iterate(x):
    return [row.sum() for row in x]


def _int_index(x):
    return x[int(x.argmax())]


def _mask(x):
    return x[x > 0]


def _numpy(x):
    return x.numpy()


@pytest.mark.parametrize("fn, what", [
    (_if_on_a_tensor, "bool(t)"), (_item, "t.item()"), (_float, "float(t)"),
    (_asarray, "np.asarray(t)"), (_iterate, "iterating over a tensor"), (_int_index, "int(t)"),
    (_mask, "boolean mask"), (_numpy, "t.numpy()"),
])
def test_needing_a_value_names_the_op_and_the_line(fn, what):
    with pytest.raises(ct.ContractError) as err:
        ct.compile(fn)(ct.ones(3, 4))
    message = str(err.value)
    line = inspect.getsourcelines(fn)[1] + 1
    assert what in message and f"test_compile_errors.py:{line}" in message
    assert "non-tensor argument" in message and "outside the compiled function" in message
    assert repr(fn.__name__) in message


def _add_to_argument(x):
    x += 1
    return x


def _update_a_view_of_an_argument(x, y):
    x[0].mul_(y.sum())
    return x


def _update_an_intermediate(x):
    h = x * 2
    h += 1
    h[0] = 0
    return h


W = ct.ones(3, 4)


def _update_a_captured_tensor(x):
    global W
    W += x
    return W


def _method_of_a_captured_tensor(x):
    return W.matmul(x)


@pytest.mark.parametrize("fn", [_add_to_argument, _update_a_view_of_an_argument])
def test_in_place_updates_of_arguments_are_refused(fn):
    x = ct.ones(3, 4)
    args = (x,) if fn.__code__.co_argcount == 1 else (x, ct.ones(2))
    with pytest.raises(ct.ContractError, match="in-place op .* writes into an argument"):
        ct.compile(fn)(*args)
    assert x.tolist() == ct.ones(3, 4).tolist()


@pytest.mark.parametrize("fn, shape", [(_update_a_captured_tensor, (3, 4)),
                                       (_method_of_a_captured_tensor, (4, 2))])
def test_methods_of_captured_tensors_cannot_record_a_traced_tensor(fn, shape):
    with pytest.raises(ct.ContractError, match="a tensor that is not traced .* ct function"):
        ct.compile(fn)(ct.ones(*shape))
    assert W.tolist() == ct.ones(3, 4).tolist()


def test_in_place_updates_of_intermediates_are_allowed():
    x = ct.tensor([[1., 2.], [3., 4.]], requires_grad=True)
    f = ct.compile(_update_an_intermediate)
    assert f(x).tolist() == _update_an_intermediate(x).tolist()
    f(x).sum().backward()
    assert x.grad.tolist() == [[0., 0.], [2., 2.]]


def test_unhashable_arguments_are_refused():
    f = ct.compile(lambda x, opts: x * 2)
    with pytest.raises(ct.ContractError, match="not hashable"):
        f(ct.ones(2), {1, 2})
    assert f(ct.ones(2), (1, 2)).tolist() == [2.0, 2.0]


def test_a_traced_tensor_that_escapes_is_refused_later():
    kept = []
    ct.compile(lambda x: kept.append(x * 2) or x)(ct.ones(2))
    with pytest.raises(ct.ContractError, match="outside ct.compile's trace"):
        kept[0] + 1


def test_shape_errors_are_the_eager_ones():
    with pytest.raises(ct.ShapeError, match="cannot be multiplied"):
        ct.compile(lambda a, b: a @ b)(ct.ones(2, 3), ct.ones(4, 5))
    with pytest.raises(ct.ShapeError, match="not broadcastable"):
        ct.compile(lambda a, b: (a * b).sum())(ct.ones(2, 3), ct.ones(4))
    with pytest.raises(ct.ContractError, match="not callable|expects a function"):
        ct.compile(3)


def test_a_tensor_computed_from_a_parameter_outside_the_function_is_refused():
    w = ct.ones(3, 2, requires_grad=True)
    wt = w.T                            # computed once, outside: would be frozen

    with pytest.raises(ct.ContractError, match="computed outside the traced data flow"):
        ct.compile(lambda x: x @ wt)(ct.ones(4, 2))
