"""Suite ``gpu``: CuPy on an NVIDIA GPU (skipped where CuPy or a GPU is missing).

Issue 8's goals, ratios taken in one run on the GPU:

* GEMM ``ij,jk->ik`` 8192 float32 and 4096 float64: speed >= 0.95x ``cupy.matmul``;
* ``pi,qj,ijkl,rk,sl->pqrs`` n=64: time <= 1.0x ``torch.einsum`` (CUDA, when torch has
  CUDA) and <= 0.8x ``opt_einsum.contract(..., backend="cupy")``;
* cached-plan call overhead on 4x4 operands: <= 1.5x a bare ``cupy.einsum`` call;
* reduction ``bchw->c`` on 512x3x224x224 float32: speed >= 0.9x ``cupy.sum``.

Every timed callable ends with a device synchronisation, so kernel time is counted.
``--quick`` shrinks the sizes (GEMM 2048 / 1024, n=32, batch 64).

>>> import argparse
>>> try:
...     cases(argparse.Namespace(quick=True))
... except SuiteUnavailable as why:
...     print("skipped")                                   # doctest: +ELLIPSIS
skipped...
"""
from contract.tools.bench import Case, Engine, SuiteUnavailable, Target

NAME = "gpu"
DESCRIPTION = "CuPy on the GPU: GEMM vs cupy.matmul, networks vs torch/opt_einsum, overhead, " \
              "reductions vs cupy.sum"


def _cupy():
    try:
        import cupy
        if cupy.cuda.runtime.getDeviceCount() < 1:
            raise SuiteUnavailable("CuPy sees no CUDA GPU")
    except ImportError:
        raise SuiteUnavailable("CuPy is not installed (pip install 'contract[gpu]')") from None
    except SuiteUnavailable:
        raise
    except Exception as err:
        raise SuiteUnavailable(f"CuPy cannot reach a GPU: {type(err).__name__}: {err}") from None
    return cupy


def _synced(cupy, fn):
    def run():
        out = fn()
        cupy.cuda.get_current_stream().synchronize()
        return out
    return Engine(run, traced_memory=False)


def _torch_cuda():
    try:
        import torch
        return torch if torch.cuda.is_available() else None
    except ImportError:
        return None


def _gemm(cupy, n, dtype, tag):
    import contract as ct
    a = cupy.random.random((n, n)).astype(dtype)
    b = cupy.random.random((n, n)).astype(dtype)
    return Case(f"ij,jk->ik {n} {tag} (gpu)",
                {"contract": _synced(cupy, lambda: ct.einsum("ij,jk->ik", a, b)),
                 "cupy.matmul": _synced(cupy, lambda: cupy.matmul(a, b)),
                 "cupy.einsum": _synced(cupy, lambda: cupy.einsum("ij,jk->ik", a, b))},
                baseline="cupy.matmul", flops=2 * n ** 3,
                targets=[Target("contract", "cupy.matmul", 1 / 0.95,
                                "speed >= 0.95x cupy.matmul")])


def _network(cupy, n):
    import contract as ct
    import opt_einsum as oe
    eq = "pi,qj,ijkl,rk,sl->pqrs"
    shapes = [(n, n)] * 2 + [(n, n, n, n)] + [(n, n)] * 2
    arrays = [cupy.random.random(s, dtype=cupy.float32) for s in shapes]
    expr = oe.contract_expression(eq, *shapes)
    engines = {"contract": _synced(cupy, lambda: ct.einsum(eq, *arrays)),
               "opt_einsum cupy": _synced(cupy, lambda: expr(*arrays, backend="cupy"))}
    targets = [Target("contract", "opt_einsum cupy", 0.8)]
    torch = _torch_cuda()
    if torch is not None:
        tensors = [torch.as_tensor(a, device="cuda") for a in arrays]

        def run_torch():
            out = torch.einsum(eq, *tensors)
            torch.cuda.synchronize()
            return out
        engines["torch.einsum cuda"] = Engine(run_torch, traced_memory=False)
        targets.append(Target("contract", "torch.einsum cuda", 1.0))
    return Case(f"{eq} n={n} f32 (gpu)", engines, baseline="opt_einsum cupy",
                flops=ct.plan(eq, *shapes).flops, targets=targets)


def _overhead(cupy):
    import contract as ct
    a, b = cupy.random.random((4, 4)), cupy.random.random((4, 4))
    plan = ct.plan("ij,jk->ik", a, b)
    return Case("ij,jk->ik 4x4 f64 overhead (gpu)",
                {"contract": _synced(cupy, lambda: ct.einsum("ij,jk->ik", a, b)),
                 "contract plan()": _synced(cupy, lambda: plan(a, b)),
                 "cupy.einsum": _synced(cupy, lambda: cupy.einsum("ij,jk->ik", a, b))},
                baseline="cupy.einsum", targets=[Target("contract", "cupy.einsum", 1.5)])


def _reduction(cupy, batch):
    import contract as ct
    x = cupy.random.random((batch, 3, 224, 224), dtype=cupy.float32)
    return Case(f"bchw->c {batch}x3x224x224 f32 (gpu)",
                {"contract": _synced(cupy, lambda: ct.einsum("bchw->c", x)),
                 "cupy.sum": _synced(cupy, lambda: x.sum(axis=(0, 2, 3)))},
                baseline="cupy.sum", flops=x.size,
                targets=[Target("contract", "cupy.sum", 1 / 0.9, "speed >= 0.9x cupy.sum")])


def cases(args):
    """GEMMs, the 5-operand network, call overhead and a reduction, all on the GPU."""
    cupy = _cupy()
    quick = getattr(args, "quick", False)
    big, small = (2048, 1024) if quick else (8192, 4096)
    return [_gemm(cupy, big, cupy.float32, "f32"), _gemm(cupy, small, cupy.float64, "f64"),
            _network(cupy, 32 if quick else 64), _overhead(cupy),
            _reduction(cupy, 64 if quick else 512)]
