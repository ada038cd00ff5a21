"""Suite ``dask``: chunked GEMM on the threaded scheduler, and slices on a LocalCluster.

Issue 7's goals, ratios taken in one run:

* chunked ``ij,jk->ik`` float64 (2x2 blocks) on the threaded scheduler: at least 0.7x
  the throughput of ``dask.array.einsum`` tuned (``optimize=True``, the same chunks,
  which were its best in our trials) and at least 0.5x in-memory ``numpy.matmul``;
* a sliced network on a 2-worker ``LocalCluster`` (127.0.0.1, one thread each): at most
  1.5x the time of the same slices run sequentially in this process.

The issue asks for n=8192; on a 2-core machine one 8192 GEMM takes about a minute, so the
default is n=4096.  Set ``CONTRACT_BENCH_DASK_N=8192`` for the full size; ``--quick``
uses n=1024 and a smaller network.

>>> import argparse
>>> [c.name for c in cases(argparse.Namespace(quick=True, no_cluster=True))]
['ij,jk->ik 1024 f64 chunks 512 threads']
"""
import atexit
import os

import numpy as np

from contract.tools.bench import Case, Engine, SuiteUnavailable, Target

NAME = "dask"
DESCRIPTION = "Dask: chunked ij,jk->ik vs dask.array.einsum and numpy.matmul; sliced network " \
              "on a 2-worker LocalCluster vs sequential"

_CLUSTER = {}


def _size(args):
    if getattr(args, "quick", False):
        return 1024
    return int(os.environ.get("CONTRACT_BENCH_DASK_N", "4096"))


def _gemm_case(args):
    import dask
    import dask.array as da
    import contract as ct
    n = _size(args)
    chunk = n // 2
    rng = np.random.default_rng(getattr(args, "seed", 0))
    a, b = rng.random((n, n)), rng.random((n, n))
    x = da.from_array(a, chunks=chunk).persist(scheduler="threads")
    y = da.from_array(b, chunks=chunk).persist(scheduler="threads")

    def threaded(build):
        return lambda: build().compute(scheduler="threads")
    dask.config.set({"array.slicing.split_large_chunks": False})
    engines = {
        "contract (dask)": Engine(threaded(lambda: ct.einsum("ij,jk->ik", x, y)),
                                  traced_memory=False),
        "dask.array.einsum": Engine(threaded(lambda: da.einsum("ij,jk->ik", x, y,
                                                               optimize=True)),
                                    traced_memory=False),
        "dask.array.matmul": Engine(threaded(lambda: x @ y), traced_memory=False),
        "numpy.matmul": Engine(lambda: a @ b, traced_memory=False),
    }
    return Case(f"ij,jk->ik {n} f64 chunks {chunk} threads", engines,
                baseline="dask.array.einsum", flops=2 * n ** 3, repeats=3,
                targets=[Target("contract (dask)", "dask.array.einsum", 1 / 0.7,
                                "speed >= 0.7x dask.array.einsum"),
                         Target("contract (dask)", "numpy.matmul", 1 / 0.5,
                                "speed >= 0.5x numpy.matmul")])


def _client():
    if "client" not in _CLUSTER:
        from distributed import Client, LocalCluster
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                               host="127.0.0.1", dashboard_address=":0", silence_logs=40)
        _CLUSTER["cluster"], _CLUSTER["client"] = cluster, Client(cluster)
        atexit.register(_close)
    return _CLUSTER["client"]


def _close():
    client, cluster = _CLUSTER.pop("client", None), _CLUSTER.pop("cluster", None)
    if client is not None:
        client.close()
    if cluster is not None:
        cluster.close()


def _sliced_case(args):
    import contract as ct
    quick = getattr(args, "quick", False)
    bond = 12 if quick else 32
    equation = "abc,cde,efa,bdf->"         # a loop of four: intermediates of bond**4
    rng = np.random.default_rng(getattr(args, "seed", 0))
    arrays = [rng.random((bond,) * len(t)) / bond for t in equation[:-2].split(",")]
    limit = bond ** 3                      # the operands' size: a smaller limit is refused
    sp = ct.slice_plan(equation, *arrays, memory_limit=limit, optimize="optimal")
    client = _client()
    sp(*arrays, client=client, progress=False)            # warm: workers import contract
    engines = {
        "sliced on 2-worker cluster": Engine(lambda: sp(*arrays, client=client, progress=False),
                                             flops=sp.flops, largest=sp.largest_intermediate,
                                             traced_memory=False),
        "sliced sequential": Engine(lambda: sp(*arrays, progress=False), flops=sp.flops,
                                    largest=sp.largest_intermediate),
    }
    return Case(f"sliced loop D={bond} limit {limit} ({sp.num_slices} slices, "
                f"overhead {sp.overhead:.2f}x)", engines, baseline="sliced sequential",
                flops=sp.flops, repeats=3,
                targets=[Target("sliced on 2-worker cluster", "sliced sequential", 1.5)],
                info={"sliced": list(sp.sliced), "slices": sp.num_slices,
                      "unsliced_largest": sp.unsliced_largest_intermediate,
                      "largest_per_slice": sp.largest_intermediate})


def cases(args):
    """The chunked GEMM case, then (unless ``args.no_cluster``) the sliced-network case."""
    try:
        import dask.array  # noqa: F401
    except ImportError:
        raise SuiteUnavailable("dask is not installed (pip install 'contract[distributed]')")
    found = [_gemm_case(args)]
    if not getattr(args, "no_cluster", False):
        try:
            import distributed  # noqa: F401
        except ImportError:
            raise SuiteUnavailable("distributed is not installed")
        found.append(_sliced_case(args))
    return found
