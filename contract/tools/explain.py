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
from math import prod
from typing import Optional, Tuple

from contract.engine.describe import format_plan


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

    def walk(node, prefix, last, root):
        branch = "" if root else ("└── " if last else "├── ")
        lines.append(prefix + branch + _node_text(plan, node))
        below = prefix + ("" if root else ("    " if last else "│   "))
        for k, child in enumerate(node.children):
            walk(child, below, k == len(node.children) - 1, False)
    walk(contraction_tree(plan), "", True, True)
    return "\n".join(lines)


def naive_flops(plan) -> int:
    """FLOPs of contracting everything in one step (opt_einsum's naive cost)."""
    bound = plan._bound
    labels = {x for term in bound.terms for x in term}
    inner = bool(labels - set(bound.output))
    return prod(bound.sizes[x] for x in labels) * (max(1, len(bound.terms) - 1) + inner)


def format_totals(plan) -> str:
    """Totals: FLOPs (and log10), speed-up over one naive step, largest intermediate (log2)."""
    flops, largest = plan.flops, plan.largest_intermediate
    naive = naive_flops(plan)
    lines = [f"steps {len(plan.steps)}   kernels " + ", ".join(
        f"{k} x{n}" for k, n in _kernel_counts(plan).items())]
    lines.append(f"flops {flops} (log10 {math.log10(flops):.2f})" if flops else "flops 0")
    if naive and flops:
        lines[-1] += f"   naive one-step {naive} ({naive / flops:.3g}x more)"
    lines.append(f"largest intermediate {largest} elements"
                 + (f" (log2 {math.log2(largest):.1f})" if largest else ""))
    return "\n".join(lines)


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


def _layout(node, depth_of, x_of, counter):
    """Leaves get x = 0, 1, 2...; a step sits above the mean x of its children."""
    if not node.children:
        x_of[id(node)] = float(next(counter))
        depth_of[id(node)] = 0
        return
    for child in node.children:
        _layout(child, depth_of, x_of, counter)
    x_of[id(node)] = sum(x_of[id(c)] for c in node.children) / len(node.children)
    depth_of[id(node)] = 1 + max(depth_of[id(c)] for c in node.children)


def plot_tree(plan, path: str) -> None:
    """Draw the contraction tree to a PNG: operands at the bottom, each step above its
    inputs, marker area growing with the step's log FLOPs (matplotlib, lazily imported).
    """
    from itertools import count
    from contract.tools.bench.plot import _pyplot
    plt = _pyplot()
    root = contraction_tree(plan)
    depth_of, x_of = {}, {}
    _layout(root, depth_of, x_of, count())
    figure, axis = plt.subplots(figsize=(max(5.0, 0.9 * len(plan.shapes) + 2), 4.5),
                                constrained_layout=True)

    def draw(node):
        x, y = x_of[id(node)], depth_of[id(node)]
        for child in node.children:
            axis.plot([x, x_of[id(child)]], [y, depth_of[id(child)]], color="0.5", zorder=1)
            draw(child)
        if node.step is None:
            axis.scatter([x], [y], s=60, marker="s", color="tab:blue", zorder=2)
            axis.annotate(f"{node.label}\n{node.shape}", (x, y), textcoords="offset points",
                          xytext=(0, -22), ha="center", fontsize=7)
            return
        step = plan.steps[node.step]
        size = 40 + 25 * math.log10(max(step.flops, 1))
        axis.scatter([x], [y], s=size, color="tab:orange", zorder=2)
        axis.annotate(f"{step.equation}\n{step.kernel}, {step.flops:.3g} flops", (x, y),
                      textcoords="offset points", xytext=(6, 6), fontsize=7)
    draw(root)
    axis.set_xticks([])
    axis.set_ylabel("step depth (0 = operands)")
    axis.set_xlabel("operands (squares) and pairwise steps (circles, area ~ log FLOPs)")
    axis.set_title(f"contraction tree of {plan.equation}  ({plan.flops:.3g} flops)", fontsize=9)
    axis.margins(0.15, 0.2)
    figure.savefig(path, dpi=110)
    plt.close(figure)
