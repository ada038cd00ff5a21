"""The einsum grammar (``einsum.lark``) and the parser that builds an Equation."""
from .parser import parse, parse_pattern, parse_sublists

__all__ = ["parse", "parse_pattern", "parse_sublists"]
