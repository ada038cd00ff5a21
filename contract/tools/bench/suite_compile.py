"""Suite ``compile``: ``ct.compile`` against the hand-written einsum and the eager program.

Issue 15's goals (ratios of medians in one run): ``a @ b @ x`` (1024, float64) at most
1.2x ``ct.einsum("ij,jk,k->i")`` and at least 50x faster than eager; ``(a @ b).trace()``
at most 1.2x ``ct.einsum("ij,ji->")``; ``(x * y).sum(1)`` (4096x1024 float64) at most
1.2x ``ct.einsum("ij,ij->i")``, peak memory over the inputs under 10% of x (see the
peak column); ``(a.unsqueeze(2) + b.unsqueeze(0)).logsumexp(1)`` (256) at most 1.2x
the log-semiring einsum, peak under the 256^3 intermediate (128 MiB); replay of a
compiled ``a @ b @ c`` on 8x8 at most 1.5x one cached ``ct.einsum`` call; a 2-layer
MLP (batch 256, width 512, float32) forward + backward at most 1.0x eager and 1.1x
torch eager (with ``numpy.matmul`` / ``torch.matmul`` on the same shapes beside it);
tracing and planning a 50-op program (first call, plan cache cleared) within 50 ms
(the median of ``first call`` is that figure).  Run with threads pinned
(``OMP_NUM_THREADS=1``).

>>> fifty_ops.__name__, NAME
('fifty_ops', 'compile')
"""
import numpy as np

from contract.tools.bench import Case, Target
from contract.tools.bench.engines import installed

NAME = "compile"
DESCRIPTION = "ct.compile: fused programs vs hand-written einsum, eager and torch"


def _tensors(rng, *shapes, dtype=np.float64):
    import contract as ct
    return [ct.from_numpy(rng.standard_normal(s).astype(dtype)) for s in shapes]


def _pattern(name, program, equation, shapes, rng, semiring="real", eager=True,
             eager_factor=None):
    """compiled / hand-written ct.einsum / eager for one program."""
    import contract as ct
    args = _tensors(rng, *shapes)
    compiled = ct.compile(program)
    compiled(*args)
    engines = {"compiled": lambda: compiled(*args),
               "ct.einsum": lambda: ct.einsum(equation, *args, semiring=semiring)}
    if eager:
        engines["eager"] = lambda: program(*args)
    targets = [Target("compiled", "ct.einsum", 1.2)]
    if eager_factor:
        targets.append(Target("compiled", "eager", 1 / eager_factor,
                              f"compiled >= {eager_factor}x faster than eager"))
    flops = compiled.program(*args).flops
    return Case(name, engines, baseline="ct.einsum", flops=flops, targets=targets,
                info={"equation": compiled.program(*args).networks[0].equation})


def _overhead_case(rng):
    import contract as ct
    arrays = [rng.standard_normal((8, 8)) for _ in range(3)]
    tensors = [ct.from_numpy(a) for a in arrays]
    compiled = ct.compile(lambda a, b, c: a @ b @ c)
    eq = "ij,jk,kl->il"
    engines = {"compiled": lambda: compiled(*tensors),
               "ct.einsum": lambda: ct.einsum(eq, *arrays),
               "ct.einsum tensors": lambda: ct.einsum(eq, *tensors),
               "eager": lambda: tensors[0] @ tensors[1] @ tensors[2]}
    return Case("replay a @ b @ c 8x8 f64", engines, baseline="ct.einsum",
                targets=[Target("compiled", "ct.einsum", 1.5,
                                "compiled <= 1.5x one cached ct.einsum call")])


def mlp(x, w1, b1, w2):
    return (x @ w1 + b1).relu() @ w2


def _fwd_bwd(fn, x, params, seed):
    def run():
        for p in params:
            p.grad = None
        fn(x, *params).backward(seed)
    return run


def _mlp_cases(rng, batch, width):
    import contract as ct
    x, w1, b1, w2, g = (rng.standard_normal(s).astype(np.float32) * 0.1 for s in
                        [(batch, width), (width, width), (width,), (width, width),
                         (batch, width)])
    leaves = [ct.from_numpy(a).requires_grad_() for a in (w1, b1, w2)]
    tx, seed = ct.from_numpy(x), ct.from_numpy(g)
    compiled = ct.compile(mlp)
    engines = {"compiled": _fwd_bwd(compiled, tx, leaves, seed),
               "eager": _fwd_bwd(mlp, tx, leaves, seed)}
    targets = [Target("compiled", "eager", 1.0)]
    gemm = {"numpy.matmul": lambda: np.matmul(x, w1)}
    if installed("torch"):
        import torch
        tparams = [torch.from_numpy(a).requires_grad_() for a in (w1, b1, w2)]
        engines["torch"] = _fwd_bwd(mlp, torch.from_numpy(x), tparams, torch.from_numpy(g))
        targets.append(Target("compiled", "torch", 1.1))
        tx1, tw1 = torch.from_numpy(x), torch.from_numpy(w1)
        gemm["torch.matmul"] = lambda: torch.matmul(tx1, tw1)
    for run in list(engines.values()) * 2:       # one allocator state for all (autograd suite)
        run()
    return [Case(f"mlp fwd+bwd {batch}x{width} f32", engines, baseline="eager",
                 targets=targets),
            Case(f"matmul {batch}x{width}x{width} f32", gemm, baseline="numpy.matmul")]


def fifty_ops(x, *weights):
    """A 50-op program: per layer a product, a shift, a relu, a scale, a centring."""
    h = x
    for w in weights:
        h = (h @ w + 1.0).relu()
        h = h * 0.5 - h.mean(0)
    return (h * h).sum() + h.T.sum(0).mean()


def _trace_case(rng):
    import contract as ct
    from contract.engine import cache
    args = _tensors(rng, (16, 32), *[(32, 32)] * 7)

    def first_call():
        cache.clear()
        ct.compile(fifty_ops)(*args)
    compiled = ct.compile(fifty_ops)
    nodes = len(compiled.program(*args)._graph.nodes)
    return Case(f"trace + plan a {nodes}-op program", {
        "first call": first_call, "replay": lambda: compiled(*args),
        "eager": lambda: fifty_ops(*args)}, baseline="eager", repeats=5,
        info={"goal": "first call <= 50 ms", "nodes": nodes})


def cases(args):
    """Every speed case of issue 15 (smaller with ``--quick``)."""
    quick = getattr(args, "quick", False)
    rng = np.random.default_rng(getattr(args, "seed", 0))
    n, m, batch, width = (128, 48, 64, 128) if quick else (1024, 256, 256, 512)
    return [
        _pattern(f"a @ b @ x {n} f64", lambda a, b, x: a @ b @ x, "ij,jk,k->i",
                 [(n, n), (n, n), (n,)], rng, eager_factor=50),
        _pattern(f"(a @ b).trace() {n} f64", lambda a, b: (a @ b).trace(), "ij,ji->",
                 [(n, n), (n, n)], rng),
        _pattern(f"(x * y).sum(1) {4 * n}x{n} f64", lambda x, y: (x * y).sum(1), "ij,ij->i",
                 [(4 * n, n), (4 * n, n)], rng),
        _pattern(f"logsumexp(a_ij + b_jk, j) {m} f64",
                 lambda a, b: (a.unsqueeze(2) + b.unsqueeze(0)).logsumexp(1), "ij,jk->ik",
                 [(m, m), (m, m)], rng, semiring="log"),
        _overhead_case(rng),
        *_mlp_cases(rng, batch, width),
        _trace_case(rng),
    ]
