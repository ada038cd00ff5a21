"""``ct.compile``: Tensor programs written op by op run as planned einsum networks.

Each function below is ordinary Tensor code.  Eagerly every op is its own einsum:
``a @ b @ x`` first multiplies two matrices (n^3 work), ``(x * y).sum(1)`` builds
an x-sized product, ``(a.unsqueeze(2) + b.unsqueeze(0)).logsumexp(1)`` an n^3 cube.
Compiled, each chain of multilinear ops is one einsum over its leaves, planned once
by the engine (``ij,jk,k->i``: two matrix-vector products), and a ``logsumexp`` over a
broadcast sum is a log-semiring einsum.  The script prints, per pattern, the equation
the compiler wrote and the median time of the compiled function, the hand-written
``ct.einsum`` and the eager program (same process; sizes of the issue; ``--quick``
for small ones), and checks that all three agree.

    python examples/compiled_programs.py            # the figures (a few seconds)
    contract explain examples.compiled_programs:chain --shapes 1024x1024 1024x1024 1024
"""
import sys
import time

import numpy as np

import contract as ct


def chain(a, b, x):
    return a @ b @ x


def trace_of_product(a, b):
    return (a @ b).trace()


def row_dots(x, y):
    return (x * y).sum(1)


def log_matmul(a, b):
    return (a.unsqueeze(2) + b.unsqueeze(0)).logsumexp(1)


def mlp(x, w1, b1, w2):
    return (x @ w1 + b1).relu() @ w2


def median_seconds(fn, args, repeats=5):
    """Median wall time of ``fn(*args)`` over ``repeats`` calls (after one warm-up)."""
    fn(*args)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn(*args)
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def patterns(n, m):
    """(name, program, hand-written einsum, shapes) of the fused patterns."""
    return [
        ("a @ b @ x", chain, lambda a, b, x: ct.einsum("ij,jk,k->i", a, b, x),
         [(n, n), (n, n), (n,)]),
        ("(a @ b).trace()", trace_of_product, lambda a, b: ct.einsum("ij,ji->", a, b),
         [(n, n), (n, n)]),
        ("(x * y).sum(1)", row_dots, lambda x, y: ct.einsum("ij,ij->i", x, y),
         [(4 * n, n), (4 * n, n)]),
        ("logsumexp(a_ij + b_jk, j)", log_matmul,
         lambda a, b: ct.einsum("ij,jk->ik", a, b, semiring="log"), [(m, m), (m, m)]),
    ]


def main(quick=False):
    n, m = (128, 48) if quick else (1024, 256)
    rng = np.random.default_rng(0)
    print(f"{'program':28s} {'compiled as':16s} {'compiled':>10s} {'ct.einsum':>10s} "
          f"{'eager':>10s} {'eager/compiled':>15s}")
    for name, program, einsum, shapes in patterns(n, m):
        args = [ct.from_numpy(rng.standard_normal(s)) for s in shapes]
        compiled = ct.compile(program)
        (plan,) = compiled.program(*args).networks
        got, hand, eager = compiled(*args), einsum(*args), program(*args)
        assert np.allclose(got.numpy(), hand.numpy()) and np.allclose(got.numpy(), eager.numpy())
        times = [median_seconds(f, args, 3 if f is program else 5)
                 for f in (compiled, einsum, program)]
        label = plan.equation + ("" if plan.semiring == "real" else f" ({plan.semiring})")
        print(f"{name:28s} {label:16s} " + " ".join(f"{t * 1e3:8.2f}ms" for t in times)
              + f" {times[2] / times[0]:14.1f}x")
    x, w1, b1, w2 = (ct.from_numpy(rng.standard_normal(s) * 0.1)
                     for s in [(256, 512), (512, 512), (512,), (512, 512)])
    program = ct.compile(mlp).program(x, w1, b1, w2)
    print(f"\nmlp: {len(program.networks)} networks "
          f"{[p.equation for p in program.networks]}, barrier ops between them:")
    print("\n".join(line for line in str(program).splitlines() if " = add(" in line
                    or " = relu(" in line))


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
