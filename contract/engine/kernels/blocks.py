"""The memory bound of semiring steps: how many elements one block may hold.

Semiring steps have no BLAS; they walk blocks of ``combine(a, b)`` whose size
is bounded by :func:`block_limit` (default 2**24 elements), so memory stays
bounded however large the contraction.

``with block_elements(n):`` sets the bound for the current context only (a
``contextvars`` variable: each thread, and each asyncio task, sees its own), so
threads that enter and leave in any interleaving never see one another's value;
:func:`set_block_limit` sets the process default that a context without its own
value reads.

>>> with block_elements(1024):
...     block_limit()
1024
"""
from contextlib import contextmanager
from contextvars import ContextVar

from contract.errors import ContractError

_SETTINGS = {"limit": 2 ** 24, "cache": 2 ** 18}     # "limit": the process default
_LIMIT = ContextVar("contract_block_limit", default=None)


def block_limit() -> int:
    """The most elements one semiring block may hold here (default 2**24).

    >>> import contract as ct
    >>> with ct.block_elements(4096):
    ...     ct.block_limit()
    4096
    """
    limit = _LIMIT.get()
    return _SETTINGS["limit"] if limit is None else limit


def _checked(elements):
    if not isinstance(elements, int) or isinstance(elements, bool) or elements < 1:
        raise ContractError(f"the semiring block limit must be a positive int (elements), "
                            f"got {elements!r}")
    return elements


def set_block_limit(elements: int) -> int:
    """Set the process default block limit (elements); returns the previous default.

    >>> old = set_block_limit(2 ** 20); _ = set_block_limit(old)
    """
    old, _SETTINGS["limit"] = _SETTINGS["limit"], _checked(elements)
    return old


@contextmanager
def block_elements(elements: int):
    """Bound semiring blocks to ``elements`` elements in this context (thread) meanwhile.

    >>> with block_elements(1024):
    ...     block_limit()
    1024
    """
    token = _LIMIT.set(_checked(elements))
    try:
        yield elements
    finally:
        _LIMIT.reset(token)
