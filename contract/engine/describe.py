"""The step table of ``str(plan)``.

>>> import contract as ct
>>> print(ct.plan("ij,jk->ik", (2, 3), (3, 4)))  # doctest: +NORMALIZE_WHITESPACE
Plan  ij,jk->ik   semiring real   optimize 'auto'
  shapes (2, 3), (3, 4) -> (2, 4)
  step  operands  equation   kernel  flops  output shape
  0     (0, 1)    ij,jk->ik  gemm       48  (2, 4)
  total 48 flops, largest intermediate 8 elements
"""
import textwrap


def _row(cells, widths):
    return "  " + "  ".join(str(c).ljust(w) if k != 4 else str(c).rjust(w)
                            for k, (c, w) in enumerate(zip(cells, widths))).rstrip()


def format_plan(plan) -> str:
    """The plan as a step table with totals."""
    head = ("step", "operands", "equation", "kernel", "flops", "output shape")
    rows = [(k, s.operands, s.equation, s.kernel, s.flops, s.output_shape)
            for k, s in enumerate(plan.steps)]
    widths = [max(len(str(r[c])) for r in [head] + rows) for c in range(len(head))]
    shapes = ", ".join(map(str, plan.shapes))
    lines = [f"Plan  {plan.equation}   semiring {plan.semiring}   optimize {plan.optimize!r}",
             f"  shapes {shapes} -> {plan.output_shape}",
             _row(head, widths)]
    lines += [_row(r, widths) for r in rows]
    lines.append(f"  total {plan.flops} flops, largest intermediate "
                 f"{plan.largest_intermediate} elements")
    note = memory_note(plan)
    if note:
        lines += textwrap.wrap(note, 92, initial_indent="  ", subsequent_indent="  ")
    return "\n".join(lines)


def memory_note(plan) -> str:
    """What the plan's ``memory_limit`` cost, or "" when it did not force a costlier path.

    >>> import contract as ct
    >>> p = ct.plan("ij,jk,kl->il", (10, 20), (20, 30), (30, 10), memory_limit=50)
    >>> print(memory_note(p))  # doctest: +NORMALIZE_WHITESPACE
    memory_limit=50 forced a costlier path: 180000 flops instead of 16000 without the limit
    (largest intermediate 200 elements); ct.slice_plan(..., memory_limit=50) keeps the
    cheaper path and cuts it into slices that fit
    """
    free = getattr(plan, "unlimited", None)
    if free is None:
        return ""
    return (f"memory_limit={plan.memory_limit} forced a costlier path: {plan.flops} flops "
            f"instead of {free.flops} without the limit (largest intermediate "
            f"{free.largest_intermediate} elements); ct.slice_plan(..., "
            f"memory_limit={plan.memory_limit}) keeps the cheaper path and cuts it into "
            f"slices that fit")
