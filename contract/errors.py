"""The one error hierarchy of contract.

Every error caused by user input is a :class:`ContractError`, which is a
``ValueError``; syntax problems and shape problems have their own subclasses.

>>> import contract as ct
>>> issubclass(ct.ShapeError, ValueError)
True
"""


class ContractError(ValueError):
    """Bad input to an einsum, a plan or a tensor operation.

    Catch it (or ``ValueError``) around anything built from user input.

    >>> import numpy as np, contract as ct
    >>> try:
    ...     ct.einsum("ij->ik", np.ones((2, 3)))
    ... except ct.ContractError as err:
    ...     print(err)
    output label 'k' does not appear in any input term
    """


class EquationSyntaxError(ContractError):
    """An equation text that the grammar does not accept (message shows a caret).

    >>> import numpy as np, contract as ct
    >>> ct.einsum("ij,jk->i-k", np.ones((2, 3)), np.ones((3, 5)))
    Traceback (most recent call last):
        ...
    contract.errors.EquationSyntaxError: unexpected character '-' at column 9; expected '(', ',', '->', '...', a label
        ij,jk->i-k
                ^
    """


class ShapeError(ContractError):
    """Operand shapes that do not fit the equation or the plan.

    >>> import numpy as np, contract as ct
    >>> ct.einsum("ij,jk->ik", np.ones((2, 3)), np.ones((4, 5)))
    Traceback (most recent call last):
        ...
    contract.errors.ShapeError: label 'j' has size 3 in operand 0 but size 4 in operand 1; sizes must match or be 1
    """
