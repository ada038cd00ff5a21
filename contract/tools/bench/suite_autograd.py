"""Suite ``autograd``: Tensor wrapper overhead, reductions and backward cost (issue 3).

Goals (ratios of medians in one run): ``t.sum(dim=1)`` on 64x64 float32 at most 3x
``ndarray.sum``; ``a @ b`` on 256x256 at most 1.2x ``numpy.matmul``;
``batch.sum(dim=[0, 2, 3])`` on 512x3x64x64 at most 1.1x ``ndarray.sum``; the backward
of a 6-operand einsum chain at most 3x its forward; forward+backward of seed-like
workloads at most 1.0x torch CPU autograd (when torch is installed).

>>> import argparse
>>> [c.name for c in cases(argparse.Namespace(quick=True))][0]
't.sum(dim=1) 64x64 f32'
"""
import numpy as np

from contract.tools.bench import Case, Target
from contract.tools.bench.engines import installed

NAME = "autograd"
DESCRIPTION = "Tensor wrapper overhead, Tensor reductions/matmul, einsum backward vs forward, vs torch"


def _torch_tensor(array, requires_grad=False):
    import torch
    return torch.from_numpy(np.ascontiguousarray(array)).requires_grad_(requires_grad)


def _overhead_cases(rng, batch):
    import contract as ct
    small = rng.standard_normal((64, 64)).astype(np.float32)
    ts = ct.from_numpy(small)
    a, b = (rng.standard_normal((256, 256)).astype(np.float32) for _ in range(2))
    ta, tb = ct.from_numpy(a), ct.from_numpy(b)
    images = rng.random((batch, 3, 64, 64), dtype=np.float32)
    timages = ct.from_numpy(images)
    sum_engines = {"contract": lambda: ts.sum(dim=1), "ndarray.sum": lambda: small.sum(axis=1)}
    mm_engines = {"contract": lambda: ta @ tb, "numpy.matmul": lambda: np.matmul(a, b)}
    big_engines = {"contract": lambda: timages.sum(dim=[0, 2, 3]),
                   "ndarray.sum": lambda: images.sum(axis=(0, 2, 3))}
    if installed("torch"):
        s, x, y, im = (_torch_tensor(v) for v in (small, a, b, images))
        sum_engines["torch"] = lambda: s.sum(dim=1)
        mm_engines["torch"] = lambda: x @ y
        big_engines["torch"] = lambda: im.sum(dim=[0, 2, 3])
    return [
        Case("t.sum(dim=1) 64x64 f32", sum_engines, baseline="ndarray.sum",
             targets=[Target("contract", "ndarray.sum", 3.0)]),
        Case("a @ b 256x256 f32", mm_engines, baseline="numpy.matmul",
             targets=[Target("contract", "numpy.matmul", 1.2)]),
        Case(f"batch.sum(dim=[0,2,3]) {batch}x3x64x64 f32", big_engines, baseline="ndarray.sum",
             targets=[Target("contract", "ndarray.sum", 1.1)]),
    ]


def _chain_case(rng, n):
    import contract as ct
    eq = "ab,bc,cd,de,ef,fg->ag"
    mats = [ct.tensor(rng.standard_normal((n, n)), dtype=ct.float32, requires_grad=True)
            for _ in range(6)]
    seed = ct.ones(n, n)
    out = ct.einsum(eq, *mats)

    def backward():
        out.backward(seed, retain_graph=True)
        for m in mats:
            m.grad = None
    return Case(f"6-operand chain {n}x{n} backward vs forward",
                {"backward": backward, "forward": lambda: ct.einsum(eq, *mats)},
                baseline="forward", targets=[Target("backward", "forward", 3.0)])


def _workloads(rng, batch):
    """Seed-like forward+backward: matmul chain, batch statistics, broadcasting.

    Every engine runs twice before any is timed, so all are timed in one allocator
    state: glibc raises its mmap/trim thresholds after the first large free, and
    until then each ~1 MB temporary costs fresh page faults (measured: 1,850 minor
    faults per call, 16 ms instead of 4 ms, for whichever engine happens to run
    first).  Run with ``MALLOC_TRIM_THRESHOLD_=268435456 MALLOC_MMAP_THRESHOLD_=33554432``
    to see the same figures in a process that never imports torch.
    """
    x = rng.standard_normal((batch, 256)).astype(np.float32)
    w1 = (rng.standard_normal((256, 256)) * 0.05).astype(np.float32)
    w2 = (rng.standard_normal((256, 10)) * 0.05).astype(np.float32)
    images = rng.random((batch // 4, 3, 32, 32), dtype=np.float32)

    def mlp(lib, xs, a, b):
        return ((xs @ a).relu() @ b).sum()

    def stats(lib, im):
        mean = im.mean(dim=[0, 2, 3], keepdim=True)
        std = im.std(dim=[0, 2, 3], keepdim=True)
        return ((im - mean) / std * 2.0).pow(2).sum()

    def chain(lib, a, b, c):
        module = __import__(lib)
        return module.einsum("ab,bc,cd->ad", a, b, c).sum()

    mats = [rng.standard_normal((256, 256)).astype(np.float32) for _ in range(3)]
    cases = []
    for name, fn, arrays in [("mlp x@W1 relu @W2 sum", mlp, (x, w1, w2)),
                             ("batch stats normalise", stats, (images,)),
                             ("einsum chain ab,bc,cd->ad 256", chain, tuple(mats))]:
        engines = {"contract": _fb("contract", fn, arrays)}
        if installed("torch"):
            engines["torch"] = _fb("torch", fn, arrays)
        for run in list(engines.values()) * 2:   # shared warm-up: see _workloads' docstring
            run()
        cases.append(Case(f"fwd+bwd {name}", engines,
                          baseline="torch" if "torch" in engines else "contract",
                          targets=[Target("contract", "torch", 1.0)] if "torch" in engines
                          else []))
    return cases


def _fb(lib, fn, arrays):
    if lib == "torch":
        leaves = [_torch_tensor(a, True) for a in arrays]
    else:
        import contract as ct
        leaves = [ct.from_numpy(a).requires_grad_(True) for a in arrays]

    def run():
        for t in leaves:
            t.grad = None
        fn(lib, *leaves).backward()
    return run


def cases(args):
    """The issue-3 goals; ``--quick`` uses smaller batches."""
    quick = getattr(args, "quick", False)
    rng = np.random.default_rng(getattr(args, "seed", 0))
    batch = 64 if quick else 512
    return (_overhead_cases(rng, batch) + [_chain_case(rng, 64 if quick else 256)]
            + _workloads(rng, 64 if quick else 256))
