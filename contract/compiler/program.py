"""``ct.compile``: signatures, programs and their replay.

A call's *signature* is, for each Tensor or array argument (nested tuples, lists and
dicts walked), its array type (the device), shape, dtype and ``requires_grad``; every
other argument by value (hashable, else ContractError); and whether grad mode is on.
The first call per signature traces the function (:mod:`contract.compiler.trace`),
fuses its multilinear ops into networks (:mod:`contract.compiler.fuse`) and keeps
the result as a :class:`Program`: a list of compiled steps (a network runs its Plan
on Tensors as one recorded op, whose backward is the einsum VJP of the plan; a
barrier calls the eager op).  Later calls with that signature only replay the steps:
no tracing, no parsing, no path search.

>>> import contract as ct
>>> f = ct.compile(lambda a, b, x: a @ b @ x)
>>> a, b, x = ct.ones(4, 5), ct.ones(5, 6), ct.ones(6)
>>> f(a, b, x).tolist()
[30.0, 30.0, 30.0, 30.0]
>>> [p.equation for p in f.program(a, b, x).networks]
['ij,jk,k->i']
"""
import functools
import inspect

import numpy as np

from contract.autograd import is_grad_enabled, no_grad
from contract.errors import ContractError
from contract.compiler.fuse import partition, pair_outputs
from contract.compiler.graph import Ref, cse, fill, refs, walk
from contract.compiler.listing import format_program
from contract.compiler.trace import Tracer, op_name, tracing
from contract.backends.numpy_backend import BACKEND as NUMPY
from contract.tensors.core import Tensor, to_device
from contract.tensors.dispatch import ACTIVE
from contract.tensors.einsum import run_plan_tensors

_NDARRAY = np.ndarray


# -- signatures ----------------------------------------------------------------------
def _is_array(x):
    return isinstance(x, _NDARRAY) or (hasattr(x, "__array_namespace__")
                                       and hasattr(x, "shape") and hasattr(x, "dtype"))


def _key(obj, leaves):
    """The signature part of one argument; tensors and arrays go to ``leaves``."""
    if isinstance(obj, Tensor):
        data = obj._data
        leaves.append(obj)
        return (type(data), data.shape, data.dtype, obj.requires_grad)
    kind = type(obj)
    if kind is list or isinstance(obj, tuple):
        return (kind, tuple([_key(item, leaves) for item in obj]))
    if kind is dict:
        return (dict, tuple([(k, _key(v, leaves)) for k, v in obj.items()]))
    if _is_array(obj):
        leaves.append(obj)
        return (type(obj), obj.shape, obj.dtype, "array")
    try:
        hash(obj)
    except TypeError:
        raise ContractError(f"ct.compile: an argument of type {kind.__name__} is not "
                            f"hashable, so it cannot be part of the call signature (non-tensor "
                            f"arguments are compiled in by value): pass a tuple instead, or "
                            f"capture it in the function") from None
    return (kind, obj)


def signature(args, kwargs):
    """``(key, leaves)``: the hashable signature of a call and its tensor/array arguments.

    >>> import contract as ct
    >>> key, leaves = signature((ct.ones(2), 3), {})
    >>> len(leaves), key[-1]
    (1, (<class 'int'>, 3))
    """
    leaves = []
    key = [is_grad_enabled()]
    for a in args:
        if type(a) is Tensor:            # the common case, flat: no tuple per argument
            data = a._data
            leaves.append(a)
            key += (type(data), data.shape, data.dtype, a.requires_grad)
        else:
            key.append(_key(a, leaves))
    if kwargs:
        key.append(_key(kwargs, leaves))
    return tuple(key), leaves


# -- steps -------------------------------------------------------------------------------
def _flat(template):
    """``((is_ref, item), ...)`` for a flat tuple of arguments, else None."""
    if type(template) not in (tuple, list) or any(type(t) in (tuple, list, dict)
                                                  for t in template):
        return None
    return tuple((True, t.id) if type(t) is Ref else (False, t) for t in template)


def _calling(node):
    """env -> the node's op applied to its arguments (specialised for flat arguments)."""
    fn, args, kwargs = node.fn, node.args, node.kwargs
    parts = _flat(args)
    if parts is not None and not refs(kwargs):
        if not kwargs:
            return lambda env: fn(*[env[x] if is_ref else x for is_ref, x in parts])
        return lambda env: fn(*[env[x] if is_ref else x for is_ref, x in parts], **kwargs)
    return lambda env: fn(*fill(args, env), **fill(kwargs, env))


def _without_grad(call):
    def run(env):
        with no_grad():
            return call(env)
    return run


def _network_step(net, grad, frees, direct=None):
    """A network's step; ``direct``: the operands' dtypes when nothing needs a gradient and
    every operand is a NumPy array (the plan's executor runs, nothing is recorded)."""
    plan, leaves, out = net.plan, net.leaves, net.out
    if direct is not None:
        execute, wrap = plan.execute, Tensor._wrap

        def call(env):
            return wrap(execute(NUMPY, [env[v]._data for v in leaves], direct))
    elif grad and not frees:
        def run(env):
            env[out] = run_plan_tensors(plan, [env[v] for v in leaves])
        return run
    else:
        def call(env):
            return run_plan_tensors(plan, [env[v] for v in leaves])
        call = call if grad else _without_grad(call)
    return _stored(call, out, frees)


def _stored(call, out, frees):
    """A step that stores ``call(env)`` as value ``out``, then drops ``frees``."""
    def run(env):
        env[out] = call(env)
        for v in frees:
            env[v] = None
    return run


def _barrier_step(node, grad, frees):
    call = _calling(node)
    if not node.grad and grad:
        call = _without_grad(call)
    template = node.template
    if node.inplace:                    # the updated tensor is the value after the update
        target = node.args[0].id if type(node.args[0]) is Ref else None
        update = call

        def call(env):
            result = update(env)
            return env[target] if target is not None else result
    if type(template) is Ref:
        return _stored(call, template.id, frees)

    def run(env):
        for vid, tensor in pair_outputs(template, call(env)):
            env[vid] = tensor
        for v in frees:
            env[v] = None
    return run


# -- programs ------------------------------------------------------------------------
class Program:
    """The lowered program of one call signature: networks and barrier ops in order.

    ``networks``: the Plans, in execution order; ``flops``: their FLOPs summed;
    ``str(program)``: each network as einsum text with its plan table, and the barrier
    ops between them.
    """

    def __init__(self, name, graph, steps, inputs, out_template, arrays, grad, device="cpu",
                 devices=None):
        self.name, self._graph, self.steps = name, graph, tuple(steps)
        self._devices = devices or {}
        self._inputs, self._template, self._arrays = tuple(inputs), out_template, arrays
        values = graph.values
        self._base = [_on_device(v.obj, device) if v.kind == "const" else
                      v.obj if v.kind == "live" else None for v in values]
        self.networks = tuple(s.plan for s in self.steps if s.kind == "network")
        self.flops = sum(p.flops for p in self.networks)
        self._run = [self._network(s, grad, frees) if s.kind == "network"
                     else _barrier_step(graph.nodes[s.node], grad, frees)
                     for s, frees in zip(self.steps, self._frees())]
        self._single = self._single_network(grad)
        self.guards = ()        # (captured Tensor, its requires_grad when traced)

    def current(self):
        """Whether every captured Tensor still needs (or not) a gradient as when traced."""
        return all(t.requires_grad == flag for t, flag in self.guards)

    def _network(self, net, grad, frees):
        values = self._graph.values
        recorded = grad and self._graph.nodes[net.root].grad
        direct = None
        if not self._devices and not (
                recorded and any(values[v].requires_grad for v in net.leaves)):
            direct = tuple(values[v].dtype for v in net.leaves)
        return _network_step(net, recorded or not grad, frees, direct)

    def _frees(self):
        """Per step, the values no later step nor the result needs (dropped after it)."""
        graph, last = self._graph, {}
        for k, step in enumerate(self.steps):
            reads = step.leaves if step.kind == "network" else \
                refs(graph.nodes[step.node].args) + refs(graph.nodes[step.node].kwargs)
            for v in reads:
                if graph.values[v].kind == "node":
                    last[v] = k
        keep = set(refs(self._template))
        frees = [[] for _ in self.steps]
        for v, k in last.items():
            if v not in keep:
                frees[k].append(v)
        return frees

    def _single_network(self, grad):
        """When the program is one network over the inputs that returns its result: a
        function of the arguments that runs the plan directly (with no gradient to record
        and NumPy operands: the plan's executor, the operands' dtypes known in advance)."""
        if len(self.steps) != 1 or self.steps[0].kind != "network":
            return None
        net, values = self.steps[0], self._graph.values
        if type(self._template) is not Ref or self._template.id != net.out:
            return None
        position = {v: k for k, v in enumerate(self._inputs)}
        if not all(v in position for v in net.leaves):
            return None
        plan, order = net.plan, tuple(position[v] for v in net.leaves)
        recorded = grad and self._graph.nodes[net.root].grad    # as _network decides
        if self._devices:
            return None
        if recorded and any(values[v].requires_grad for v in net.leaves):
            if self._arrays:
                return None
            return lambda leaves: run_plan_tensors(plan, [leaves[k] for k in order])
        execute, dtypes, wrap = plan.execute, tuple(values[v].dtype for v in net.leaves), \
            Tensor._wrap
        if self._arrays:               # NumPy arrays in, an array out
            return lambda leaves: execute(NUMPY, [leaves[k] for k in order], dtypes)
        return lambda leaves: wrap(execute(NUMPY, [leaves[k]._data for k in order], dtypes))

    def __call__(self, leaves):
        single = self._single
        if single is not None:
            return single(leaves)
        env = self._base[:]
        for vid, leaf in zip(self._inputs, leaves):
            env[vid] = leaf if isinstance(leaf, Tensor) else Tensor._wrap(leaf)
        for run in self._run:
            run(env)
        template = self._template
        out = env[template.id] if type(template) is Ref else fill(template, env)
        return _unwrap(out) if self._arrays else out

    def __repr__(self):
        return (f"<Program {self.name}: {len(self.networks)} networks, "
                f"{len(self.steps) - len(self.networks)} barrier ops, flops={self.flops}>")

    def __str__(self):
        return format_program(self)


def _on_device(obj, device):
    """A constant Tensor on the program's device (its NumPy data copied to CuPy)."""
    if device == "cpu" or not isinstance(obj, Tensor) or type(obj._data) is not _NDARRAY:
        return obj
    return Tensor._wrap(to_device(obj._data, device))


def _unwrap(obj):
    return walk(obj, lambda x: x._data if isinstance(x, Tensor) else x)


class Compiled:
    """A compiled function: call it as the function; ``program(*args)`` shows what runs."""

    def __init__(self, fn, optimize="auto", memory_limit=None):
        if not callable(fn):
            raise ContractError(f"ct.compile expects a function, got {type(fn).__name__}")
        self.fn, self.optimize, self.memory_limit = fn, optimize, memory_limit
        self._programs = {}
        functools.update_wrapper(self, fn, updated=())

    def __call__(self, *args, **kwargs):
        if ACTIVE[0] and tracing():    # called from a function being traced: inline it
            return self.fn(*args, **kwargs)
        key, leaves = signature(args, kwargs)
        program = self._programs.get(key)
        if program is None or (program.guards and not program.current()):
            program = self._build(key, leaves, args, kwargs)
        return program(leaves)

    def __get__(self, obj, owner=None):
        """As a method (``@ct.compile`` on a ``def`` in a class): bound to ``obj``."""
        return self if obj is None else functools.partial(self, obj)

    def program(self, *args, **kwargs):
        """The :class:`Program` these arguments run (traced and built if needed)."""
        key, leaves = signature(args, kwargs)
        program = self._programs.get(key)
        if program is None or (program.guards and not program.current()):
            program = self._build(key, leaves, args, kwargs)
        return program

    def _build(self, key, leaves, args, kwargs):
        name = getattr(self.fn, "__name__", type(self.fn).__name__)
        tracer = Tracer(name)
        with tracer:
            handles = []        # one input per tensor argument, aliases included

            def leaf(x):
                if isinstance(x, Tensor) or _is_array(x):
                    handles.append(tracer.input(x))
                    return handles[-1]
                return x
            targs, tkwargs = walk(args, leaf), walk(kwargs, leaf)
            result = self.fn(*targs, **tkwargs)
            template = tracer.template(result)
        _name_inputs(tracer.graph, self.fn, targs, tkwargs)
        if not tracer.inplace_seen:
            template = cse(tracer.graph, template)
        inputs = [h._v for h in handles]
        steps = partition(tracer.graph, refs(template), self.optimize, self.memory_limit)
        arrays = bool(leaves) and not any(isinstance(x, Tensor) for x in leaves)
        device = "cuda" if tracer.devices else "cpu"
        program = Program(name, tracer.graph, steps, inputs, template, arrays, key[0], device,
                          tracer.devices)
        # a captured Tensor is a constant while it needs no gradient, an operand while it does
        program.guards = tuple((t, t.requires_grad) for t in tracer.captured_tensors)
        self._programs[key] = program
        return program

    def __repr__(self):
        return f"<compiled {getattr(self.fn, '__name__', self.fn)!r}: " \
               f"{len(self._programs)} signatures>"


def _name_inputs(graph, fn, args, kwargs):
    """Name each input value after the parameter it came in (``x``, ``params[0]``)."""
    try:
        target = fn.forward if callable(getattr(fn, "forward", None)) else fn
        bound = inspect.signature(target).bind(*args, **kwargs).arguments
    except (TypeError, ValueError):
        bound = {f"arg{k}": a for k, a in enumerate(args)}
        bound.update(kwargs)

    def walk(obj, path):
        if hasattr(obj, "_tracer") and hasattr(obj, "_v"):
            value = graph.values[obj._v]
            value.name = value.name or path
        elif isinstance(obj, (tuple, list)):
            for k, item in enumerate(obj):
                walk(item, f"{path}[{k}]")
        elif isinstance(obj, dict):
            for k, item in obj.items():
                walk(item, f"{path}[{k!r}]")
    for name, value in bound.items():
        walk(value, name)


def compile(fn=None, optimize="auto", memory_limit=None):  # noqa: A001 (ct.compile)
    """Compile a Tensor program: each chain of multilinear ops runs as one planned einsum.

    ``ct.compile(fn)`` or ``@ct.compile`` (or ``@ct.compile(optimize=...)``).  The result
    computes what ``fn`` computes, gradients included; ``f.program(*args)`` is the
    lowered program for those arguments.  See README "Compiled programs".

    >>> import contract as ct
    >>> @ct.compile
    ... def f(x, y):
    ...     return (x * y).sum(1)
    >>> x = ct.ones(3, 4)
    >>> f(x, x).tolist(), f.program(x, x).networks[0].equation
    ([4.0, 4.0, 4.0], 'ij,ij->i')
    """
    if fn is None:
        return lambda f: Compiled(f, optimize, memory_limit)
    return Compiled(fn, optimize, memory_limit)


__all__ = ["Compiled", "Program", "compile", "signature", "op_name"]
