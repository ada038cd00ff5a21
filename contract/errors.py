"""The one error hierarchy of contract.

Every error caused by user input is a :class:`ContractError`, which is a
``ValueError``; syntax problems and shape problems have their own subclasses.

>>> import contract as ct
>>> issubclass(ct.ShapeError, ValueError)
True
"""


class ContractError(ValueError):
    """Bad input to an einsum, a plan or a tensor operation."""


class EquationSyntaxError(ContractError):
    """An equation text that the grammar does not accept (message shows a caret)."""


class ShapeError(ContractError):
    """Operand shapes that do not fit the equation or the plan."""
