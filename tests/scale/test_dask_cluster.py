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

LOOP = "abc,cde,efa,bdf->"      # its intermediates outgrow its operands: slicing has work to do


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
    arrays = [rng.standard_normal((10, 10, 10)) for _ in range(4)]
    sp = ct.slice_plan("abc,cde,efa,bdf->", *arrays, memory_limit=1000)
    assert sp.num_slices > 8 and sp.largest_intermediate <= 1000
    got = sp(*arrays, client=client)
    np.testing.assert_allclose(got, np.einsum("abc,cde,efa,bdf->", *arrays), rtol=1e-10)


def test_sliced_maxplus_on_the_cluster(client):
    try:
        ct.get_semiring("maxplus")
    except ct.ContractError:
        pytest.skip("semiring 'maxplus' is not registered yet")
    rng = np.random.default_rng(2)
    a, b, c, d = (rng.standard_normal((6, 6, 6)) for _ in range(4))
    got = ct.sliced(LOOP, a, b, c, d, memory_limit=216, semiring="maxplus", client=client)
    # axes a b c d e f
    total = (a[:, :, :, None, None, None] + b[None, None, :, :, :, None]
             + c.transpose(2, 0, 1)[:, None, None, None] + d[None, :, None, :, None, :])
    np.testing.assert_allclose(got, total.max(), rtol=1e-12)


def test_a_killed_worker_does_not_change_the_result(client):
    rng = np.random.default_rng(3)
    ops = [rng.standard_normal((24, 24, 24)) for _ in range(4)]
    sp = ct.slice_plan(LOOP, *ops, memory_limit=24 ** 3)
    assert sp.num_slices >= 8
    before = client.run(os.getpid)
    victim = sorted(before.values())[0]
    killed = []

    def kill_after_first(done, total):
        if not killed:
            os.kill(victim, signal.SIGKILL)      # a worker process this test's cluster started
            killed.append(done)

    got = sp(*ops, client=client, progress=kill_after_first)
    assert killed and killed[0] < sp.num_slices
    np.testing.assert_allclose(got, np.einsum(LOOP, *ops), rtol=1e-9)
    for _ in range(100):                         # the nanny restarts the killed process
        after = client.run(os.getpid)
        if len(after) == 2 and victim not in after.values():
            break
        time.sleep(0.2)
    assert victim not in client.run(os.getpid).values()


def _grads(equation, arrays, semiring, **options):
    """The value and every operand's gradient of a (sliced, with ``memory_limit``) einsum."""
    leaves = [ct.tensor(a, requires_grad=True) for a in arrays]
    limit = options.pop("memory_limit", None)
    if limit is None:
        out = ct.einsum(equation, *leaves, semiring=semiring)
    else:
        out = ct.slice_plan(equation, *arrays, memory_limit=limit, semiring=semiring)(
            *leaves, **options)
    seed = np.linspace(0.5, 1.5, out.numel()).reshape(tuple(out.shape))
    out.backward(ct.tensor(seed))
    return [out.detach().numpy()] + [t.grad.numpy() for t in leaves]


@pytest.mark.parametrize("equation", [LOOP, "abc,cde,efa,bdf->a"])
@pytest.mark.parametrize("semiring", ["real", "log", "maxplus"])
def test_sliced_gradients_on_the_cluster(client, semiring, equation):
    rng = np.random.default_rng(4)
    arrays = [rng.uniform(0.1, 1.0, (6, 6, 6)) for _ in range(4)]
    expected = _grads(equation, arrays, semiring)
    got = _grads(equation, arrays, semiring, memory_limit=216, client=client)
    for mine, theirs in zip(got, expected):
        np.testing.assert_allclose(mine, theirs, rtol=1e-10)


def test_a_killed_worker_does_not_change_the_gradient(client):
    """The backward's slices run as tasks too: kill a worker while they run."""
    rng = np.random.default_rng(5)
    arrays = [rng.uniform(0.1, 1.0, (20, 20, 20)) for _ in range(4)]
    equation = "abc,cde,efa,bdf->a"          # not a scalar: the backward is its own pass
    expected = _grads(equation, arrays, "real")
    before = client.run(os.getpid)
    victim = sorted(before.values())[0]
    phase, killed = [], []

    def kill_in_backward(done, total):
        if phase and not killed:
            os.kill(victim, signal.SIGKILL)      # a worker process this test's cluster started
            killed.append(done)

    leaves = [ct.tensor(a, requires_grad=True) for a in arrays]
    sp = ct.slice_plan(equation, *arrays, memory_limit=20 ** 3)
    assert sp.num_slices >= 8
    out = sp(*leaves, client=client, progress=kill_in_backward)
    phase.append("backward")
    out.backward(ct.tensor(np.linspace(0.5, 1.5, 20)))
    assert killed and killed[0] < sp.num_slices
    for mine, theirs in zip([out.detach().numpy()] + [t.grad.numpy() for t in leaves],
                            expected):
        np.testing.assert_allclose(mine, theirs, rtol=1e-10)
