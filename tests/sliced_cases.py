"""Sliced contractions whose operands or output go through a view recipe (diagonal, group
split, ellipsis, diagonal embedding, output merge, size-1 broadcast), each with a limit at
its largest operand that still needs slicing: ``(equation, shapes, sizes, limit)``."""
RECIPES = [
    ("abcc,cde,efa,bdf->", [(5, 4, 3, 3), (3, 6, 4), (4, 5, 5), (4, 6, 5)], {}, 180),  # diagonal
    ("a(bc),cde,efa,bdf->", [(5, 12), (3, 6, 4), (4, 5, 5), (4, 6, 5)], {"b": 4}, 120),  # group
    ("...abc,cde,efa,bdf->...", [(2, 5, 4, 5), (5, 6, 4), (4, 5, 5), (4, 6, 5)], {}, 200),
    ("abc,cde,efa,bdf->aa", [(5, 4, 5), (5, 6, 4), (4, 5, 5), (4, 6, 5)], {}, 120),  # embed
    ("abc,cde,efa,bdf->(ab)", [(5, 4, 5), (5, 6, 4), (4, 5, 5), (4, 6, 5)], {}, 120),  # merge
    ("...abc,...cde,efa,bdf->...", [(1, 5, 4, 5), (3, 5, 6, 4), (4, 5, 5), (4, 6, 5)], {}, 360),
]
