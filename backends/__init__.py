"""Array backends, chosen by operand type and imported lazily.

NumPy is the reference; CuPy (``cupy.ndarray``) and Dask (``dask.array.Array``)
are imported only when an operand of their type is seen.

>>> import numpy as np
>>> backend_for([np.ones(2)]).name
'numpy'
"""
import importlib

from contract.errors import ContractError

from .base import ArrayBackend, Backend

_BY_TYPE = {}
_LOADERS = {}      # top-level module name -> (priority, module defining BACKEND)


def register_backend(module_name, priority, backend_module):
    """Register a lazy backend for array types from ``module_name`` (e.g. ``"cupy"``): the
    module named ``backend_module`` defines ``BACKEND`` and is imported on first use.

    >>> register_backend("numpy", 0, "contract.backends.numpy_backend")
    Traceback (most recent call last):
    ...
    contract.errors.ContractError: a backend for 'numpy' is already registered (registered: cupy, dask, numpy)
    """
    if module_name in _LOADERS:
        raise ContractError(f"a backend for {module_name!r} is already registered "
                            f"(registered: {', '.join(sorted(_LOADERS))})")
    _LOADERS[module_name] = (priority, backend_module)


register_backend("numpy", 0, "contract.backends.numpy_backend")
register_backend("cupy", 1, "contract.backends.cupy_backend")
register_backend("dask", 2, "contract.backends.dask_backend")


def _lookup(kind):
    backend = _BY_TYPE.get(kind)
    if backend is None:
        root = kind.__module__.split(".")[0]
        priority, module = _LOADERS.get(root, _LOADERS["numpy"])
        backend = importlib.import_module(module).BACKEND
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
