"""numpy / opt_einsum drop-in details (issue 17 items 4 and 5): ``ct.einsum_path``,
``order=``, ``casting=``, ``memory_limit="max_input"``, and inputs that are not operands."""
import numpy as np
import opt_einsum
import pytest

import contract as ct

RNG = np.random.default_rng(17)
NETWORKS = [
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 5)]),
    ("ea,fb,abcd,gc,hd->efgh", [(3, 4), (3, 5), (4, 5, 2, 3), (2, 2), (3, 3)]),
    ("bij,bjk,bkl->bil", [(2, 3, 4), (2, 4, 5), (2, 5, 2)]),
    ("i,i->", [(5,), (5,)]),
]


@pytest.mark.parametrize("equation, shapes", NETWORKS)
@pytest.mark.parametrize("optimize", ["greedy", "optimal", True, False])
def test_einsum_path_is_numpys_pair_and_its_path_runs_everywhere(equation, shapes, optimize):
    ops = [RNG.standard_normal(s) for s in shapes]
    path, report = ct.einsum_path(equation, *ops, optimize=optimize)
    assert path[0] == "einsum_path" and all(isinstance(s, tuple) for s in path[1:])
    if optimize is False:
        assert path[1:] == [tuple(range(len(ops)))]
    want = np.einsum(equation, *ops)
    np.testing.assert_allclose(ct.einsum(equation, *ops, optimize=path), want, rtol=1e-12)
    np.testing.assert_allclose(np.einsum(equation, *ops, optimize=path), want, rtol=1e-12)
    ours, numpys = report.splitlines(), np.einsum_path(equation, *ops)[1].splitlines()
    assert [line.split(":")[0] for line in ours[:7]] == [line.split(":")[0] for line in numpys[:7]]
    assert ours[0] == numpys[0] and ours[1] == numpys[1]         # contraction, naive scaling
    assert ours[3] == numpys[3]                                   # naive FLOP count
    assert ours[7:10] == numpys[7:10]                             # the table's header
    assert len(ours) == 10 + len(path) - 1
    assert ours[-1].split()[-1] == numpys[-1].split()[-1]          # ends on output->output


def test_einsum_path_report_counts_what_the_plan_counts():
    ops = [np.ones(s) for s in NETWORKS[1][1]]
    path, report = ct.einsum_path(NETWORKS[1][0], *ops, optimize="optimal")
    found = ct.plan(NETWORKS[1][0], *ops, optimize="optimal")
    assert [tuple(s) for s in found.path] == path[1:]
    assert f"Optimized FLOP count:  {found.flops:.3e}" in report
    assert f"Largest intermediate:  {found.largest_intermediate:.3e} elements" in report


def test_einsum_path_takes_numpys_optimize_forms_and_every_operand_form():
    a, b, c = np.ones((2, 3)), np.ones((3, 4)), np.ones((4, 5))
    path, _ = ct.einsum_path("ij,jk,kl->il", a, b, c, optimize=("greedy", 20))
    assert path[0] == "einsum_path" and len(path) == 3
    assert ct.einsum_path(a, [0, 1], b, [1, 2], [0, 2])[0] == ["einsum_path", (0, 1)]
    assert ct.einsum_path("b (h p) -> b h", np.ones((2, 4)), p=2)[0] == ["einsum_path", (0,)]
    t = ct.ones(2, 3)
    assert ct.einsum_path("ij,jk->ik", t, np.ones((3, 4)))[0] == ["einsum_path", (0, 1)]
    with pytest.raises(ct.ContractError, match="unknown optimizer"):
        ct.einsum_path("ij,jk->ik", a, b, optimize="fastest")


@pytest.mark.parametrize("order", ["C", "F", "A", "K"])
@pytest.mark.parametrize("layout", ["C", "F"])
def test_order_lays_out_the_result(order, layout):
    a = np.asarray(RNG.standard_normal((3, 4)), order=layout)
    b = np.asarray(RNG.standard_normal((4, 5)), order=layout)
    got = ct.einsum("ij,jk->ik", a, b, order=order)
    np.testing.assert_allclose(got, a @ b, rtol=1e-12)
    want = {"C": "C", "F": "F", "A": layout}.get(order)
    if want == "C":
        assert got.flags.c_contiguous
    elif want == "F":
        assert got.flags.f_contiguous


def test_order_on_tensors_and_bad_orders():
    t = ct.tensor(np.ones((2, 3)), requires_grad=True)
    y = ct.einsum("ij->ji", t, order="C")
    assert y.is_contiguous() and y.requires_grad
    with pytest.raises(ct.ContractError, match="row-major"):
        ct.einsum("ij->ji", t, order="F")
    with pytest.raises(ct.ContractError, match="order must be one of"):
        ct.einsum("ij->ji", np.ones((2, 3)), order="X")


def test_order_and_casting_are_label_sizes_when_ints():
    x = np.arange(12.0).reshape(2, 6)
    np.testing.assert_array_equal(ct.einsum("b (order p) -> b order", x, order=3),
                                  x.reshape(2, 3, 2).sum(-1))
    np.testing.assert_array_equal(ct.einsum("b (casting p) -> b casting", x, p=3),
                                  x.reshape(2, 2, 3).sum(-1))


@pytest.mark.parametrize("dtypes, dtype, casting, allowed", [
    (("int32", "float64"), None, "no", False), (("int32", "int32"), None, "no", True),
    (("float64",), "float32", "safe", False), (("float64",), "float32", "same_kind", True),
    (("int32",), "float32", "safe", False), (("int32",), "float64", "safe", True),
    (("float64",), "int64", "same_kind", False), (("float64",), "int64", "unsafe", True),
    (("float32", "float32"), None, "equiv", True),
])
def test_casting_follows_numpy(dtypes, dtype, casting, allowed):
    equation = ",".join("i" for _ in dtypes) + "->"
    ops = [np.arange(1, 4).astype(d) for d in dtypes]
    try:
        np.einsum(equation, *ops, dtype=dtype, casting=casting)
        numpy_allows = True
    except TypeError:
        numpy_allows = False
    assert numpy_allows == allowed
    if allowed:
        got = ct.einsum(equation, *ops, dtype=dtype, casting=casting)
        np.testing.assert_allclose(got, np.einsum(equation, *ops, dtype=dtype,
                                                  casting=casting))
    else:
        with pytest.raises(ct.ContractError, match="cast"):
            ct.einsum(equation, *ops, dtype=dtype, casting=casting)


def test_complex_to_real_is_refused_even_when_unsafe():
    # numpy drops the imaginary part with a warning; the dtype policy never does it silently
    with pytest.raises(ct.ContractError, match="imaginary part"):
        ct.einsum("i->", np.ones(3, complex), dtype="float64", casting="unsafe")


def test_casting_into_out():
    x = np.array([1.5, 2.25, 3.0])
    out = np.zeros((), np.int32)
    assert ct.einsum("i->", x, out=out, casting="unsafe") is out and int(out) == 6
    out32 = np.zeros((), np.float32)
    assert ct.einsum("i->", x, out=out32, casting="same_kind") is out32
    assert float(out32) == 6.75
    with pytest.raises(ct.ContractError, match="does not cast"):
        ct.einsum("i->", x, out=np.zeros((), np.int32), casting="same_kind")
    with pytest.raises(ct.ContractError, match="does not cast"):
        ct.einsum("i->", x, out=np.zeros((), np.float32))       # the default rule: safe
    with pytest.raises(ct.ContractError, match="casting must be one of"):
        ct.einsum("i->", x, casting="sometimes")
    with pytest.raises(ct.ContractError, match="out must be"):
        ct.einsum("i->", ct.tensor(x), out=out, casting="unsafe")


@pytest.mark.parametrize("equation, shapes", NETWORKS[:3])
def test_memory_limit_max_input(equation, shapes):
    found = ct.plan(equation, *shapes, memory_limit="max_input", optimize="greedy")
    assert found.largest_intermediate <= max(int(np.prod(s)) for s in shapes)
    _, info = opt_einsum.contract_path(equation, *shapes, shapes=True, optimize="greedy",
                                       memory_limit="max_input")
    assert found.flops == info.opt_cost
    ops = [RNG.standard_normal(s) for s in shapes]
    np.testing.assert_allclose(ct.einsum(equation, *ops, memory_limit="max_input"),
                               np.einsum(equation, *ops), rtol=1e-12)
    with pytest.raises(ct.ContractError, match="'max_input'"):
        ct.plan(equation, *shapes, memory_limit="max_output")


@pytest.mark.parametrize("shape, words", [("3x4", "is the str '3x4'"),
                                          ((3, 4.0), r"not an int \(4.0\)"),
                                          ((3, True), r"not an int \(True\)")])
def test_plan_refuses_what_looks_like_a_mistyped_shape(shape, words):
    with pytest.raises(ct.ContractError, match=words):
        ct.plan("ij->", shape)


@pytest.mark.parametrize("operand, words", [
    ("hello", "operand 1 is not numeric: the str 'hello'"),
    (["a", "b"], "operand 1 is not numeric: an array of dtype <U1"),
    (np.array(["a", "b"]), "not numeric"),
    (None, "operand 1 is not numeric: an object array"),
])
def test_non_numeric_operands_say_so(operand, words):
    with pytest.raises(ct.ContractError, match=words):
        ct.einsum("ij,j->i", np.ones((2, 2)), operand)


def test_a_parsed_equation_is_an_equation():
    eq = ct.grammar.parse("hw -> hw", named=True)
    x = np.arange(3.0)
    np.testing.assert_array_equal(ct.einsum(eq, x), x)


def test_register_semiring_with_a_name_says_what_it_takes():
    with pytest.raises(ct.ContractError, match="takes a Semiring record"):
        ct.register_semiring("foo")
