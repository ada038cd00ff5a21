"""contract: an einsum-centred tensor contraction compiler.

>>> import numpy as np, contract as ct
>>> ct.einsum("ij,jk->ik", np.eye(2), np.ones((2, 2)))
array([[1., 1.],
       [1., 1.]])
"""
from contract.errors import ContractError, EquationSyntaxError, ShapeError
from contract.engine.api import einsum, einsum_path, plan
from contract.engine.plan import Plan, Step
from contract.engine.semirings import Semiring, get_semiring, register_semiring
from contract.engine.kernels.blocks import block_elements, block_limit, set_block_limit
from contract.engine.slicing import SlicedPlan, slice_plan, sliced
from contract.autograd import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from contract.tensors import Size, Tensor, wrap
from contract.tensors.creation import (
    float16, float32, float64, int8, int16, int32, int64, uint8, bool_ as bool,  # noqa: A001
    complex64, complex128, half, double, long, cfloat, tensor, as_tensor, from_numpy, zeros,
    ones, empty, full, zeros_like, ones_like, empty_like, full_like, arange, linspace, eye,
    manual_seed, rand, randn, randint, randperm)
from contract.tensors.ops.arith import (
    add, sub, mul, div, neg, square, addcmul, addcdiv, mul as multiply, sub as subtract,
    div as divide, div as true_divide, neg as negative)
from contract.tensors.ops.power import pow  # noqa: A001
from contract.tensors.ops.rounding import floor_divide, remainder, fmod
from contract.tensors.ops.complex import real, imag, conj, conj as conj_physical
from contract.tensors.ops.elementwise import (  # noqa: A001
    abs, exp, log, sqrt, relu, sigmoid, tanh, sin, cos, clamp, clamp as clip, eq, ne, lt, le,
    gt, ge, logical_not, where)
from contract.tensors.ops.reduce import (  # noqa: A001
    sum, mean, var, std, prod, cumsum, all_ as all, any_ as any)
from contract.tensors.ops.semiring import (  # noqa: A001
    max, min, amax, amin, argmax, argmin, logsumexp, maximum, minimum)
from contract.tensors.ops.linalg import (
    matmul, mm, bmm, dot, outer, diagonal, trace, tensordot, dot as inner, outer as ger)
from contract.tensors.ops.shape import (
    reshape, flatten, permute, transpose, t, unsqueeze, squeeze, clone, gather, chunk, flip,
    transpose as swapaxes)
from contract.tensors.ops.join import cat, cat as concat, cat as concatenate, stack, meshgrid
from contract.tensors.ops.softmax import softmax, log_softmax, norm
from contract.tensors.ops.einops_style import rearrange, reduce, repeat
from contract.tensors.dispatch import overridable as _overridable
from contract.compiler import compile  # noqa: A001
from contract import linalg, nn, optim, testing

__version__ = "0.1.0"

__all__ = [
    # errors
    "ContractError", "EquationSyntaxError", "ShapeError",
    # einsum, plans, semirings, slicing
    "einsum", "einsum_path", "plan", "Plan", "Step", "Semiring", "get_semiring", "register_semiring",
    "block_elements", "block_limit", "set_block_limit", "SlicedPlan", "slice_plan", "sliced",
    # autograd
    "enable_grad", "is_grad_enabled", "no_grad", "set_grad_enabled",
    # tensors and dtypes
    "Size", "Tensor", "wrap", "float16", "float32", "float64", "int8", "int16", "int32",
    "int64", "uint8", "bool", "complex64", "complex128", "half", "double", "long", "cfloat",
    "tensor", "as_tensor", "from_numpy", "zeros", "ones", "empty", "full", "zeros_like",
    "ones_like", "empty_like", "full_like", "arange", "linspace", "eye", "manual_seed", "rand",
    "randn", "randint", "randperm",
    # tensor functions
    "add", "sub", "mul", "div", "neg", "square", "addcmul", "addcdiv", "multiply", "subtract",
    "divide", "true_divide", "negative", "pow", "floor_divide", "remainder", "fmod", "real",
    "imag", "conj", "conj_physical", "abs", "exp", "log", "sqrt", "relu", "sigmoid", "tanh",
    "sin", "cos", "clamp", "clip", "eq", "ne", "lt", "le", "gt", "ge", "logical_not", "where",
    "sum", "mean", "var", "std", "prod", "cumsum", "all", "any", "max", "min", "amax", "amin",
    "argmax", "argmin", "logsumexp", "maximum", "minimum", "matmul", "mm", "bmm", "dot",
    "outer", "diagonal", "trace", "tensordot", "inner", "ger", "reshape", "flatten", "permute",
    "transpose", "t", "unsqueeze", "squeeze", "clone", "gather", "chunk", "flip", "swapaxes",
    "cat", "concat", "concatenate", "stack", "meshgrid", "softmax", "log_softmax", "norm",
    # einops-style
    "rearrange", "reduce", "repeat",
    # compiled programs
    "compile",
    # namespaces
    "linalg", "nn", "optim", "testing",
]

# a ct.* Tensor function called with a traced tensor (inside ct.compile) is recorded, not run
for _name in __all__:
    _fn = globals()[_name]
    if callable(_fn) and getattr(_fn, "__module__", "").startswith("contract.tensors.") \
            and not isinstance(_fn, type) and not hasattr(_fn, "__wrapped__"):
        globals()[_name] = _overridable(_fn)
del _name, _fn
