"""Quickstart: einsum strings, plans, named axes, groups, and the dtype policy."""
import numpy as np

import contract as ct

rng = np.random.default_rng(0)
a, b, c = rng.standard_normal((8, 16)), rng.standard_normal((16, 32)), rng.standard_normal((32, 4))

# 1. An einsum, checked against NumPy.
out = ct.einsum("ij,jk,kl->il", a, b, c)
print("matrix chain matches numpy:", np.allclose(out, a @ b @ c))

# 2. A plan: built once, called many times, readable.
p = ct.plan("ij,jk,kl->il", a, b, c)
print(p)
print("plan reused:", np.allclose(p(a, b, c), out))

# 3. Named axes and groups: a 2x2 sum-pool is one equation.
images = rng.standard_normal((2, 3, 8, 8))
pooled = ct.einsum("b c (h p) (w q) -> b c h w", images, p=2, q=2)
print("sum-pool shape:", pooled.shape)

# 4. Diagonals are views; inf on a diagonal stays inf.
m = np.array([[np.inf, 1.0], [2.0, 3.0]])
print("trace with inf:", ct.einsum("ii->", m))

# 5. No silent integer overflow: int8 sums accumulate in int64.
x = np.full(300, 100, dtype=np.int8)
print("int8 dot:", ct.einsum("i,i->", x, x), "(numpy says", np.einsum("i,i->", x, x), ")")
