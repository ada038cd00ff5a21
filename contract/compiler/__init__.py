"""The compiler stage: ``ct.compile`` traces a Tensor program and plans each chain of
multilinear ops as one einsum network (README "Compiled programs").

- :mod:`~contract.compiler.trace`: abstract tensors that record a graph of ops;
- :mod:`~contract.compiler.graph`: the graph IR (values, nodes, specs);
- :mod:`~contract.compiler.rules`: the multilinear ops and the einsums they write;
- :mod:`~contract.compiler.labels`: union-find over axis labels (atoms);
- :mod:`~contract.compiler.fuse`: the single-consumer rule, networks, constant folding;
- :mod:`~contract.compiler.program`: signatures, programs, replay, ``compile``;
- :mod:`~contract.compiler.listing`: ``str(program)``.

>>> import contract as ct
>>> f = ct.compile(lambda a, b: (a @ b).trace())
>>> f.program(ct.ones(3, 3), ct.ones(3, 3)).networks[0].equation
'ij,ji->'
"""
from contract.compiler import rules, trace
from contract.compiler.program import Compiled, Program, compile

trace.set_rules(rules.RULES)

__all__ = ["Compiled", "Program", "compile"]
