"""The step table of ``str(plan)``.

>>> import contract as ct
>>> print(ct.plan("ij,jk->ik", (2, 3), (3, 4)))  # doctest: +NORMALIZE_WHITESPACE
Plan  ij,jk->ik   semiring real   optimize 'auto'
  shapes (2, 3), (3, 4) -> (2, 4)
  step  operands  equation   kernel  flops  output shape
  0     (0, 1)    ij,jk->ik  gemm       48  (2, 4)
  total 48 flops, largest intermediate 8 elements; integers: 3 terms per element, exact
  past int64
"""


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
    total = (f"  total {plan.flops} flops, largest intermediate "
             f"{plan.largest_intermediate} elements")
    if plan._semiring.int_bound is not None and plan._reduces:   # contract/engine/overflow.py
        total += f"; integers: {plan.terms} terms per element, exact past int64"
    lines.append(total)
    return "\n".join(lines)
