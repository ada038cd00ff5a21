"""``contract explain``: a plan's step table (``str(plan)``), its contraction tree, totals
and a tree plot.

>>> import contract as ct
>>> print(format_tree(ct.plan("ij,jk,kl->il", (2, 3), (3, 4), (4, 5))))
step 1  kl,ki->il  gemm  80 flops  -> (2, 5)
├── #2 kl (4, 5)
└── step 0  ij,jk->ki  gemm  48 flops  -> (4, 2)
    ├── #0 ij (2, 3)
    └── #1 jk (3, 4)
"""
import math
from dataclasses import dataclass
from typing import Optional, Tuple

from contract.engine.api import plan as make_plan
from contract.engine.describe import format_plan
from contract.errors import ContractError


def checked_plan(equation, shapes, optimize="auto", semiring="real", memory_limit=None,
                 sizes=None):
    """``ct.plan`` for the command line, where every refusal is one line: a search that
    cannot meet the request (a memory limit no step fits, a cost past a float) raises
    ContractError too.

    >>> checked_plan("ij,jk->ik", [(2, 3), (3, 4)]).flops
    48
    """
    try:
        return make_plan(equation, *shapes, optimize=optimize, semiring=semiring,
                         memory_limit=memory_limit, **(sizes or {}))
    except (RuntimeError, OverflowError, MemoryError) as err:
        raise ContractError(f"no plan for {equation!r}: {type(err).__name__}: {err}") from None


@dataclass(frozen=True)
class TreeNode:
    """A node of the contraction tree: an operand (``step`` None) or a step's result."""

    label: str                      # "#0 ij" for operand 0, the step equation for a step
    shape: Tuple[int, ...]
    step: Optional[int] = None
    operand: Optional[int] = None
    children: Tuple["TreeNode", ...] = ()


def _terms_of(step):
    left = step.equation.split("->")[0]
    return [t.strip() for t in left.split(",")]


def contraction_tree(plan) -> TreeNode:
    """The plan's path as a tree: leaves are operands, inner nodes are steps.

    >>> import contract as ct
    >>> root = ct.plan("ij,jk,kl->il", (2, 3), (3, 4), (4, 5), optimize=[(1, 2), (0, 1)])
    >>> root = contraction_tree(root)
    >>> root.step, [c.label for c in root.children]
    (1, ['#0 ij', 'jk,kl->lj'])
    """
    work = [TreeNode(f"#{i}", tuple(shape), operand=i) for i, shape in enumerate(plan.shapes)]
    for k, step in enumerate(plan.steps):
        children = []
        for position, term in zip(step.operands, _terms_of(step)):
            child = work[position]
            if child.step is None and child.label == f"#{child.operand}":
                child = TreeNode(f"#{child.operand} {term}".rstrip(), child.shape,
                                 operand=child.operand)
            children.append(child)
        work = [n for p, n in enumerate(work) if p not in step.operands]
        work.append(TreeNode(step.equation, tuple(step.output_shape), step=k,
                             children=tuple(children)))
    return work[0]


def _node_text(plan, node: TreeNode) -> str:
    if node.step is None:
        return f"{node.label} {node.shape}"
    step = plan.steps[node.step]
    return f"step {node.step}  {step.equation}  {step.kernel}  {step.flops} flops  -> {node.shape}"


def format_tree(plan) -> str:
    """The contraction tree drawn with box-drawing characters, root first."""
    lines = []
    stack = [(contraction_tree(plan), "", True, True)]      # no recursion: deep trees
    while stack:
        node, prefix, last, root = stack.pop()
        branch = "" if root else ("└── " if last else "├── ")
        lines.append(prefix + branch + _node_text(plan, node))
        below = prefix + ("" if root else ("    " if last else "│   "))
        n = len(node.children)
        stack.extend((child, below, k == n - 1, False)
                     for k, child in reversed(list(enumerate(node.children))))
    return "\n".join(lines)


def format_totals(plan) -> str:
    """Totals: FLOPs (and log10), speed-up over one naive step, largest intermediate (log2)."""
    flops, largest = plan.flops, plan.largest_intermediate
    naive = plan.naive_flops
    lines = [f"steps {len(plan.steps)}   kernels " + ", ".join(
        f"{k} x{n}" for k, n in _kernel_counts(plan).items())]
    lines.append(f"flops {flops} (log10 {math.log10(flops):.2f})" if flops else "flops 0")
    if naive and flops:
        lines[-1] += f"   naive one-step {naive} ({times(naive, flops)} more)"
    lines.append(f"largest intermediate {largest} elements"
                 + (f" (log2 {math.log2(largest):.1f})" if largest else ""))
    return "\n".join(lines)       # what memory_limit cost: in the step table's note


def _power(exponent: float) -> str:
    """10 ** exponent in three digits, also past a float's range."""
    if exponent < 300:
        return f"{10 ** exponent:.3g}"
    mantissa = 10 ** (exponent % 1)
    return f"{mantissa:.3g}e+{int(exponent)}"


def times(big: int, small: int) -> str:
    """``big / small`` as "12.3x", also for integers past a float's range.

    >>> times(10 ** 400, 10 ** 100), times(3, 2), times(10 ** 900, 1)
    ('1e+300x', '1.5x', '1e+900x')
    """
    return _power(math.log10(big) - math.log10(small)) + "x"


def count(value: int) -> str:
    """A count in three digits, also past a float's range.

    >>> count(123456), count(10 ** 400), count(0)
    ('1.23e+05', '1e+400', '0')
    """
    return _power(math.log10(value)) if value > 0 else "0"


def _kernel_counts(plan):
    counts = {}
    for step in plan.steps:
        counts[step.kernel] = counts.get(step.kernel, 0) + 1
    return counts


def explain(plan) -> str:
    """Everything ``contract explain`` prints: step table, tree and totals.

    >>> import contract as ct
    >>> text = explain(ct.plan("ij,jk,kl->il", (2, 3), (3, 4), (4, 5)))
    >>> "contraction tree" in text and "largest intermediate" in text
    True
    """
    return "\n\n".join([format_plan(plan), "contraction tree:\n" + format_tree(plan),
                        "totals:\n" + format_totals(plan)])


def tree_layout(root: TreeNode):
    """Positions for drawing: leaves at x = 0, 1, 2 ... in tree order and y = 0; a step at
    the mean x of its children, one above the highest of them.  Returns ``(nodes, x, y)``
    with ``nodes`` children before parents and ``x``, ``y`` keyed by ``id(node)``.

    >>> import contract as ct
    >>> nodes, x, y = tree_layout(contraction_tree(ct.plan("ij,jk,kl->il", (2, 3), (3, 4),
    ...                                                    (4, 5))))
    >>> [(x[id(n)], y[id(n)]) for n in nodes]
    [(0.0, 0), (1.0, 0), (2.0, 0), (1.5, 1), (0.75, 2)]
    """
    nodes, stack = [], [(root, False)]
    while stack:                                 # post-order without recursion
        node, done = stack.pop()
        if done or not node.children:
            nodes.append(node)
            continue
        stack.append((node, True))
        stack += [(child, False) for child in reversed(node.children)]
    x, y, leaves = {}, {}, 0
    for node in nodes:
        if not node.children:
            x[id(node)], y[id(node)], leaves = float(leaves), 0, leaves + 1
        else:
            x[id(node)] = sum(x[id(c)] for c in node.children) / len(node.children)
            y[id(node)] = 1 + max(y[id(c)] for c in node.children)
    return nodes, x, y


LABEL_ALL_BELOW = 16     # up to this many operands every node is labelled
TICKS_BELOW = 80         # up to this many operands they are named on the axis
LABELLED_STEPS = 6       # past LABEL_ALL_BELOW, only the costliest steps are labelled


def _figure_size(leaves: int, depth: int):
    """Inches: wide enough for the leaves, tall enough for the depth, within a screen."""
    width = min(22.0, max(6.5, 2.0 + 0.22 * leaves))
    height = min(12.0, max(4.5, 2.2 + 0.28 * depth))
    return width, height


def _step_label(plan, k: int, short: bool) -> str:
    step = plan.steps[k]
    if short:
        eq = step.equation if len(step.equation) <= 28 else step.equation[:25] + "..."
        return f"step {k}: {eq}\n{count(step.flops)} flops"
    return f"{step.equation}\n{step.kernel}, {count(step.flops)} flops"


def _draw_tree(axis, plan, nodes, x, y, colors):
    """Edges, operand squares and step circles (coloured and sized by log10 FLOPs)."""
    many = len(plan.shapes) > LABEL_ALL_BELOW
    for node in nodes:
        for child in node.children:
            axis.plot([x[id(node)], x[id(child)]], [y[id(node)], y[id(child)]],
                      color="0.6", linewidth=0.6 if many else 1.0, zorder=1)
    leaves = [n for n in nodes if n.step is None]
    axis.scatter([x[id(n)] for n in leaves], [0] * len(leaves), s=12 if many else 50,
                 marker="s", color="tab:blue", zorder=2)
    steps = [n for n in nodes if n.step is not None]
    heat = [math.log10(max(plan.steps[n.step].flops, 1)) for n in steps]
    return axis.scatter([x[id(n)] for n in steps], [y[id(n)] for n in steps],
                        c=heat, cmap=colors, s=[(14 if many else 30) + 6 * h for h in heat],
                        zorder=3, edgecolors="0.2", linewidths=0.4)


def _label_tree(axis, plan, nodes, x, y):
    """Every node's label on small trees; on large ones the operands' numbers (up to
    TICKS_BELOW) on the axis and only the costliest steps' labels."""
    leaves = [n for n in nodes if n.step is None]
    if len(leaves) <= LABEL_ALL_BELOW:
        for n in leaves:
            axis.annotate(f"{n.label}\n{n.shape}", (x[id(n)], 0), textcoords="offset points",
                          xytext=(0, -24), ha="center", fontsize=7)
        chosen = [n for n in nodes if n.step is not None]
    else:
        if len(leaves) <= TICKS_BELOW:
            axis.set_xticks([x[id(n)] for n in leaves])
            axis.set_xticklabels([f"#{n.operand}" for n in leaves], rotation=90,
                                 fontsize=max(4.5, 8 - len(leaves) / 20))
        steps = sorted((n for n in nodes if n.step is not None),
                       key=lambda n: plan.steps[n.step].flops, reverse=True)
        chosen = steps[:LABELLED_STEPS]
    for n in chosen:
        axis.annotate(_step_label(plan, n.step, len(leaves) > LABEL_ALL_BELOW),
                      (x[id(n)], y[id(n)]), textcoords="offset points", xytext=(6, 6),
                      fontsize=7, bbox={"boxstyle": "round,pad=0.2", "fc": "white",
                                        "ec": "0.7", "alpha": 0.85})


def plot_tree(plan, path: str) -> None:
    """Draw the contraction tree to an image (the format from ``path``'s extension):
    operands at the bottom, each step above its inputs, coloured and sized by its log10
    FLOPs.  The figure grows with the network within a screen's size; past 16 operands
    only the costliest steps are labelled, past 80 the operands are not named.
    """
    from contract.tools.bench.plot import _pyplot
    plt = _pyplot()
    root = contraction_tree(plan)
    nodes, x, y = tree_layout(root)
    figure, axis = plt.subplots(figsize=_figure_size(len(plan.shapes), y[id(root)]),
                                constrained_layout=True)
    dots = _draw_tree(axis, plan, nodes, x, y, "viridis")
    _label_tree(axis, plan, nodes, x, y)
    if len(plan.shapes) > LABEL_ALL_BELOW:
        figure.colorbar(dots, ax=axis, label="log10 FLOPs of the step", shrink=0.8)
    else:
        axis.set_xticks([])
    axis.set_ylabel("step depth (0 = operands)")
    axis.set_xlabel(f"{len(plan.shapes)} operands (squares) and {len(plan.steps)} pairwise "
                    f"steps (circles: colour and area ~ log10 FLOPs)")
    eq = plan.equation if len(plan.equation) <= 70 else plan.equation[:67] + "..."
    axis.set_title(f"contraction tree of {eq}\n{count(plan.flops)} flops, largest "
                   f"intermediate {count(plan.largest_intermediate)} elements", fontsize=9)
    axis.margins(0.04 if len(plan.shapes) > LABEL_ALL_BELOW else 0.15, 0.12)
    figure.savefig(path, dpi=110)
    plt.close(figure)
