"""Every bad-input class raises a ContractError subclass whose message names what is wrong."""
import re

import numpy as np
import pytest

import contract as ct

O = np.ones


def test_error_hierarchy():
    assert issubclass(ct.ContractError, ValueError)
    assert issubclass(ct.EquationSyntaxError, ct.ContractError)
    assert issubclass(ct.ShapeError, ct.ContractError)


def _raises(kind, pattern, fn):
    with pytest.raises(kind) as info:
        fn()
    assert re.search(pattern, str(info.value)), str(info.value)
    return info.value


BAD_INPUT = [
    # operand counts and ranks
    ("count", ct.ContractError, r"2 input terms but 1 operands",
     lambda: ct.einsum("ij,jk", O((2, 2)))),
    ("too many", ct.ContractError, r"1 input terms but 2 operands",
     lambda: ct.einsum("ij", O((2, 2)), O(2))),
    ("rank", ct.ShapeError, r"operand 0 has 3 dimensions.*2",
     lambda: ct.einsum("ij", O((2, 2, 2)))),
    ("ellipsis rank", ct.ShapeError, r"operand 0 has 1 dimensions.*at least 2",
     lambda: ct.einsum("...ij", O(2))),
    # sizes
    ("size", ct.ShapeError, r"label 'j' has size 3 in operand 0 but size 4 in operand 1",
     lambda: ct.einsum("ij,jk", O((2, 3)), O((4, 2)))),
    ("diag size", ct.ShapeError, r"label 'i'.*size 2.*size 3",
     lambda: ct.einsum("ii", O((2, 3)))),
    ("ellipsis size", ct.ShapeError, r"'\.\.\.' dimension.*size 2.*size 3",
     lambda: ct.einsum("...i,...i", O((2, 4)), O((3, 4)))),
    ("named size", ct.ShapeError, r"label 'chan' has size 3.*size 4",
     lambda: ct.einsum("b chan, chan d", O((2, 3)), O((4, 5)))),
    # labels
    ("output label", ct.ContractError, r"output label 'k'", lambda: ct.einsum("ij->k", O((2, 2)))),
    ("group dup", ct.EquationSyntaxError, r"label 'a' appears twice",
     lambda: ct.einsum("(a a)->a", O(4))),
    # groups and keyword sizes
    ("group infer", ct.ShapeError, r"cannot infer.*h, p.*operand 0.*size 6",
     lambda: ct.einsum("(h p) -> h", O(6))),
    ("group multiple", ct.ShapeError, r"size 7 in operand 0.*\(h p\).*multiple of 2",
     lambda: ct.einsum("(h p) -> h", O(7), p=2)),
    ("group product", ct.ShapeError, r"\(h p\).*operand 0.*size 6.*size 8",
     lambda: ct.einsum("(h p) -> h", O(8), h=2, p=3)),
    ("kw unknown", ct.ContractError, r"label 'z'.*not in the equation",
     lambda: ct.einsum("ij", O((2, 2)), z=2)),
    ("kw negative", ct.ContractError, r"label 'p'.*non-negative int.*-2",
     lambda: ct.einsum("(h p)->h", O(4), p=-2)),
    ("kw float", ct.ContractError, r"label 'p'.*2\.0", lambda: ct.einsum("(h p)->h", O(4), p=2.0)),
    ("kw zero", ct.ShapeError, r"size 4 in operand 0", lambda: ct.einsum("(h p)->h", O(4), p=0)),
    ("kw conflict", ct.ShapeError, r"label 'i' was given size 3 but has size 2 in operand 0",
     lambda: ct.einsum("ij", O((2, 2)), i=3)),
    # options
    ("optimizer name", ct.ContractError, r"unknown optimizer 'nope'.*greedy",
     lambda: ct.einsum("ij", O((2, 2)), optimize="nope")),
    ("optimizer type", ct.ContractError, r"optimize=3",
     lambda: ct.einsum("ij", O((2, 2)), optimize=3)),
    ("path position", ct.ContractError, r"step 0 \(0, 5\)",
     lambda: ct.einsum("ij,jk", O((2, 2)), O((2, 2)), optimize=[(0, 5)])),
    ("path short", ct.ContractError, r"leaves 2 operands",
     lambda: ct.einsum("ij,jk", O((2, 2)), O((2, 2)), optimize=[(0,)])),
    ("path strings", ct.ContractError, r"optimize=",
     lambda: ct.einsum("ij,jk", O((2, 2)), O((2, 2)), optimize=["ab"])),
    ("path zero-size", ct.ContractError, r"step 0 \(0, 5\)",
     lambda: ct.einsum("ij,jk", O((0, 2)), O((2, 2)), optimize=[(0, 5)])),
    ("path zero-size short", ct.ContractError, r"leaves 2 operands",
     lambda: ct.einsum("ij,jk", O((0, 2)), O((2, 2)), optimize=[(0,)])),
    ("path one operand", ct.ContractError, r"step 0 \(0, 1\)",
     lambda: ct.einsum("ij->ji", O((2, 2)), optimize=[(0, 1)])),
    ("memory_limit zero-size", ct.ContractError, r"memory_limit.*-1",
     lambda: ct.einsum("ij,jk", O((0, 2)), O((2, 2)), memory_limit=-1)),
    ("memory_limit", ct.ContractError, r"memory_limit.*-1",
     lambda: ct.einsum("ij,jk", O((2, 2)), O((2, 2)), memory_limit=-1)),
    ("memory_limit list", ct.ContractError, r"memory_limit",
     lambda: ct.einsum("ij,jk", O((2, 2)), O((2, 2)), memory_limit=[])),
    ("memory_limit bool", ct.ContractError, r"memory_limit",
     lambda: ct.einsum("ij,jk", O((2, 2)), O((2, 2)), memory_limit=True)),
    ("size list", ct.ContractError, r"label 'p'.*\[2\]",
     lambda: ct.einsum("(h p)->h", O(4), p=[2])),
    ("semiring", ct.ContractError, r"unknown semiring 'nope'.*real",
     lambda: ct.einsum("ij", O((2, 2)), semiring="nope")),
    ("semiring list", ct.ContractError, r"semiring", lambda: ct.einsum("ij", O((2, 2)),
                                                                       semiring=[1])),
    ("dtype", ct.ContractError, r"'nope' is not a dtype",
     lambda: ct.einsum("ij", O((2, 2)), dtype="nope")),
    ("dtype list", ct.ContractError, r"dtype", lambda: ct.einsum("ij", O((2, 2)), dtype=[1])),
    # operands
    ("ragged", ct.ContractError, r"operand 0 cannot be read",
     lambda: ct.einsum("ij", [[1, 2], [3]])),
    ("None", ct.ContractError, r"operand 0 is not numeric", lambda: ct.einsum("i", None)),
    ("strings", ct.ContractError, r"numeric", lambda: ct.einsum("i", np.array(["a", "b"]))),
    ("objects", ct.ContractError, r"operand 1 is not numeric",
     lambda: ct.einsum("i,i", O(2), [1, {}])),
    # the interleaved form
    ("sublist label", ct.ContractError, r"sublist 0.*'a'", lambda: ct.einsum(O(2), ["a"])),
    ("sublist negative", ct.ContractError, r"sublist 0.*-1", lambda: ct.einsum(O(2), [-1])),
    ("sublist ellipses", ct.ContractError, r"more than one Ellipsis",
     lambda: ct.einsum(O(2), [..., ...])),
    ("sublist output", ct.ContractError, r"output label 's1'", lambda: ct.einsum(O(2), [0], [1])),
    ("no arguments", ct.ContractError, r"needs an equation", lambda: ct.einsum()),
    # plans
    ("plan equation", ct.ContractError, r"must be a str", lambda: ct.plan(3, (3,))),
    ("plan negative", ct.ContractError, r"operand 0.*negative", lambda: ct.plan("ij", (2, -3))),
    ("plan shape", ct.ShapeError, r"operand 0 has shape \(2, 4\)",
     lambda: ct.plan("ij", (2, 3))(O((2, 4)))),
    ("plan count", ct.ContractError, r"takes 1 operands, got 2",
     lambda: ct.plan("ij", (2, 3))(O((2, 3)), O(2))),
    # more than 52 labels in one backend call
    ("52 labels", ct.ShapeError, r"60 distinct labels.*52", lambda: ct.einsum(
        ",".join(chr(0x4E00 + k) for k in range(60)) + "->", *[O(2)] * 60, optimize=False)),
]


@pytest.mark.parametrize("name, kind, pattern, fn", BAD_INPUT, ids=[b[0] for b in BAD_INPUT])
def test_bad_input_raises_a_contract_error_naming_the_problem(name, kind, pattern, fn):
    err = _raises(kind, pattern, fn)
    assert isinstance(err, ct.ContractError)
    assert not isinstance(err, (KeyError, IndexError, TypeError, UnicodeError))
    str(err).encode("utf-8")


@pytest.mark.parametrize("kwargs", [{"argmax": True}, {"argmax": True, "semiring": "log"}])
def test_argmax_with_real_or_log_is_a_contract_error(kwargs):
    with pytest.raises(ct.ContractError):
        ct.einsum("ij->i", O((2, 2)), **kwargs)


def test_errors_from_the_cached_fast_path_too():
    a, b = O((2, 3)), O((3, 4))
    ct.einsum("ij,jk->ik", a, b)
    with pytest.raises(ct.ShapeError):
        ct.einsum("ij,jk->ik", a, O((4, 4)))
    with pytest.raises(ct.ContractError):
        ct.einsum("ij,jk->ik", a)


# -- NumPy's 64-dimension limit is a ShapeError, not a leaked IndexError -----------------
def _names(prefix, count):
    return [f"{prefix}{i}" for i in range(count)]


@pytest.mark.parametrize("case", ["output", "step", "embedding", "split"])
def test_more_than_64_dimensions_is_a_shape_error(case):
    """NumPy arrays hold at most 64 dimensions; an output, a step result, a diagonal
    embedding or a group split past that leaked numpy's IndexError / ValueError."""
    a, b = _names("a", 40), _names("b", 40)
    ones = np.ones((1,) * 40)
    sizes, kwargs = {}, {}
    if case == "output":
        equation, ops = f"{' '.join(a)}, {' '.join(b)} -> {' '.join(a + b)}", [ones, ones]
    elif case == "step":        # the first step keeps 80 labels that the last two need
        c, d = a[:32] + b[:32], a[32:] + b[32:]
        equation = f"{' '.join(a)}, {' '.join(b)}, {' '.join(c)}, {' '.join(d)} ->"
        ops = [ones, ones, np.ones((1,) * 64), np.ones((1,) * 16)]
        kwargs = {"optimize": [(0, 1), (0, 1), (0, 1)]}
    elif case == "embedding":
        equation, ops = f"{' '.join(a[:33])} -> {' '.join(a[:33] + a[:33])}", [np.ones((1,) * 33)]
    else:
        equation, ops = f"({' '.join(a + b)}) -> a0", [np.ones(1)]
        sizes = {name: 1 for name in (a + b)[1:]}
    with pytest.raises(ct.ShapeError, match="64"):
        ct.einsum(equation, *ops, **kwargs, **sizes)


def test_64_dimensions_still_run():
    a = _names("a", 64)
    x = np.random.default_rng(3).standard_normal((1,) * 62 + (2, 3))
    got = ct.einsum(f"{' '.join(a)} -> {' '.join(a[::-1])}", x)
    np.testing.assert_allclose(got, x.transpose(tuple(range(63, -1, -1))))
