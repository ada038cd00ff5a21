"""Suite ``losses``: softmax, log_softmax, cross-entropy and layer norm against torch CPU (issue 17).

Goals (ratios of medians in one run): ``softmax`` / ``log_softmax`` over the last dim of
4096x1024 float32 at most 1.2x torch; ``F.cross_entropy`` forward + backward on 4096x1000
(class indices, mean) at most 1.2x torch; ``F.layer_norm`` forward + backward on 64x512x768
(weight and bias) at most 1.5x torch.  torch gets as many threads as contract's pool
(``CONTRACT_NUM_THREADS``; these ops run on one thread here): pin both with
``OMP_NUM_THREADS=1 CONTRACT_NUM_THREADS=1 contract bench --suite losses``.

>>> import argparse
>>> [c.name for c in cases(argparse.Namespace(quick=True))][0]
'softmax(dim=-1) 256x1024 f32'
"""
import numpy as np

from contract.tools.bench import Case, Target
from contract.tools.bench.engines import installed

NAME = "losses"
DESCRIPTION = "softmax, log_softmax, cross_entropy and layer_norm (fwd / fwd+bwd) vs torch CPU"


def _torch():
    import torch      # its threads: --threads pins them for a run (runner.pinned_threads)
    return torch


def _case(name, engines, goal, warm):
    """A case timed against torch when it is installed (``warm``: both run twice first, so
    that they are timed in one allocator state; see suite_autograd's ``_workloads``)."""
    for run in list(engines.values()) * (2 if warm else 0):
        run()
    peer = "torch" if "torch" in engines else "contract"
    return Case(name, engines, baseline=peer,
                targets=[Target("contract", "torch", goal)] if peer == "torch" else [])


def _softmax_cases(rng, rows):
    import contract as ct
    x = rng.standard_normal((rows, 1024)).astype(np.float32)
    tx = ct.from_numpy(x)
    px = _torch().from_numpy(x) if installed("torch") else None
    out = []
    for fn in ("softmax", "log_softmax"):
        engines = {"contract": (lambda f=fn: getattr(tx, f)(-1))}
        if px is not None:
            engines["torch"] = lambda f=fn: getattr(px, f)(-1)
        out.append(_case(f"{fn}(dim=-1) {rows}x1024 f32", engines, 1.2, rows > 256))
    return out


def _fwd_bwd(lib, fn, arrays, grads, seed):
    """A zero-arg run of ``fn(module, *leaves).backward(seed)`` that clears the gradients."""
    if lib == "torch":
        module = _torch()
        leaves = [module.from_numpy(a).requires_grad_(g) for a, g in zip(arrays, grads)]
        seed = module.from_numpy(seed)
    else:
        import contract as module
        leaves = [module.from_numpy(a).requires_grad_(g) for a, g in zip(arrays, grads)]
        seed = module.from_numpy(seed)

    def run():
        for t in leaves:
            t.grad = None
        fn(module, *leaves).backward(seed)
    return run


def _cross_entropy(module, x, target):
    return module.nn.functional.cross_entropy(x, target)


def _layer_norm(module, x, weight, bias):
    return module.nn.functional.layer_norm(x, (x.shape[-1],), weight, bias)


def _training_cases(rng, rows, batch):
    logits = rng.standard_normal((rows, 1000)).astype(np.float32)
    target = rng.integers(0, 1000, rows)
    x = rng.standard_normal((batch, 512, 768)).astype(np.float32)
    w = (1 + 0.1 * rng.standard_normal(768)).astype(np.float32)
    b = (0.1 * rng.standard_normal(768)).astype(np.float32)
    g = rng.standard_normal(x.shape).astype(np.float32)
    specs = [(f"cross_entropy fwd+bwd {rows}x1000 f32", _cross_entropy, (logits, target),
              (True, False), np.ones((), np.float32), 1.2),
             (f"layer_norm fwd+bwd {batch}x512x768 f32", _layer_norm, (x, w, b),
              (True, True, True), g, 1.5)]
    out = []
    for name, fn, arrays, grads, seed, goal in specs:
        libs = ["contract"] + (["torch"] if installed("torch") else [])
        engines = {lib: _fwd_bwd(lib, fn, arrays, grads, seed) for lib in libs}
        out.append(_case(name, engines, goal, batch > 4))
    return out


def cases(args):
    """The issue-17 goals; ``--quick`` uses 16x smaller batches (goals stay, ratios differ).

    >>> import argparse
    >>> [c.baseline for c in cases(argparse.Namespace(quick=True))][2] in ("torch", "contract")
    True
    """
    quick = getattr(args, "quick", False)
    rng = np.random.default_rng(getattr(args, "seed", 0))
    rows, batch = (256, 4) if quick else (4096, 64)
    return _softmax_cases(rng, rows) + _training_cases(rng, rows, batch)
