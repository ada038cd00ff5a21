"""A 2-process LocalCluster on loopback: Dask-array plans, sliced contractions, a killed worker.

The cluster is started once for this module and closed at its end (a few seconds).
"""
import os
import signal
import time

import numpy as np
import pytest

distributed = pytest.importorskip("distributed", reason="dask.distributed is not installed")
da = pytest.importorskip("dask.array")

import contract as ct  # noqa: E402


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       host="127.0.0.1", dashboard_address=":0",
                                       silence_logs=40)
    with distributed.Client(cluster) as c:
        yield c
    cluster.close()


def test_dask_array_plan_runs_on_the_cluster(client):
    rng = np.random.default_rng(0)
    a, b, c = rng.standard_normal((40, 30)), rng.standard_normal((30, 50)), rng.standard_normal(50)
    lazy = ct.einsum("ij,jk,k->i", da.from_array(a, chunks=(16, 7)),
                     da.from_array(b, chunks=(11, 25)), da.from_array(c, chunks=20))
    got = client.compute(lazy).result()
    np.testing.assert_allclose(got, a @ b @ c, rtol=1e-10)


def test_sliced_contraction_on_the_cluster(client):
    rng = np.random.default_rng(1)
    shapes = [(7, 6, 7), (7, 8, 6), (6, 7, 7), (6, 8, 7)]
    arrays = [rng.standard_normal(s) for s in shapes]
    sp = ct.slice_plan("abc,cde,efa,bdf->", *arrays, memory_limit=30)
    assert sp.num_slices > 8 and sp.largest_intermediate <= 30
    got = sp(*arrays, client=client)
    np.testing.assert_allclose(got, np.einsum("abc,cde,efa,bdf->", *arrays), rtol=1e-10)


def test_sliced_maxplus_on_the_cluster(client):
    try:
        ct.get_semiring("maxplus")
    except ct.ContractError:
        pytest.skip("semiring 'maxplus' is not registered yet")
    rng = np.random.default_rng(2)
    a, b, c = rng.standard_normal((3, 40)), rng.standard_normal((40, 40)), rng.standard_normal((40, 2))
    got = ct.sliced("ij,jk,kl->il", a, b, c, memory_limit=10, semiring="maxplus", client=client)
    expected = (a[:, :, None, None] + b[None, :, :, None] + c[None, None]).max(axis=(1, 2))
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_a_killed_worker_does_not_change_the_result(client):
    rng = np.random.default_rng(3)
    x, y, z = rng.standard_normal((60, 900)), rng.standard_normal((900, 900)), \
        rng.standard_normal((900, 60))
    sp = ct.slice_plan("ij,jk,kl->il", x, y, z, memory_limit=60 * 60)
    assert sp.num_slices >= 8
    before = client.run(os.getpid)
    victim = sorted(before.values())[0]
    killed = []

    def kill_after_first(done, total):
        if not killed:
            os.kill(victim, signal.SIGKILL)      # a worker process this test's cluster started
            killed.append(done)

    got = sp(x, y, z, client=client, progress=kill_after_first)
    assert killed and killed[0] < sp.num_slices
    np.testing.assert_allclose(got, x @ y @ z, rtol=1e-9)
    for _ in range(100):                         # the nanny restarts the killed process
        after = client.run(os.getpid)
        if len(after) == 2 and victim not in after.values():
            break
        time.sleep(0.2)
    assert victim not in client.run(os.getpid).values()
