"""A tensor network too big for its memory limit, contracted in slices on a LocalCluster.

Run:  python examples/sliced_network.py [--address tcp://scheduler:8786]

Without ``--address`` a 2-worker LocalCluster on 127.0.0.1 is started (and
closed at the end); with it, the slices go to that running scheduler.  The
script prints the slicing plan (sliced labels, slices, FLOP overhead, the
per-slice step table), shows a progress bar while the slices run, and checks
the result against the same slices run sequentially in this process.
"""
import argparse
import time

import numpy as np

import contract as ct
from contract.tools.bench.generators import lattice

# a closed 5x5 lattice of tensors (bond size D): the best unsliced path holds D**6 elements
LATTICE = lattice(5, 5, bond=10)
EQUATION = LATTICE.equation
D = 10
MEMORY_LIMIT = D ** 4              # elements: the largest operand (a smaller limit is refused)


def network(seed=0):
    """Random operands for EQUATION with every label of size D."""
    rng = np.random.default_rng(seed)
    return [rng.uniform(0.0, 1.0, s) / D for s in LATTICE.shapes]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--address", help="a running dask scheduler, e.g. tcp://host:8786")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    from dask.distributed import Client, LocalCluster

    arrays = network()
    sp = ct.slice_plan(EQUATION, *arrays, memory_limit=MEMORY_LIMIT, optimize="greedy")
    print(sp)
    print(f"\nunsliced largest intermediate {sp.unsliced_largest_intermediate} elements > "
          f"limit {MEMORY_LIMIT}: {sp.num_slices} slices of at most {sp.largest_intermediate}")

    start = time.perf_counter()
    local = sp(*arrays, progress=False)
    sequential = time.perf_counter() - start

    if args.address:
        client, cluster = Client(args.address), None
    else:
        cluster = LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                               host="127.0.0.1", dashboard_address=":0")
        client = Client(cluster)
    try:
        sp(*arrays, client=client, progress=False)                   # warm the workers
        start = time.perf_counter()
        result = sp(*arrays, client=client, progress=True)
        distributed = time.perf_counter() - start
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    print(f"result {float(result):.12g}  (sequential in-process {float(local):.12g})")
    print(f"time: cluster {distributed:.3f} s, sequential {sequential:.3f} s, "
          f"ratio {distributed / sequential:.2f}")
    if not np.isclose(result, local, rtol=1e-10):
        raise SystemExit("cluster and sequential results differ")


if __name__ == "__main__":
    main()
