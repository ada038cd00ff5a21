"""Sliced contractions as tasks on a ``dask.distributed`` cluster.

The operands enter the task graph once (as tasks that return them, so the
scheduler can recompute them if the worker holding them dies); each task
evaluates a group of slices in-process and adds them up; a binary tree of
tasks combines the groups with the semiring's add.  Only the final result
travels back to the client.  A killed worker is survived: Dask reschedules
its tasks and recomputes the results it held.

>>> from dask.distributed import Client, LocalCluster          # doctest: +SKIP
>>> import numpy as np, contract as ct                         # doctest: +SKIP
>>> with LocalCluster(n_workers=2, processes=True, host="127.0.0.1") as cluster, \\
...         Client(cluster) as client:                         # doctest: +SKIP
...     x = np.ones((16, 16, 16))
...     ct.sliced("abc,cde,efa,bdf->", x, x, x, x, memory_limit=4096, client=client)
np.float64(16777216.0)
"""
import uuid
from functools import partial
from math import ceil

from contract._util.progress import progress_bar
from contract.backends import backend_for
from contract.engine.semirings import get_semiring
from contract.errors import ContractError

TASKS_PER_WORKER = 4     # groups of slices per worker: enough to balance, few enough to be cheap


def _hold(value):
    return value


def _run_group(job, bounds_list, *operands):
    """Evaluate several slices on one worker and add them up."""
    backend = backend_for(operands)
    add = get_semiring(job.semiring).add(backend.xp)
    total = None
    for bounds in bounds_list:
        part = job.run(backend, operands, bounds)
        total = part if total is None else add(total, part)
    return total


def _combine(semiring, a, b):
    return get_semiring(semiring).add(backend_for([a]).xp)(a, b)


def worker_count(client):
    try:
        return max(1, len(client.scheduler_info()["workers"]))
    except (KeyError, TypeError, AttributeError):
        return 1


def group_slices(bounds, workers, per_worker=TASKS_PER_WORKER):
    """Split the slice list into about ``workers * per_worker`` groups.

    >>> [len(g) for g in group_slices(list(range(10)), workers=2, per_worker=2)]
    [3, 3, 3, 1]
    """
    size = max(1, ceil(len(bounds) / (workers * per_worker)))
    return [bounds[k:k + size] for k in range(0, len(bounds), size)]


def run_slices(sliced_plan, operands, client, progress=None):
    """Evaluate every slice of ``sliced_plan`` on ``client``'s workers; return the sum.

    ``operands`` are the prepared, cast operands (what ``SlicedPlan.__call__``
    passes); the result is gathered to the client as one array.
    """
    job = sliced_plan.job
    groups = group_slices(list(sliced_plan.slices.bounds), worker_count(client))
    return map_groups(client, partial(_run_group, job), partial(_combine, job.semiring),
                      groups, operands, progress)


def map_groups(client, task, combine, groups, operands, progress=None):
    """``task(group, *operands)`` for each group on the workers, the results combined
    pairwise in a tree of ``combine(a, b)`` tasks; returns the gathered final result.

    ``task`` and ``combine`` must pickle (module-level functions, partials of them).
    The operands enter the graph once, as recomputable tasks, so a worker that dies is
    survived.  ``progress`` counts the items of the groups as their tasks finish.
    """
    try:
        from distributed import as_completed
    except ImportError:
        raise ContractError("client= needs the 'distributed' package "
                            "(pip install 'contract[distributed]')") from None
    tag = uuid.uuid4().hex[:8]
    held = [client.submit(_hold, op, key=f"contract-operand-{i}-{tag}", pure=False)
            for i, op in enumerate(operands)]
    parts = [client.submit(task, group, *held, key=f"contract-slices-{k}-{tag}", pure=False)
             for k, group in enumerate(groups)]
    total = _tree_combine(client, combine, parts, tag)
    with progress_bar(sum(map(len, groups)), progress, "slices") as advance:
        sizes = {f.key: len(g) for f, g in zip(parts, groups)}
        for done in as_completed(parts):
            advance(sizes[done.key])
    return total.result()


def _tree_combine(client, combine, futures, tag):
    level = 0
    while len(futures) > 1:
        paired = []
        for k in range(0, len(futures) - 1, 2):
            paired.append(client.submit(combine, futures[k], futures[k + 1],
                                        key=f"contract-add-{level}-{k}-{tag}", pure=False))
        if len(futures) % 2:
            paired.append(futures[-1])
        futures, level = paired, level + 1
    return futures[0]


__all__ = ["run_slices", "group_slices", "map_groups", "worker_count"]
