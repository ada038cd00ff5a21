"""Array backends, chosen by operand type and imported lazily.

NumPy is the reference; CuPy (``cupy.ndarray``) and Dask (``dask.array.Array``)
are imported only when an operand of their type is seen.

>>> import numpy as np
>>> backend_for([np.ones(2)]).name
'numpy'
"""
from contract.errors import ContractError

from .base import ArrayBackend, Backend

_BY_TYPE = {}
_LOADERS = {}      # top-level module name -> (priority, loader returning a Backend)


def register_backend(module_name, priority, loader):
    """Register a lazy backend for array types from ``module_name``."""
    if module_name in _LOADERS:
        raise ContractError(f"a backend for {module_name!r} is already registered "
                            f"(registered: {', '.join(sorted(_LOADERS))})")
    _LOADERS[module_name] = (priority, loader)


def _numpy():
    from .numpy_backend import BACKEND
    return BACKEND


def _cupy():
    from .cupy_backend import BACKEND
    return BACKEND


def _dask():
    from .dask_backend import BACKEND
    return BACKEND


register_backend("numpy", 0, _numpy)
register_backend("cupy", 1, _cupy)
register_backend("dask", 2, _dask)


def _lookup(kind):
    backend = _BY_TYPE.get(kind)
    if backend is None:
        root = kind.__module__.split(".")[0]
        priority, loader = _LOADERS.get(root, _LOADERS["numpy"])
        backend = loader()
        backend.priority = priority
        _BY_TYPE[kind] = backend
    return backend


def backend_for(operands) -> Backend:
    """The backend for a list of operands: Dask over CuPy over NumPy.

    Mixing CuPy and NumPy arrays (other than Python scalars) is an error, as
    mixing devices is in torch.
    """
    chosen = None
    for op in operands:
        backend = _lookup(type(op))
        if chosen is None or backend.priority > chosen.priority:
            if chosen is not None and {chosen.name, backend.name} == {"numpy", "cupy"}:
                _mixed(operands)
            chosen = backend
        elif backend is not chosen and {chosen.name, backend.name} == {"numpy", "cupy"}:
            _mixed(operands)
    return chosen if chosen is not None else _lookup(float)


def _mixed(operands):
    kinds = ", ".join(f"operand {i}: {type(o).__module__}.{type(o).__name__}"
                      for i, o in enumerate(operands))
    raise ContractError(f"operands live on different devices (CPU NumPy and GPU CuPy): {kinds}; "
                        f"move them to one device first")


__all__ = ["ArrayBackend", "Backend", "backend_for", "register_backend"]
