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

# --- section: semiring (issue 4) ---

# --- section: nn (issue 5) ---
from contract import nn  # noqa: E402  (ct.nn.Module, ct.nn.functional.conv2d, ...)

# --- section: distributed (issue 7) ---
