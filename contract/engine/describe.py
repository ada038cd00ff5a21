"""The step table of ``str(plan)``.

>>> import contract as ct
>>> print(ct.plan("ij,jk->ik", (2, 3), (3, 4)))  # doctest: +NORMALIZE_WHITESPACE
Plan  ij,jk->ik   semiring real   optimize 'auto'
  shapes (2, 3), (3, 4) -> (2, 4)
  step  operands  equation   kernel  flops  output shape
  0     (0, 1)    ij,jk->ik  gemm       48  (2, 4)
  total 48 flops, largest intermediate 8 elements
>>> print(ct.plan("ij,jk->ik", (2, 3), (3, 4), dtype="int64"))  # doctest: +ELLIPSIS
Plan ...
  total 48 flops, largest intermediate 8 elements; integers wrap around past int64 (dtype=int64)
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
    total = (f"  total {plan.flops} flops, largest intermediate "
             f"{plan.largest_intermediate} elements")
    explicit = plan._dtype
    if explicit is not None and explicit.kind in "iu" and plan._semiring.int_bound is not None:
        total += f"; integers wrap around past {explicit} (dtype={explicit})"   # as NumPy
    elif plan.ran_exact:
        total += "; integer operands past the int64 bound ran exactly (Python ints)"
    lines.append(total)
    note = memory_note(plan)
    if note:
        lines += textwrap.wrap(note, 92, initial_indent="  ", subsequent_indent="  ")
    return "\n".join(lines)


def format_numpy_report(plan, labels, naive_flops, rows) -> str:
    """``numpy.einsum_path``'s report: totals, then per step its scaling (labels met), the
    step and what remains; ``rows`` are ``(scaling, current, remaining)``."""
    scaling = max([r[0] for r in rows], default=0)
    speedup = naive_flops / plan.flops if plan.flops else 1.0
    lines = [f"  Complete contraction:  {plan.equation}",
             f"         Naive scaling:  {labels}",
             f"     Optimized scaling:  {scaling}",
             f"      Naive FLOP count:  {naive_flops:.3e}",
             f"  Optimized FLOP count:  {plan.flops:.3e}",
             f"   Theoretical speedup:  {speedup:3.3f}",
             f"  Largest intermediate:  {plan.largest_intermediate:.3e} elements",
             "-" * 74, "%6s %24s %40s" % ("scaling", "current", "remaining"), "-" * 74]
    lines += ["%4d    %24s %40s" % row for row in rows]
    return "\n".join(lines)


def memory_note(plan) -> str:
    """What the plan's ``memory_limit`` cost, or "" when it did not force a costlier path.

    >>> import contract as ct
    >>> p = ct.plan("bc,c,ac,ac,ad->bd", (3, 13), (13,), (13, 13), (13, 13), (13, 13),
    ...             memory_limit=169)
    >>> print(memory_note(p))  # doctest: +NORMALIZE_WHITESPACE
    memory_limit=169 forced a costlier path: 5616 flops instead of 2574 without the limit
    (largest intermediate 507 elements); ct.slice_plan(..., memory_limit=169) keeps the
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
