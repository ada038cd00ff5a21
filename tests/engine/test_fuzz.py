"""Hypothesis: any string, any operands, any options either work or raise ContractError."""
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import contract as ct

# a deeper, randomised hunt: CONTRACT_FUZZ_EXAMPLES=5000 pytest tests/engine/test_fuzz.py
_DEEP = int(os.environ.get("CONTRACT_FUZZ_EXAMPLES", "0"))
SETTINGS = settings(max_examples=_DEEP or 300, deadline=None, derandomize=not _DEEP,
                    suppress_health_check=[HealthCheck.too_slow])

# every code point, surrogates and control characters included
ANY_CHAR = st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=())
# the characters the grammar cares about, so that structure is explored too
GRAMMAR_CHAR = st.sampled_from(list("ijkab ,.->()\t\nαÉ中_1"))
EQUATIONS = st.text(st.one_of(GRAMMAR_CHAR, GRAMMAR_CHAR, ANY_CHAR), max_size=24)


def _check_error(err):
    assert isinstance(err, ct.ContractError), f"{type(err).__name__} escaped: {err!r}"
    message = str(err)
    message.encode("utf-8")          # printing it never raises UnicodeEncodeError
    assert message.strip()


def _shapes_for(text, draw_sizes):
    """Operand shapes that often fit: one per term, one dim per character."""
    terms = text.split("->")[0].split(",")
    return [tuple(draw_sizes[k % len(draw_sizes)] if k < 8 else 1      # keep arrays small
                  for k in range(len(t.replace(" ", "")))) for t in terms]


@SETTINGS
@given(text=EQUATIONS, sizes=st.lists(st.integers(0, 3), min_size=1, max_size=4))
def test_any_equation_text_works_or_raises_contract_error(text, sizes):
    operands = [np.ones(s) for s in _shapes_for(text, sizes)]
    try:
        got = ct.einsum(text, *operands)
    except Exception as err:        # noqa: BLE001 -- the check is on the type
        _check_error(err)
        return
    try:
        expected = np.einsum(text, *operands)
    except Exception:               # noqa: BLE001 -- numpy refuses our extensions
        return
    np.testing.assert_allclose(got, expected)


@SETTINGS
@given(text=EQUATIONS)
def test_any_text_parses_or_raises_contract_error(text):
    from contract.grammar import parse
    try:
        eq = parse(text)
    except Exception as err:        # noqa: BLE001
        _check_error(err)
        return
    again = parse(eq.text)         # the normalised text means the same equation
    assert (again.inputs, again.output, again.named) == (eq.inputs, eq.output, eq.named)


SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70),
                    st.floats(allow_nan=True, allow_infinity=True), st.complex_numbers(),
                    st.text(max_size=3), st.binary(max_size=3))
NESTED = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3), max_leaves=8)
ARRAYS = hnp.arrays(
    dtype=st.one_of(hnp.scalar_dtypes(), hnp.unicode_string_dtypes(), hnp.byte_string_dtypes()),
    shape=hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=3))
OPERANDS = st.lists(st.one_of(ARRAYS, NESTED, st.just(object()), st.just({"a": 1})),
                    min_size=0, max_size=4)


@SETTINGS
@given(equation=st.sampled_from(["ij,jk->ik", "i,i", "...", "ii->i", "i->ii", ",->", "ij",
                                 "...i,...i->...", "(a b)->a", "i,j,k"]),
       operands=OPERANDS)
def test_any_operands_work_or_raise_contract_error(equation, operands):
    try:
        ct.einsum(equation, *operands)
    except Exception as err:        # noqa: BLE001
        _check_error(err)


WEIRD = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.floats(), st.text(max_size=4),
                  st.lists(st.tuples(st.integers(-2, 3), st.integers(-2, 3)), max_size=3),
                  st.lists(st.integers(-1, 3), max_size=3), st.just(object()), st.just([1]))


@SETTINGS
@given(optimize=WEIRD, memory_limit=WEIRD, dtype=WEIRD, semiring=WEIRD,
       sizes=st.dictionaries(st.sampled_from(["i", "j", "h", "p", "zz", "_"]), WEIRD, max_size=2))
def test_any_options_work_or_raise_contract_error(optimize, memory_limit, dtype, semiring, sizes):
    a, b = np.ones((2, 6)), np.ones((6, 3))
    for equation, ops in [("ij,jk->ik", (a, b)), ("i (h p) -> i h", (a,))]:
        try:
            ct.einsum(equation, *ops, optimize=optimize, memory_limit=memory_limit,
                      dtype=dtype, semiring=semiring, **sizes)
        except Exception as err:    # noqa: BLE001
            _check_error(err)


@SETTINGS
@given(sublists=st.lists(st.lists(st.one_of(st.integers(-2, 60), st.just(Ellipsis),
                                             st.text(max_size=1), st.none()), max_size=4),
                         min_size=1, max_size=3),
       output=st.one_of(st.none(), st.lists(st.integers(-1, 5), max_size=3)))
def test_any_sublists_work_or_raise_contract_error(sublists, output):
    args = []
    for sub in sublists:
        args += [np.ones((2,) * len(sub)), sub]
    if output is not None:
        args.append(output)
    try:
        ct.einsum(*args)
    except Exception as err:        # noqa: BLE001
        _check_error(err)


@pytest.mark.parametrize("text", ["\ud800", "i\udc80->i", "ij,\ud83d->", "\x00", "\u200b",
                                  "ⅰⅱ", "ǅ", "ij->\U0001D400"])
def test_odd_unicode_is_handled(text):
    try:
        ct.einsum(text, np.ones((2, 2)))
    except Exception as err:        # noqa: BLE001
        _check_error(err)
