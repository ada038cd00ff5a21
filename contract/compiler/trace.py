"""Tracing: run the user's function on abstract tensors that record a :class:`Graph`.

A :class:`Traced` tensor is a ``ct.Tensor`` with a shape, a dtype, a device and
``requires_grad``, but no data: every method, operator, ``ct.*`` function (through
:func:`contract.tensors.dispatch.overridable`) and einsum (through the engine's
operand types) on it is handed to the running :class:`Tracer`, which records a node
and returns new traced tensors.  An op with a multilinear rule
(:mod:`contract.compiler.rules`) records its einsum; any other op records a *barrier*:
the real function and its arguments, replayed as they are at every call, its output
shape and dtype found by running it once on stand-in data (zero-strided arrays that
hold no memory).  Code that needs a value (``bool(t)``, ``t.item()``, ``float(t)``,
``np.asarray(t)``, iterating) raises :class:`~contract.errors.ContractError` naming
the op and the line of the traced function.

>>> import contract as ct
>>> tracer = Tracer("f")
>>> with tracer:
...     x = tracer.input(ct.ones(2, 3))
...     y = (x @ ct.ones(3)).sum()
>>> [n.name for n in tracer.graph.nodes], tuple(y.shape)
(['matmul', 'sum'], ())
"""
import linecache
import os
import sys
import threading
import warnings

import numpy as np

from contract.autograd import is_grad_enabled, no_grad
from contract.engine.operands import register_operand_type, run_plan
from contract.errors import ContractError
from contract.compiler.graph import Graph, Ref, Spec, refs, walk
from contract.tensors.core import CPU, CUDA, Size, Tensor
from contract.tensors.dispatch import activate, register_override

_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_LOCAL = threading.local()

# methods that need a tensor's values (or memory layout): refused while tracing
VALUE_METHODS = {
    "item": "t.item()", "tolist": "t.tolist()", "numpy": "t.numpy()",
    "__array__": "np.asarray(t)", "__bool__": "bool(t) (an `if` or `while` on a tensor)",
    "__float__": "float(t)", "__int__": "int(t)", "__index__": "using t as an index",
    "__iter__": "iterating over a tensor", "data_ptr": "t.data_ptr()",
    "stride": "t.stride()", "is_contiguous": "t.is_contiguous()",
    "backward": "t.backward()", "retain_grad": "t.retain_grad()",
    "requires_grad_": "t.requires_grad_()", "detach_": "t.detach_()",
}
# ops whose result shares memory with their input (a view, or the input itself)
VIEW_NAMES = {"view", "reshape", "flatten", "permute", "transpose", "swapaxes", "t",
              "unsqueeze", "squeeze", "expand", "expand_as", "getitem", "diagonal",
              "detach", "chunk", "contiguous", "to", "type_as", "float", "double", "half",
              "long", "int", "bool", "cpu", "cuda", "real", "imag", "conj", "resolve_conj",
              "conj_physical"}
_METADATA = ("size", "dim", "numel", "element_size", "is_floating_point", "is_complex")


def user_line():
    """``file:line: code`` of the innermost frame outside the ``contract`` package."""
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        frame = frame.f_back
    if frame is None:
        return "?"
    code = frame.f_code
    text = linecache.getline(code.co_filename, frame.f_lineno).strip()
    where = f"{os.path.basename(code.co_filename)}:{frame.f_lineno}"
    return f"{where}: `{text}`" if text else where


def tracing():
    """Whether a trace is running on this thread."""
    return getattr(_LOCAL, "tracer", None) is not None


def current():
    """The tracer running on this thread (ContractError when none is)."""
    tracer = getattr(_LOCAL, "tracer", None)
    if tracer is None:
        raise ContractError("a traced tensor was used outside ct.compile's trace (it escaped "
                            "the compiled function, e.g. stored in a global): return it "
                            "instead")
    return tracer


def needs_value(what, tracer=None):
    """The ContractError for code that needs a traced tensor's values."""
    name = f" {tracer.name!r}" if tracer is not None else ""
    return ContractError(
        f"ct.compile: {what} needs the values of a traced tensor, but compiled functions see "
        f"only shapes and dtypes while they are traced (function{name}, at {user_line()}). "
        f"Pass the value as a non-tensor argument (ints, floats and bools are part of the "
        f"call signature), or compute it outside the compiled function.")


class Traced(Tensor):
    """An abstract tensor: metadata only; its ops are recorded by the running Tracer."""

    __slots__ = ("_v", "_tracer")
    __hash__ = Tensor.__hash__

    @classmethod
    def __contract_function__(cls, fn, args, kwargs):
        return current().call(fn, args, kwargs)

    @property
    def _data(self):
        raise ContractError(
            f"ct.compile: `{sys._getframe(1).f_code.co_name}` read the data of a traced "
            f"tensor, which has only a shape and a dtype while {self._tracer.name!r} is "
            f"traced (at {user_line()}). A method of a tensor that is not traced (a captured "
            f"tensor: `w.matmul(x)`, `w += x`) cannot record x: call it on the traced tensor "
            f"or as a ct function (`ct.matmul(w, x)`, `w = w + x`). Otherwise pass the value "
            f"as a non-tensor argument, or compute it outside the compiled function.")

    @property
    def _value(self):
        return self._tracer.graph.values[self._v]

    @property
    def shape(self):
        return Size(self._value.shape)

    @property
    def dtype(self):
        return self._value.dtype

    @property
    def ndim(self):
        return len(self._value.shape)

    @property
    def device(self):
        return CUDA if self._tracer.devices.get(self._v) == "cuda" else CPU

    @property
    def is_leaf(self):
        return self._value.kind != "node"

    def __len__(self):
        if not self._value.shape:
            raise ContractError("len() of a 0-d tensor")
        return self._value.shape[0]

    def __repr__(self):
        value = self._value
        return f"Traced(shape={list(value.shape)}, dtype={value.dtype}, %{value.id})"

    __str__ = __repr__


def _meta_method(name):
    def method(self, *args, **kwargs):
        return getattr(self._tracer.meta(self._v), name)(*args, **kwargs)
    method.__name__ = name
    return method


def _value_method(name):
    def method(self, *args, **kwargs):
        raise needs_value(VALUE_METHODS[name], self._tracer)
    method.__name__ = name
    return method


def _traced_method(fn):
    def method(self, *args, **kwargs):
        return self._tracer.call(fn, (self,) + args, kwargs)
    method.__name__ = getattr(fn, "__name__", "op")
    return method


_SKIP = {"__init__", "__repr__", "__str__", "__hash__", "__len__", "__new__", "_wrap",
         "_as_grad", "__contract_function__", "__getattribute__", "__setattr__",
         "__init_subclass__", "__class_getitem__", "__reduce__", "__reduce_ex__"}
_SYNCED = set()
NAMES = {}              # op function -> its name as a Tensor method (``__add__`` -> ``add``)
INPLACE = set()         # the in-place Tensor methods (``add_``, ``__iadd__``, ``__setitem__``)


def _inplace_name(name):
    if name == "__setitem__":
        return True
    if name.startswith("__i") and name.endswith("__"):
        return name not in ("__init__", "__int__", "__index__", "__iter__", "__invert__")
    return name.endswith("_") and not name.startswith("_")


def sync_methods():
    """Give :class:`Traced` a recording version of every Tensor method (new ones too)."""
    for name, attr in list(vars(Tensor).items()):
        if name in _SKIP or name in _SYNCED:
            continue
        _SYNCED.add(name)
        if name in VALUE_METHODS:
            setattr(Traced, name, _value_method(name))
        elif name in _METADATA:
            setattr(Traced, name, _meta_method(name))
        elif callable(attr) and not isinstance(attr, (type, classmethod, staticmethod)):
            setattr(Traced, name, _traced_method(attr))
            short = name.strip("_") if name.startswith("__") else name
            if attr not in NAMES or NAMES[attr].startswith("r") and not short.startswith("r"):
                NAMES[attr] = short
            if _inplace_name(name):
                INPLACE.add(attr)


# -- the tracer ------------------------------------------------------------------------
def op_name(fn):
    """A readable name for an op function (``matmul``; ``__add__`` -> ``add``)."""
    found = NAMES.get(fn)
    if found is not None:
        return found
    name = getattr(fn, "__name__", None) or type(fn).__name__
    return name.strip("_") or name


def pure(fn):
    """Whether ``fn`` gives equal results for equal arguments (a Tensor method or a Tensor
    function: no random numbers), so that equal calls may be merged or done at build time."""
    if fn in NAMES:
        return True
    return (getattr(fn, "__module__", "").startswith("contract.tensors.")
            and not getattr(fn, "__name__", "").startswith(("rand", "manual_seed")))


def meta_array(shape, dtype, writable=False, fill=0):
    """Stand-in data of ``shape`` (all ``fill``): zero-strided, no memory, unless
    ``writable``."""
    if writable:
        return np.full(shape, fill, dtype=dtype)
    return np.broadcast_to(np.full((), fill, dtype=dtype), shape)


class Tracer:
    """Records the ops of one call of a function into a :class:`Graph`."""

    def __init__(self, name="fn"):
        self.name = name
        self.graph = Graph()
        self.epoch = 0              # in-place updates so far
        self.inplace_seen = False
        self.devices = {}           # value id -> "cuda" (absent: cpu)
        self._captured = {}         # id(obj) -> value id
        self._scalars = {}          # (type, value, dtype) -> value id of a 0-d constant
        self.captured_tensors = []  # Tensors the function captured (constants or live)
        self._previous = None

    # -- entering and leaving ----------------------------------------------------
    def __enter__(self):
        sync_methods()
        self._previous = getattr(_LOCAL, "tracer", None)
        _LOCAL.tracer = self
        activate(+1)
        return self

    def __exit__(self, *exc):
        activate(-1)
        _LOCAL.tracer = self._previous
        return False

    # -- values ------------------------------------------------------------------
    def handle(self, value_id):
        """A new Traced tensor for value ``value_id``."""
        t = object.__new__(Traced)
        value = self.graph.values[value_id]
        t._v, t._tracer = value_id, self
        t.grad = t.grad_fn = t._view = t._views = None
        t.requires_grad = value.requires_grad
        return t

    def input(self, tensor, kind="input"):
        """A traced tensor standing for the argument (or captured tensor) ``tensor``."""
        data = tensor._data if isinstance(tensor, Tensor) else tensor
        vid = self.graph.add_value(data.shape, data.dtype,
                                   isinstance(tensor, Tensor) and tensor.requires_grad, kind,
                                   obj=tensor if kind != "input" else None)
        if type(data).__module__.split(".")[0] == "cupy":
            self.devices[vid] = "cuda"
        return self.handle(vid)

    def meta(self, value_id, writable=False, fill=0):
        """A real Tensor of value ``value_id``'s shape and dtype holding stand-in data."""
        value = self.graph.values[value_id]
        return Tensor._wrap(meta_array(value.shape, value.dtype, writable, fill))

    def constant(self, obj):
        """The value id of a captured Tensor or array (a constant, or ``live`` when it is a
        Tensor that requires grad), one per object."""
        found = self._captured.get(id(obj))
        if found is not None:
            return found
        if isinstance(obj, Tensor):
            if obj.requires_grad and obj.grad_fn is not None:
                raise ContractError(
                    f"ct.compile: a tensor that requires grad and was computed outside the "
                    f"traced data flow (by {obj.grad_fn.name()}) reaches a traced op at "
                    f"{user_line()}; it would be frozen at the first call. Compute it inside "
                    f"the function from an argument, or pass it as an argument")
            kind = "live" if obj.requires_grad else "const"
            vid = self.input(obj, kind)._v
            self.captured_tensors.append(obj)
        else:
            array = np.asarray(obj) if not hasattr(obj, "shape") else obj
            vid = self.graph.add_value(array.shape, array.dtype, False, "const",
                                       obj=Tensor._wrap(array))
        self._captured[id(obj)] = vid
        self.graph.values[vid].name = f"c{vid}"
        return vid

    def value_of(self, x):
        """The value id of a traced tensor (of this trace) or a captured tensor."""
        if isinstance(x, Traced):
            if x._tracer is not self:
                raise ContractError("a traced tensor of another ct.compile trace was used "
                                    "here (did it escape its compiled function?)")
            return x._v
        return self.constant(x)

    def lift(self, x):
        """``x`` as a traced tensor when it is a captured Tensor that requires grad (its
        value is read at every call), else ``x`` itself."""
        if isinstance(x, Tensor) and not isinstance(x, Traced) and x.requires_grad:
            return self.handle(self.constant(x))
        return x

    def template(self, obj):
        """``obj`` (an argument) with Traced tensors replaced by :class:`Ref`."""
        return walk(obj, lambda x: Ref(self.value_of(x)) if isinstance(x, Traced) else x)

    # -- recording ---------------------------------------------------------------
    def call(self, fn, args, kwargs):
        """Record ``fn(*args, **kwargs)``; returns what ``fn`` would (traced)."""
        if getattr(_LOCAL, "tracer", None) is not self:
            current()               # the ContractError for a tensor that escaped its trace
            raise ContractError("a traced tensor of another ct.compile trace was used here "
                                "(did it escape its compiled function?)")
        args, kwargs = walk(tuple(args), self.lift), walk(dict(kwargs), self.lift)
        if fn in INPLACE:
            return self._inplace(fn, args, kwargs)
        rule = _RULES.get(fn)
        if rule is not None:
            out = rule(self, *args, **kwargs)
            if out is not NotImplemented:
                return out
        return self.barrier(fn, args, kwargs)

    def scalar(self, value, dtype, array=None):
        """The value id of a 0-d constant ``value`` of ``dtype`` (its data ``array``)."""
        key = (type(value), value, np.dtype(dtype))
        found = self._scalars.get(key)
        if found is None:
            array = np.asarray(value, dtype=dtype) if array is None else array
            found = self.graph.add_value((), dtype, False, "const", obj=Tensor._wrap(array))
            self.graph.values[found].name = f"c{found}"
            self._scalars[key] = found
        return found

    def _node(self, fn, args, kwargs, outs, template, spec=None, inplace=False):
        return self.graph.add_node(fn=fn, name=op_name(fn), args=self.template(args),
                                   kwargs=self.template(kwargs), outs=tuple(outs),
                                   template=template, spec=spec, grad=is_grad_enabled(),
                                   epoch=self.epoch, inplace=inplace, line=user_line(),
                                   pure=spec is not None or pure(fn))

    def _new_value(self, shape, dtype, inputs, base=None):
        grad = is_grad_enabled() and any(self.graph.values[v].requires_grad for v in inputs)
        vid = self.graph.add_value(shape, dtype, grad and np.dtype(dtype).kind in "fc", "node",
                                   base=base)
        if any(self.devices.get(v) == "cuda" for v in inputs):
            self.devices[vid] = "cuda"
        return vid

    def multilinear(self, fn, args, kwargs, spec, shape, dtype, base=None):
        """Record a multilinear node (``spec``) of result ``shape``/``dtype``; it replays as
        ``fn(*args, **kwargs)`` when it is not fused."""
        vid = self._new_value(shape, dtype, spec.operands, base)
        node = self._node(fn, args, kwargs, (vid,), Ref(vid), spec)
        self.graph.values[vid].node = node.id
        return self.handle(vid)

    def barrier(self, fn, args, kwargs):
        """Record ``fn`` as an opaque op: its output found by running it on stand-ins."""
        inputs = refs(self.template(args)) + refs(self.template(kwargs))
        if op_name(fn) == "getitem" and any(self.graph.values[v].dtype.kind == "b"
                                            for v in refs(self.template(args[1:]))):
            raise needs_value("indexing with a boolean mask (the result's shape depends on "
                              "the mask's values; use ct.where instead)", self)
        result = self._infer(fn, args, kwargs)
        base = self.graph.root(inputs[0]) if inputs and op_name(fn) in VIEW_NAMES else None
        outs = []
        template = self._outputs(result, inputs, outs, base, fn)
        node = self._node(fn, args, kwargs, outs, template)
        for vid in outs:
            self.graph.values[vid].node = node.id
        return self._handles(template)

    def _infer(self, fn, args, kwargs, writable=()):
        """``fn`` run on stand-ins for the traced arguments (no graph, warnings off): zeros,
        or ones when zeros make the op refuse (a division, a logarithm of an integer)."""
        for fill in (0, 1):
            def stand_in(x):
                if not isinstance(x, Traced):
                    return x
                return self.meta(x._v, x._v in writable, fill)
            margs, mkwargs = walk(args, stand_in), walk(kwargs, stand_in)
            with no_grad(), np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    return fn(*margs, **mkwargs)
                except (ArithmeticError, ContractError):
                    if fill:
                        raise

    def _outputs(self, result, inputs, outs, base, fn):
        """The template of a barrier's result: a new value for each Tensor in it."""
        if isinstance(result, Tensor):
            vid = self._new_value(result.shape, result.dtype, inputs, base)
            outs.append(vid)
            return Ref(vid)
        if isinstance(result, (tuple, list)):
            items = [self._outputs(r, inputs, outs, base, fn) for r in result]
            if hasattr(result, "_fields"):
                return type(result)(*items)
            return type(result)(items)
        if isinstance(result, dict):
            return {k: self._outputs(r, inputs, outs, base, fn) for k, r in result.items()}
        if result is None or isinstance(result, (Size, np.dtype, str)):
            return result
        raise needs_value(f"`{op_name(fn)}` (it returns a {type(result).__name__}, which may "
                          f"depend on the values)", self)

    def _handles(self, template):
        return walk(template, lambda x: self.handle(x.id) if type(x) is Ref else x)

    def _inplace(self, fn, args, kwargs):
        """An in-place op: refused on arguments and captured tensors; on an intermediate,
        recorded as a barrier whose result rebinds the traced tensor."""
        target = args[0]
        if not isinstance(target, Traced):
            return self.barrier(fn, args, kwargs)
        root = self.graph.values[self.graph.root(target._v)]
        if root.kind != "node":
            what = "an argument" if root.kind == "input" else "a captured tensor"
            raise ContractError(
                f"ct.compile: the in-place op `{op_name(fn)}` writes into {what} of the "
                f"compiled function (or a view of it), at {user_line()}; a compiled "
                f"function may not modify its inputs: write `x = x + ...` (out of place), or "
                f"clone() it first")
        self._infer(fn, args, kwargs, writable=(target._v,))
        inputs = refs(self.template(args)) + refs(self.template(kwargs))
        vid = self._new_value(target.shape, target.dtype, inputs, root.id)
        node = self._node(fn, args, kwargs, (vid,), Ref(vid), inplace=True)
        self.graph.values[vid].node = node.id
        self.epoch += 1
        self.inplace_seen = True
        target._v = vid
        target.requires_grad = self.graph.values[vid].requires_grad
        return None if op_name(fn) == "setitem" else target

    # -- einsum on traced operands (registered with the engine) ------------------------
    def einsum_plan(self, plan, operands, options):
        """``run_plan(plan, operands)`` on traced operands: a multilinear node when the plan
        is a plain einsum of one floating dtype, else a barrier."""
        operands = [self.lift(op) for op in operands]
        ids = [self.value_of(op) if isinstance(op, Tensor) or hasattr(op, "shape")
               else None for op in operands]
        spec = _plan_spec(self, plan, ids)
        args = (plan, list(operands), dict(options or {}))
        if spec is None:
            return self.barrier(run_plan, args, {})
        dtype = self.graph.values[ids[0]].dtype
        return self.multilinear(run_plan, args, {}, spec, plan.output_shape, dtype)


_RULES = {}


def _plan_spec(tracer, plan, ids):
    """The Spec of an einsum plan over values ``ids``, or None when it is no plain
    multilinear einsum (another semiring is a ring of its own; dtype=, diagonal
    embeddings, mixed dtypes and integers run as barriers)."""
    bound = plan._bound
    if None in ids or plan._dtype is not None or bound.embeds_diagonal:
        return None
    dtypes = {tracer.graph.values[v].dtype for v in ids}
    if len(dtypes) != 1 or next(iter(dtypes)).kind not in "fc":
        return None
    if plan.semiring != "real" and (plan.semiring not in ("log", "maxplus", "minplus")
                                    or next(iter(dtypes)).kind != "f"):
        return None
    return Spec(plan.semiring, plan.equation, tuple(ids), bound=bound)


def set_rules(rules):
    """Install the multilinear rules (op function -> rule(tracer, *args, **kwargs))."""
    _RULES.clear()
    _RULES.update(rules)


def _array(t):
    return meta_array(t._value.shape, t._value.dtype)


def _run(plan, operands, options):
    return current().einsum_plan(plan, operands, options)


def _argmax(plan, operands, arrays, value, indices):
    raise ContractError(f"ct.compile: einsum(..., argmax=True) on traced tensors is not "
                        f"supported (at {user_line()}); compute it outside the compiled "
                        f"function")


NAMES[run_plan] = "einsum"
register_operand_type(Traced, _array, _run, _argmax)
register_override(Traced)
