"""Suite ``sliced``: memory-bounded contractions with gradients (issue 18).

Goals (ratios of medians in one run, float64, every operand needs a gradient):

* sliced forward + backward at most 2.5x the sliced forward alone, and at most 1.3x the
  unsliced forward + backward where that fits in memory (a limit of 1/4 of the unsliced
  largest intermediate);
* peak traced memory of forward + backward on a network whose unsliced largest
  intermediate is 64x the limit: at most 3x (limit x 8 bytes) above the operands and
  their gradients (reported in the case's info, ``excess_over_limit``);
* the path searched again after slicing: total FLOPs no more than slicing the unsliced
  path, fewer on the 4x4 lattice and the 30-tensor random regular network.

Each time case also records the largest relative difference between the sliced and the
unsliced gradients (``grad_rel_diff``).  ``--quick`` uses smaller batches.

>>> import argparse
>>> [c.name.split(" ")[0] for c in cases(argparse.Namespace(quick=True))][-2:]
['path', 'path']
"""
import tracemalloc

import numpy as np

from contract.tools.bench import Case, Engine, Target
from contract.tools.bench.generators import lattice, random_regular

NAME = "sliced"
DESCRIPTION = "sliced forward+backward vs forward and unsliced; peak memory; re-searched paths"


def batched_regular(batch, n=12, bond=8, seed=1):
    """A random 3-regular network with a batch label on every tensor (contracted):
    ``(equation, shapes)``.  With the defaults its unsliced largest intermediate is 64x
    its largest operand.

    >>> batched_regular(2)[1][0]
    (8, 8, 8, 2)
    """
    base = random_regular(n, 3, bond=bond, seed=seed)
    terms = base.equation.split("->")[0].split(",")
    return ",".join(t + "z" for t in terms) + "->", tuple(s + (batch,) for s in base.shapes)


def _operands(shapes, semiring, seed=0):
    rng = np.random.default_rng(seed)
    arrays = [rng.uniform(0.1, 1.0, s) for s in shapes]
    return arrays if semiring in ("real", "maxtimes") else [np.log(a) for a in arrays]


def _fwd_bwd(run, leaves):
    def go():
        for t in leaves:
            t.grad = None
        run(*leaves).backward()
    return go


def _grad_difference(equation, arrays, sp, semiring):
    import contract as ct
    grads = []
    for run in (sp, lambda *ts: ct.einsum(equation, *ts, semiring=semiring)):
        leaves = [ct.tensor(a, requires_grad=True) for a in arrays]
        run(*leaves).backward()
        grads.append([t.grad.numpy() for t in leaves])
    return max(float(np.max(np.abs(a - b)) / np.max(np.abs(b))) for a, b in zip(*grads))


def _time_case(name, equation, shapes, semiring, divisor):
    import contract as ct
    arrays = _operands(shapes, semiring)
    full = ct.plan(equation, *arrays, semiring=semiring, optimize="greedy")
    limit = max(full.largest_intermediate // divisor, max(a.size for a in arrays))
    sp = ct.slice_plan(equation, *arrays, memory_limit=limit, semiring=semiring,
                       optimize="greedy")
    leaves = [ct.tensor(a, requires_grad=True) for a in arrays]
    engines = {
        "sliced fwd": Engine(lambda: sp(*arrays), flops=sp.flops,
                             largest=sp.largest_intermediate),
        "sliced fwd+bwd": Engine(_fwd_bwd(sp, leaves), largest=sp.largest_intermediate),
        "unsliced fwd+bwd": Engine(_fwd_bwd(lambda *ts: ct.einsum(equation, *ts,
                                                                  semiring=semiring,
                                                                  optimize="greedy"),
                                            leaves), flops=full.flops,
                                   largest=full.largest_intermediate),
    }
    return Case(f"{name} {semiring} limit {limit} ({sp.num_slices} slices, "
                f"{len(sp.grad_slices)} in the gradient pass)", engines,
                baseline="sliced fwd",
                targets=[Target("sliced fwd+bwd", "sliced fwd", 2.5),
                         Target("sliced fwd+bwd", "unsliced fwd+bwd", 1.3)],
                info={"equation": equation, "overhead": sp.overhead,
                      "grad_rel_diff": _grad_difference(equation, arrays, sp, semiring)})


def peak_excess(sp, arrays, warm=2):
    """Peak traced bytes of one forward + backward above the operands and their gradients,
    in units of (limit x itemsize), after ``warm`` runs (plans, caches, free lists)."""
    import contract as ct
    leaves = [ct.tensor(a, requires_grad=True) for a in arrays]
    run = _fwd_bwd(sp, leaves)
    for _ in range(warm):
        run()
    for t in leaves:
        t.grad = None
    tracemalloc.start()
    try:
        sp(*leaves).backward()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    grads = sum(t.grad.numpy().nbytes for t in leaves)
    return (peak - grads) / (sp.memory_limit * arrays[0].itemsize)


def _memory_case(batch):
    import contract as ct
    equation, shapes = batched_regular(batch)
    arrays = _operands(shapes, "real")
    limit = max(a.size for a in arrays)
    sp = ct.slice_plan(equation, *arrays, memory_limit=limit, optimize="greedy")
    leaves = [ct.tensor(a, requires_grad=True) for a in arrays]
    excess = peak_excess(sp, arrays)
    return Case(f"memory: unsliced largest {sp.unsliced_largest_intermediate // limit}x "
                f"the limit {limit}", {"sliced fwd+bwd": Engine(_fwd_bwd(sp, leaves))},
                baseline="sliced fwd+bwd", repeats=3,
                info={"excess_over_limit": round(excess, 3), "goal": "<= 3",
                      "gradient_slices": len(sp.grad_slices)})


def _path_case(inst, limit):
    import contract as ct
    sp = ct.slice_plan(inst.equation, *inst.shapes, memory_limit=limit, optimize="greedy")
    return Case(f"path re-search {inst.name} limit {limit}", {
        "re-searched": Engine(None, flops=sp.flops, largest=sp.largest_intermediate),
        "unsliced path, sliced": Engine(None, flops=sp.fixed_path_flops),
        "unsliced": Engine(None, flops=sp.unsliced_flops,
                           largest=sp.unsliced_largest_intermediate)},
        baseline="unsliced path, sliced",
        targets=[Target("re-searched", "unsliced path, sliced", 1.0,
                        "re-searched FLOPs <= slicing the unsliced path", kind="flops")],
        info={"method": sp.method, "slices": sp.num_slices})


def cases(args):
    """Time cases in three semirings, the memory case, the path re-search cases."""
    quick = getattr(args, "quick", False)
    batch = 8 if quick else 32
    equation, shapes = batched_regular(batch)
    found = [_time_case("regular-12 batch", equation, shapes, semiring, 4)
             for semiring in ("real", "log", "maxplus")]
    lat = lattice(5, 5, bond=4 if quick else 6)
    found.append(_time_case(lat.name, lat.equation, lat.shapes, "real", 4))
    if not quick:
        found.append(_memory_case(batch))
    found += [_path_case(lattice(4, 4, bond=4), 256),
              _path_case(random_regular(30, 3, bond=2), 32)]
    return found
