"""Suite ``semiring``: blocked semiring kernels, planned log chains, Tensor max / argmax.

Issue 4's goals: ``maxplus`` ``ij,jk->ik`` at 512x512 float64 at most 1.0x the best
plain-NumPy blocked-broadcast formulation (peak extra memory under 64 MiB); a
``log``-semiring chain planned at least 10x faster than one ``optimize=False``
step; ``t.max(dim=1)`` / ``t.argmax(dim=1)`` on 4096x4096 float32 at most 1.2x
``ndarray.max`` / ``argmax``.  The one-step chain is measured on 12x12 matrices:
at 256x256 its product space has 256**7 (7e16) elements, hours of work, while the
planned chain takes milliseconds.  ``--quick`` uses smaller sizes.

>>> import argparse
>>> [c.name for c in cases(argparse.Namespace(quick=True))][0]
'maxplus ij,jk->ik 128x128 f64'
"""
import numpy as np

from contract.tools.bench import Case, Target
from contract.tools.bench.engines import installed

NAME = "semiring"
DESCRIPTION = "maxplus / log semiring contractions and Tensor max / argmax vs plain NumPy"


def numpy_maxplus(a, b):
    """The best plain-NumPy max-plus product found: one row at a time, k contiguous."""
    out = np.empty((a.shape[0], b.shape[1]), dtype=np.result_type(a, b))
    bt = np.ascontiguousarray(b.T)
    for i in range(a.shape[0]):
        np.max(a[i, None, :] + bt, axis=1, out=out[i])
    return out


def _maxplus_case(n, rng):
    import contract as ct
    a, b = rng.standard_normal((n, n)), rng.standard_normal((n, n))
    engines = {"contract": lambda: ct.einsum("ij,jk->ik", a, b, semiring="maxplus"),
               "numpy.blocked": lambda: numpy_maxplus(a, b)}
    if installed("torch_semiring_einsum"):
        import torch
        import torch_semiring_einsum as tse
        ta, tb = torch.from_numpy(a), torch.from_numpy(b)
        eq = tse.compile_equation("ij,jk->ik")
        # max-plus in torch-semiring-einsum is its Viterbi forward (values and argmax)
        engines["torch_semiring_einsum"] = lambda: tse.log_viterbi_einsum_forward(
            eq, ta, tb, block_size=64)
    return Case(f"maxplus ij,jk->ik {n}x{n} f64", engines, baseline="numpy.blocked",
                targets=[Target("contract", "numpy.blocked", 1.0)])


def _chain_case(n, rng, one_step):
    import contract as ct
    eq = "ab,bc,cd,de,ef,fg->ag"
    mats = [rng.standard_normal((n, n)) for _ in range(6)]
    engines = {"planned": lambda: ct.einsum(eq, *mats, semiring="log")}
    targets = []
    if one_step:
        engines["optimize=False"] = lambda: ct.einsum(eq, *mats, semiring="log",
                                                      optimize=False)
        targets.append(Target("planned", "optimize=False", 0.1,
                              "planned >= 10x faster than optimize=False"))
    return Case(f"log chain 6x {n}x{n} f64", engines,
                baseline="optimize=False" if one_step else "planned", targets=targets,
                repeats=3 if one_step else None)


def _tensor_case(n, rng, op):
    import contract as ct
    x = rng.random((n, n), dtype=np.float32)
    t = ct.tensor(x)
    label = f"ndarray.{op}"
    engines = {"contract": (lambda: t.max(dim=1)) if op == "max" else (lambda: t.argmax(dim=1)),
               label: (lambda: x.max(axis=1)) if op == "max" else (lambda: x.argmax(axis=1))}
    if installed("torch"):
        import torch
        tt = torch.from_numpy(x)
        engines["torch"] = (lambda: tt.max(dim=1)) if op == "max" else (lambda: tt.argmax(dim=1))
    return Case(f"t.{op}(dim=1) {n}x{n} f32", engines, baseline=label,
                targets=[Target("contract", label, 1.2)], info={"peer_traced": False})


def cases(args):
    """The four goals of issue 4 (smaller with ``--quick``)."""
    quick = getattr(args, "quick", False)
    rng = np.random.default_rng(getattr(args, "seed", 0))
    return [
        _maxplus_case(128 if quick else 512, rng),
        _chain_case(8 if quick else 12, rng, one_step=True),
        _chain_case(64 if quick else 256, rng, one_step=False),
        _tensor_case(1024 if quick else 4096, rng, "max"),
        _tensor_case(1024 if quick else 4096, rng, "argmax"),
    ]
