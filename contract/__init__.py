"""contract: an einsum-centred tensor contraction compiler.

>>> import numpy as np, contract as ct
>>> ct.einsum("ij,jk->ik", np.eye(2), np.ones((2, 2)))
array([[1., 1.],
       [1., 1.]])
"""
from contract.errors import ContractError, EquationSyntaxError, ShapeError
from contract.einsum import einsum, plan
from contract.plan import Plan, Step
from contract.semiring import Semiring, get_semiring, register_semiring

__version__ = "0.1.0"

# --- section: tensor (issue 3) ---
from contract.tensor import Tensor, Size, wrap  # noqa: E402
from contract.creation import (  # noqa: E402
    float16, float32, float64, int8, int16, int32, int64, uint8, bool_ as bool,  # noqa: A001
    complex64, complex128, half, double, long, cfloat, tensor, as_tensor, from_numpy, zeros,
    ones, empty, full, zeros_like, ones_like, empty_like, full_like, arange, linspace, eye,
    manual_seed, rand, randn, randint, randperm)
from contract.autograd import no_grad, enable_grad, set_grad_enabled, is_grad_enabled  # noqa
from contract import autograd_einsum as _autograd_einsum  # noqa: E402,F401 (Tensor einsum)
from contract.ops import FUNCTIONS as _TENSOR_FUNCTIONS  # noqa: E402
globals().update(_TENSOR_FUNCTIONS)
from contract import testing  # noqa: E402

# --- section: semiring (issue 4) ---
from contract.ops_semiring import maximum, minimum  # noqa: E402  (ct.max(a, b) too)
from contract.blocking import block_elements, block_limit, set_block_limit  # noqa: E402

# --- section: nn (issue 5) ---
from contract import nn  # noqa: E402  (ct.nn.Module, ct.nn.functional.conv2d, ...)
from contract import linalg, optim  # noqa: E402  (issue 17: ct.linalg.vector_norm, ct.optim.Adam)

# --- section: distributed (issue 7) ---
from contract.slicing import SlicedPlan, slice_plan, sliced  # noqa: E402
