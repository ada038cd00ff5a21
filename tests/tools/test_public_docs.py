"""Docs you can learn from: every public name has a docstring with a runnable example.

The public surface is everything in ``contract.__all__``, the ``__all__`` of ``contract.nn``,
``contract.nn.functional``, ``contract.optim``, ``contract.linalg`` and ``contract.testing``,
and the public methods and properties of every class among them (``ct.Tensor``, ``ct.Plan``,
``ct.SlicedPlan``, ``ct.nn.Module`` and its layers, the optimizers, ...), walked through their
bases inside ``contract``.  Each must have a docstring with a ``>>>`` example, and that docstring
must be one that pytest's ``--doctest-modules`` collects from the module that defines it (so the
example runs in the suite).  A method that overrides a documented one (``forward``,
``extra_repr``) may share the base's docstring, as ``help()`` shows it.
"""
import doctest
import importlib
import inspect

import pytest

import contract as ct
import contract.nn.functional as F

PUBLIC_MODULES = {"ct": ct, "ct.nn": ct.nn, "F": F, "ct.optim": ct.optim,
                  "ct.linalg": ct.linalg, "ct.testing": ct.testing}

# Defined in files that the sliced-gradients work (issue 18) owns: their examples come after
# that merge.  Shrink this list as they land; the test fails on a name that no longer needs it.
AWAITING_EXAMPLES = set()


def _documented(obj):
    """The object that carries the docstring of a public member (property: its getter; a
    ``ct.*`` function: the function that its override wrapper wraps)."""
    if isinstance(obj, (staticmethod, classmethod)):
        return obj.__func__
    if isinstance(obj, property):
        return obj.fget
    return inspect.unwrap(obj) if inspect.isfunction(obj) else obj


def _is_api(obj):
    return inspect.isroutine(obj) or isinstance(obj, (type, property, staticmethod,
                                                      classmethod))


def _members(prefix, cls):
    """(qualified name, member, base docstring) for the public members of ``cls`` that
    ``contract`` defines, named after the class (or base) that defines them."""
    for base in cls.__mro__:
        if not base.__module__.startswith("contract"):
            continue
        for attr, value in vars(base).items():
            if attr.startswith("_") or not _is_api(value):
                continue
            inherited = next((getattr(b, attr) for b in base.__mro__[1:]
                              if attr in vars(b) and b.__module__.startswith("contract")), None)
            yield f"{prefix}.{base.__name__}.{attr}", value, inspect.getdoc(inherited) if inherited else None


def public_surface():
    """(qualified name, object, docstring inherited from an overridden base or None)."""
    found, seen = [], set()

    def add(qualname, obj, inherited=None):
        key = id(_documented(obj))
        if key not in seen:
            seen.add(key)
            found.append((qualname, obj, inherited))

    classes = []
    for prefix, module in PUBLIC_MODULES.items():
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.ismodule(obj) or not _is_api(obj):
                continue
            add(f"{prefix}.{name}", obj)
            if isinstance(obj, type):
                classes.append((prefix, obj))
    for prefix, cls in classes:
        for member in _members(prefix, cls):
            add(*member)
    return found


SURFACE = public_surface()
_DOCTESTS = {}


def collected_docstrings(module_name):
    """The docstrings that doctest collects (with at least one example) from a module."""
    if module_name not in _DOCTESTS:
        module = importlib.import_module(module_name)
        tests = doctest.DocTestFinder(exclude_empty=True).find(module)
        _DOCTESTS[module_name] = {t.docstring for t in tests if t.examples}
    return _DOCTESTS[module_name]


def problem(obj, inherited):
    """Why ``obj``'s documentation falls short, or None."""
    target = _documented(obj)
    doc = getattr(target, "__doc__", None)
    if not doc or not doc.strip():
        if inherited and ">>>" in inherited:
            return None
        return "no docstring"
    if ">>>" not in doc:
        return "no example (a '>>>' line) in the docstring"
    module = getattr(target, "__module__", None)
    if module is None or doc not in collected_docstrings(module):
        return f"its example is not collected by doctest in {module}"
    return None


def test_the_surface_is_walked():
    names = {name for name, _, _ in SURFACE}
    for expected in ("ct.einsum", "ct.Tensor.backward", "ct.Tensor.shape", "ct.Plan.execute",
                     "ct.nn.Module.parameters", "ct.nn.Linear", "F.cross_entropy",
                     "ct.optim.Adam", "ct.linalg.vector_norm", "ct.testing.gradcheck",
                     "ct.SlicedPlan"):
        assert expected in names, expected
    assert len(SURFACE) > 250


@pytest.mark.parametrize("name,obj,inherited", SURFACE, ids=[n for n, _, _ in SURFACE])
def test_public_name_has_docstring_with_example(name, obj, inherited):
    why = problem(obj, inherited)
    if name in AWAITING_EXAMPLES:
        assert why is not None, f"{name} is documented now: take it off AWAITING_EXAMPLES"
        pytest.skip(f"{name}: {why} (awaiting issue 18's merge)")
    assert why is None, f"{name}: {why}"


def test_allow_list_names_are_public():
    names = {name for name, _, _ in SURFACE}
    assert AWAITING_EXAMPLES <= names, AWAITING_EXAMPLES - names


@pytest.mark.parametrize("prefix", sorted(PUBLIC_MODULES))
def test_public_modules_export_only_their_api(prefix):
    module = PUBLIC_MODULES[prefix]
    exported = getattr(module, "__all__", None)
    assert exported is not None, f"{prefix} has no __all__"
    assert len(set(exported)) == len(exported), f"{prefix}.__all__ repeats a name"
    for name in exported:
        assert not name.startswith("_"), f"{prefix}.__all__ lists the helper {name}"
        obj = getattr(module, name)          # AttributeError: a listed name is missing
        if inspect.ismodule(obj):
            assert obj.__name__.startswith("contract."), f"{prefix}.{name} is {obj.__name__}"
            continue
        if not _is_api(obj):                 # values: the dtypes ct.float32, ...
            continue
        defined_in = getattr(obj, "__module__", None) or ""
        assert defined_in.startswith("contract"), f"{prefix}.{name} comes from {defined_in}"
        assert ".tools" not in defined_in and "._" not in defined_in, \
            f"{prefix}.{name} is a helper of {defined_in}"


def test_star_import_gives_the_api():
    namespace = {}
    exec("from contract.nn.functional import *", namespace)
    names = set(namespace) - {"__builtins__"}
    assert {"conv2d", "cross_entropy", "layer_norm", "max_pool2d"} <= names
    assert not {"np", "einsum", "prod", "windows", "crop", "as_tuple", "overridable"} & names


def test_a_missing_example_is_caught():
    def undocumented(x):
        return x

    def no_example(x):
        """Identity."""
        return x

    def not_collected(x):
        """Identity.

        >>> not_collected(1)
        1
        """
        return x
    assert problem(undocumented, None) == "no docstring"
    assert problem(undocumented, "Base.\n\n>>> 1\n1") is None
    assert "no example" in problem(no_example, None)
    assert "not collected" in problem(not_collected, None)
