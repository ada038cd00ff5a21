"""The memory bound of semiring steps: how many elements one block may hold.

Semiring steps have no BLAS; they walk blocks of ``combine(a, b)`` whose size
is bounded by :func:`block_limit` (default 2**24 elements), so memory stays
bounded however large the contraction.

>>> with block_elements(1024):
...     block_limit()
1024
"""
from contextlib import contextmanager

from contract.errors import ContractError

_SETTINGS = {"limit": 2 ** 24, "cache": 2 ** 18}


def block_limit() -> int:
    """The most elements one semiring block may hold (default 2**24)."""
    return _SETTINGS["limit"]


def set_block_limit(elements: int) -> int:
    """Set the block limit (elements); returns the previous one.

    >>> old = set_block_limit(2 ** 20); _ = set_block_limit(old)
    """
    if not isinstance(elements, int) or isinstance(elements, bool) or elements < 1:
        raise ContractError(f"the semiring block limit must be a positive int (elements), "
                            f"got {elements!r}")
    old, _SETTINGS["limit"] = _SETTINGS["limit"], elements
    return old


@contextmanager
def block_elements(elements: int):
    """Temporarily bound semiring blocks to ``elements`` elements.

    >>> with block_elements(1024):
    ...     block_limit()
    1024
    """
    old = set_block_limit(elements)
    try:
        yield elements
    finally:
        set_block_limit(old)
