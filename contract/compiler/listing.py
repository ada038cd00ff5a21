"""``str(program)``: the networks (einsum text and plan table) and the barrier ops.

>>> import contract as ct
>>> f = ct.compile(lambda x, w: (x @ w).relu().sum())
>>> print(f.program(ct.ones(2, 3), ct.ones(3, 4)))  # doctest: +ELLIPSIS
program <lambda>: 2 networks, 1 barrier op, 64 flops
  inputs  %0 x (2, 3) float32, %1 w (3, 4) float32
  %2 = network ij,jk->ik (%0 x, %1 w)   [matmul]
    Plan  ij,jk->ik   semiring real   optimize 'auto'
      shapes (2, 3), (3, 4) -> (2, 4)
      step  operands  equation   kernel  flops  output shape
      0     (0, 1)    ij,jk->ik  gemm       48  (2, 4)
      total 48 flops, largest intermediate 8 elements
  %3 = relu(%2)   ...
  %4 = network ij-> (%3)   [sum]
    Plan  ij->   semiring real   optimize 'auto'
      shapes (2, 4) -> ()
      step  operands  equation  kernel  flops  output shape
      0     (0,)      ij->      sum        16  ()
      total 16 flops, largest intermediate 1 elements
  returns %4
"""
from contract.compiler.graph import Ref, refs


def _value(graph, vid):
    value = graph.values[vid]
    return f"%{vid} {value.name}" if value.name and value.kind != "node" else f"%{vid}"


def _args(graph, node):
    parts = []
    for a in node.args:
        if type(a) is Ref:
            parts.append(_value(graph, a.id))
        elif isinstance(a, (list, tuple)) and refs(a):
            parts.append("[" + ", ".join(_value(graph, v) for v in refs(a)) + "]")
        else:
            text = repr(a)
            parts.append(text if len(text) <= 24 else type(a).__name__)
    parts += [f"{k}={v!r}" for k, v in node.kwargs.items() if type(v) is not Ref]
    return ", ".join(parts)


def _outs(node):
    return ", ".join(f"%{v}" for v in node.outs) or "_"


def format_program(program) -> str:
    """The program listing (see the module docstring)."""
    graph = program._graph
    barriers = len(program.steps) - len(program.networks)
    lines = [f"program {program.name}: {len(program.networks)} network"
             f"{'s' if len(program.networks) != 1 else ''}, {barriers} barrier op"
             f"{'s' if barriers != 1 else ''}, {program.flops} flops"]
    inputs = [f"{_value(graph, v)} {graph.values[v].shape} {graph.values[v].dtype}"
              for v in program._inputs]
    lines.append("  inputs  " + (", ".join(inputs) or "none"))
    for step in program.steps:
        if step.kind == "network":
            names = [graph.nodes[m].name for m in step.members]
            leaves = ", ".join(_value(graph, v) for v in step.leaves)
            lines.append(f"  %{step.out} = network {step.text} ({leaves})   "
                         f"[{' -> '.join(names)}]")
            lines += ["    " + line for line in str(step.plan).splitlines()]
        else:
            node = graph.nodes[step.node]
            lines.append(f"  {_outs(node)} = {node.name}({_args(graph, node)})   {node.line}")
    returned = refs(program._template)
    lines.append("  returns " + (", ".join(f"%{v}" for v in returned) or repr(program._template)))
    return "\n".join(lines)
