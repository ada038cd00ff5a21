"""Choosing a slicing: which labels to cut, into what segments, and the per-slice path.

A slicing fixes contracted labels to segments; every slice is the same contraction
on views of the operands.  Its cost is the total over all slices: a step repeats
once per slice of each sliced label it does not hold.  Three candidates are
compared by that total (FLOPs, opt_einsum's convention), and the cheapest that
fits ``memory_limit`` wins, so the result is never worse than the first:

1. **fixed path**: keep the unsliced path and halve segments greedily, each time
   the label whose halving costs the fewest total FLOPs (the classic method);
2. **re-searched**: the same labels, then the path searched again for the sliced
   network (the best order changes once a label is fixed: cotengra's
   "slice-and-reconfigure" idea);
3. **sliced search**: labels chosen one at a time by total cost *with* a path
   search on the sliced network after each choice (cotengra's ``SliceFinder``
   idea: minimise total FLOPs subject to the memory bound), then needless cuts
   undone.

A cotengra ``HyperOptimizer`` with ``slicing_opts`` passed as ``optimize=`` is
honoured: its tree's sliced indices and path are used (more cuts are added only if
its target size is above ``memory_limit``).

>>> from contract.engine.slice_search import search_slicing
>>> found = search_slicing([(0, 1), (1, 2), (2, 3)], (0, 3), [4, 64, 64, 4], "auto", 16)
>>> found.chosen.largest <= 16, found.chosen.flops >= found.unsliced_flops
(True, True)
"""
import importlib
from dataclasses import dataclass
from math import ceil, log, prod
from typing import Tuple

from contract.engine.paths import check_optimize, find_path
from contract.errors import ContractError

# choosing between slicings, each slice's every step costs about this many FLOPs more
# (Python and kernel-call overhead: ~10 us per step at ~2 GFLOP/s), so that among slicings
# of about the same FLOPs the one with fewer slices wins
STEP_CALL_FLOPS = 20_000
RESEARCH_OPTIMIZER = "greedy"      # the cheap search run after each cut


@dataclass(frozen=True)
class Slicing:
    """One candidate: the per-slice path and the segment length of each sliced label."""

    path: Tuple[Tuple[int, ...], ...]
    segments: Tuple[Tuple[int, int], ...]   # (label, segment length), sorted by label
    flops: int                              # steps over all slices (no combining)
    largest: int                            # largest step output of one (full) slice
    method: str

    @property
    def cuts(self):
        return dict(self.segments)


@dataclass(frozen=True)
class Found:
    """What :func:`search_slicing` found: the unsliced path and the chosen slicing.

    ``fixed`` is the fixed-path candidate (the unsliced path, sliced): the slicing
    the max / min semirings' backward uses so that ties break as the unsliced einsum
    breaks them.
    """

    unsliced_path: Tuple[Tuple[int, ...], ...]
    unsliced_flops: int
    unsliced_largest: int
    chosen: Slicing
    fixed: Slicing


def path_steps(terms, output, path):
    """Per step of ``path``: ``(labels its inputs hold, labels of its output, inputs)``.

    >>> path_steps([(0, 1), (1, 2)], (0, 2), ((0, 1),))
    [(frozenset({0, 1, 2}), (0, 2), 2)]
    """
    work, steps = [tuple(t) for t in terms], []
    for positions in path:
        picked = [work[p] for p in positions]
        work = [t for k, t in enumerate(work) if k not in positions]
        keep = set(output).union(*map(set, work))
        held = frozenset().union(*map(set, picked))
        out = tuple(sorted(x for x in held if x in keep))
        steps.append((held, out, len(picked)))
        work.append(out)
    return steps


def cost(terms, output, sizes, path, cuts):
    """``(total FLOPs over all slices, largest step output per slice)`` for ``cuts``
    (``{label: segment}``).  A step runs once per slice of the labels it lacks; over the
    slices of the labels it holds it does the unsliced work once."""
    pieces = {x: ceil(sizes[x] / s) for x, s in cuts.items() if s < sizes[x]}
    seg = [cuts.get(x, n) for x, n in enumerate(sizes)]
    total, largest = 0, 0
    for held, out, n in path_steps(terms, output, path):
        inner = bool(held - set(out))
        flops = prod(sizes[x] for x in held) * (max(1, n - 1) + inner)
        total += flops * prod(k for x, k in pieces.items() if x not in held)
        largest = max(largest, prod(seg[x] for x in out))
    return total, largest


def objective(terms, output, sizes, path, cuts):
    """What the search minimises: total FLOPs plus a per-step-call cost per slice."""
    flops, largest = cost(terms, output, sizes, path, cuts)
    slices = prod(ceil(sizes[x] / s) for x, s in cuts.items())
    return flops + slices * len(path) * STEP_CALL_FLOPS, largest


def slice_fixed_path(terms, output, sizes, path, limit, start=None):
    """Greedy on a fixed path: halve the segment (of a contracted label in the largest
    step output) whose halving costs least, until every step fits; None if impossible."""
    cuts = dict(start or {})
    contracted = set(range(len(sizes))) - set(output)
    steps = path_steps(terms, output, path)
    while True:
        seg = [cuts.get(x, n) for x, n in enumerate(sizes)]
        sized = [(prod(seg[x] for x in out), out) for _, out, _ in steps]
        size, worst = max(sized, default=(0, ()))
        if size <= limit:
            return cuts
        candidates = [x for x in worst if x in contracted and seg[x] > 1]
        if not candidates:
            return None
        trials = []
        for x in candidates:
            trial = {**cuts, x: ceil(seg[x] / 2)}
            total, _ = objective(terms, output, sizes, path, trial)
            trials.append((total, prod(trial.get(y, sizes[y]) for y in worst), x, trial))
        cuts = min(trials, key=lambda t: t[:3])[3]


def _research(terms, output, sizes, cuts, optimize):
    seg = [cuts.get(x, n) for x, n in enumerate(sizes)]
    return find_path(terms, output, seg, optimize, None).path


def _candidate(terms, output, sizes, path, cuts, method):
    flops, largest = cost(terms, output, sizes, path, cuts)
    return Slicing(tuple(path), tuple(sorted(cuts.items())), flops, largest, method)


def _sliced_search(terms, output, sizes, path, limit, optimize):
    """Cut one label at a time by total cost, searching the path again after each cut."""
    cuts, contracted = {}, set(range(len(sizes))) - set(output)
    while True:
        seg = [cuts.get(x, n) for x, n in enumerate(sizes)]
        sized = [(prod(seg[x] for x in out), out)
                 for _, out, _ in path_steps(terms, output, path)]
        size, worst = max(sized, default=(0, ()))
        if size <= limit:
            return _undo_needless(terms, output, sizes, path, cuts, limit, optimize)
        candidates = [x for x in worst if x in contracted and seg[x] > 1]
        if not candidates:
            return None
        best = None
        for x in candidates:
            trial = {**cuts, x: ceil(seg[x] / 2)}
            for p in (path, _research(terms, output, sizes, trial, RESEARCH_OPTIMIZER)):
                score = objective(terms, output, sizes, p, trial)
                fits = score[1] <= limit
                key = (not fits, score[0], score[1])
                if best is None or key < best[0]:
                    best = (key, trial, p)
        _, cuts, path = best


def _undo_needless(terms, output, sizes, path, cuts, limit, optimize):
    """Double back segments (largest cuts first) while the re-searched path still fits
    and the total cost does not grow."""
    best = objective(terms, output, sizes, path, cuts)[0]
    for x in sorted(cuts, key=lambda y: cuts[y]):
        while x in cuts:
            grown = cuts[x] * 2
            trial = {k: v for k, v in cuts.items() if k != x}
            if grown < sizes[x]:
                trial[x] = grown
            p = _research(terms, output, sizes, trial, optimize)
            score, largest = objective(terms, output, sizes, p, trial)
            if largest > limit or score > best:
                break
            cuts, path, best = trial, p, score
    return path, cuts


def _researched(terms, output, sizes, cuts, limit, optimize, method):
    """The path searched again for ``cuts`` (cut further if it needs to), as a candidate."""
    path = _research(terms, output, sizes, cuts, optimize)
    more = slice_fixed_path(terms, output, sizes, path, limit, cuts)
    return [] if more is None else [_candidate(terms, output, sizes, path, more, method)]


def _research_optimizer(optimize):
    """The optimizer for searching a sliced network: the user's when it is a name (an
    optimizer object may keep state from its first problem), else ``auto``."""
    return optimize if isinstance(optimize, str) else "auto"


def search_slicing(terms, output, sizes, optimize, limit) -> Found:
    """The cheapest slicing of the network that fits ``limit`` (see the module text).

    ``terms``/``output``: integer labels; ``sizes``: one length per label.  Raises
    ContractError when no slicing fits (the caller checks the bounds it can name first).
    """
    if _is_cotengra(optimize):
        return _cotengra_slicing(optimize, terms, output, sizes, limit)
    optimize = check_optimize(optimize)
    base = find_path(terms, output, sizes, optimize, None)
    unsliced_flops, unsliced_largest = cost(terms, output, sizes, base.path, {})
    fixed_cuts = slice_fixed_path(terms, output, sizes, base.path, limit)
    if fixed_cuts is None:
        raise ContractError(f"no slicing of the path fits memory_limit={limit}")
    fixed = _candidate(terms, output, sizes, base.path, fixed_cuts, "fixed path")
    found = [fixed]
    if fixed_cuts and not isinstance(optimize, tuple) and optimize is not False:
        again = _research_optimizer(optimize)
        found += _researched(terms, output, sizes, fixed_cuts, limit, again, "re-searched")
        starts = [base.path]
        if again != RESEARCH_OPTIMIZER:         # the cheap search's own start as well
            starts.append(find_path(terms, output, sizes, RESEARCH_OPTIMIZER, None).path)
        for start in starts:
            searched = _sliced_search(terms, output, sizes, start, limit, again)
            if searched is not None:
                found.append(_candidate(terms, output, sizes, *searched, "sliced search"))
                found += _researched(terms, output, sizes, searched[1], limit, again,
                                     "sliced search, re-searched")
    fits = [c for c in found if c.largest <= limit]
    chosen = min(fits, key=lambda c: (c.flops, len(c.segments), c.method != "fixed path"))
    return Found(base.path, unsliced_flops, unsliced_largest, chosen, fixed)


# -- the gradient pass: a working set, not just the largest array ------------------------
GRADIENT_BUDGET = 2        # a gradient slice's modelled working set, in memory limits
GRADIENT_FLOOR = 2 ** 15   # ... but never cut below this many elements (per-slice overheads)
GRADIENT_MAX_SLICES = 2 ** 14
GRADIENT_COST_CAP = 2      # ... nor past twice the forward slicing's modelled cost


def working_set(terms, output, sizes, path, cuts):
    """Modelled peak elements of one slice's gradient pass: the traced forward keeps every
    step's output until its backward; at a step, its inputs, output, their gradients and
    the kernels' copies of them are live too.

    >>> working_set([(0, 1), (1, 2)], (0, 2), [4, 4, 4], ((0, 1),), {})
    96
    """
    seg = [cuts.get(x, n) for x, n in enumerate(sizes)]
    work = [prod(seg[x] for x in t) for t in terms]
    kept, peak = 0, 0
    for positions, (_, out, _) in zip(path, path_steps(terms, output, path)):
        inputs = [work[p] for p in positions]
        work = [w for k, w in enumerate(work) if k not in positions]
        size = prod(seg[x] for x in out)
        peak = max(peak, kept + 2 * (sum(inputs) + size))
        kept += size
        work.append(size)
    return peak


def refine_for_gradient(terms, output, sizes, path, cuts, limit, budget=GRADIENT_BUDGET):
    """``cuts`` cut further (halving the label that sheds the most working set per cost
    added) until a slice's gradient pass fits ``budget * limit`` elements (but no less
    than :data:`GRADIENT_FLOOR`: below that, per-slice overheads cost more than the memory
    is worth) by :func:`working_set`, while the modelled cost stays within
    :data:`GRADIENT_COST_CAP` times that of ``cuts`` and the slices within
    :data:`GRADIENT_MAX_SLICES`."""
    cuts = dict(cuts)
    contracted = set(range(len(sizes))) - set(output)
    held = set().union(*map(set, (out for _, out, _ in path_steps(terms, output, path))))
    size = working_set(terms, output, sizes, path, cuts)
    cost = objective(terms, output, sizes, path, cuts)[0]
    cap = GRADIENT_COST_CAP * cost
    target = max(budget * limit, GRADIENT_FLOOR)
    while size > target:
        trials = []
        for x in contracted & held:
            seg = cuts.get(x, sizes[x])
            if seg > 1:
                trial = {**cuts, x: ceil(seg / 2)}
                if prod(ceil(sizes[y] / s) for y, s in trial.items()) > GRADIENT_MAX_SLICES:
                    continue
                smaller = working_set(terms, output, sizes, path, trial)
                more = objective(terms, output, sizes, path, trial)[0]
                if smaller < size and more <= cap:
                    # the most working set shed per cost added (log ratios)
                    gain = log(size / smaller) / (log(max(more, 1) / max(cost, 1)) + 1e-3)
                    trials.append((-gain, smaller, x, trial, more))
        if not trials:
            break
        _, size, _, cuts, cost = min(trials, key=lambda t: t[:3])
    return cuts


def gradient_slicing(terms, output, sizes, slicing, limit, budget=GRADIENT_BUDGET):
    """``slicing`` refined for the gradient pass (:func:`refine_for_gradient`)."""
    cuts = refine_for_gradient(terms, output, sizes, slicing.path, slicing.cuts, limit, budget)
    if cuts == slicing.cuts:
        return slicing
    return _candidate(terms, output, sizes, slicing.path, cuts, slicing.method + ", gradient")


# -- cotengra (optional) ------------------------------------------------------------------
def _is_cotengra(optimize):
    return type(optimize).__module__.split(".")[0] == "cotengra" and hasattr(optimize, "search")


def cotengra_optimizer(limit, **options):
    """A cotengra ``HyperOptimizer`` that slices to ``limit`` elements (cotengra must be
    installed: ``pip install cotengra``); ``slice_plan(..., optimize="cotengra")`` uses it."""
    try:
        ctg = importlib.import_module("cotengra")
    except ImportError:
        raise ContractError("optimize='cotengra' needs the cotengra package "
                            "(pip install cotengra)") from None
    options.setdefault("max_repeats", 32)
    options.setdefault("progbar", False)
    options.setdefault("parallel", False)
    return ctg.HyperOptimizer(slicing_opts={"target_size": limit}, **options)


def _cotengra_slicing(opt, terms, output, sizes, limit):
    """Honour a cotengra HyperOptimizer: its path and, with ``slicing_opts``, its cuts."""
    name = [f"l{x}" for x in range(len(sizes))]
    tree = opt.search([tuple(name[x] for x in t) for t in terms],
                      tuple(name[x] for x in output), {name[x]: n for x, n in enumerate(sizes)})
    path = tuple(tuple(int(i) for i in step) for step in tree.get_path())
    cuts = {int(ind[1:]): 1 for ind in getattr(tree, "sliced_inds", {}) or {}}
    unsliced = find_path(terms, output, sizes, "auto", None)
    full_flops, full_largest = cost(terms, output, sizes, unsliced.path, {})
    more = slice_fixed_path(terms, output, sizes, path, limit, cuts)
    if more is None:
        raise ContractError(f"no slicing of cotengra's path fits memory_limit={limit}")
    chosen = _candidate(terms, output, sizes, path, more, "cotengra")
    fixed_cuts = slice_fixed_path(terms, output, sizes, unsliced.path, limit)
    fixed = _candidate(terms, output, sizes, unsliced.path, fixed_cuts, "fixed path") \
        if fixed_cuts is not None else chosen
    return Found(unsliced.path, full_flops, full_largest, chosen, fixed)
