"""``contract explain module:function --shapes ...``: the compiled program of a function.

The function (a plain function, a ``ct.compile``-d one, or an ``nn.Module`` instance) is
compiled and traced on float64 tensors of the given shapes (random, seeded); the
listing shows each network as einsum text with its plan table and the barrier ops
between them (:mod:`contract.compiler.listing`).

>>> is_function_ref("examples.compiled_programs:chain"), is_function_ref("ij,jk->ik")
(True, False)
"""
import importlib
import os
import re
import sys

import numpy as np

from contract.compiler import Compiled, compile as compile_program
from contract.errors import ContractError
from contract.tensors.core import Tensor

_REF = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$")


def is_function_ref(text: str) -> bool:
    """Whether ``text`` names a Python function (``package.module:function``)."""
    return bool(_REF.match(text.strip()))


def load_function(ref: str):
    """The object ``module:attr.attr`` names (the current directory is importable)."""
    module_name, _, path = ref.strip().partition(":")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        found = importlib.import_module(module_name)
    except ImportError as err:
        raise ContractError(f"cannot import module {module_name!r}: {err}") from None
    for part in path.split("."):
        if not hasattr(found, part):
            raise ContractError(f"{module_name!r} has no attribute {path!r}")
        found = getattr(found, part)
    if not callable(found):
        raise ContractError(f"{ref} is a {type(found).__name__}, not a function")
    return found


def program_of(ref, shapes, optimize="auto", memory_limit=None, seed=0):
    """The :class:`~contract.compiler.Program` of function ``ref`` on tensors of ``shapes``."""
    fn = load_function(ref)
    if isinstance(fn, Compiled):
        fn = fn.fn
    rng = np.random.default_rng(seed)
    args = [Tensor._wrap(rng.standard_normal(tuple(s))) for s in shapes]
    return compile_program(fn, optimize=optimize, memory_limit=memory_limit).program(*args)


def explain_program(args) -> int:
    """The ``contract explain`` path for a function: print its program."""
    print(program_of(args.equation, args.shapes, args.optimize, args.memory_limit))
    return 0
