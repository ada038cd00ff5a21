"""Every public ``nn.functional`` function (and ``ct.linalg.vector_norm``) runs inside a
compiled program as it runs eagerly: the ones that read a tensor's values are barriers, the
others are traced through; values and gradients equal eager's."""
import numpy as np
import pytest

import contract as ct
import contract.nn.functional as F

RNG = np.random.default_rng(15)


def _x(*shape):
    return ct.tensor(RNG.standard_normal(shape), dtype=ct.float64, requires_grad=True)


TARGET = ct.tensor([0, 2, 1, 2])
CASES = {
    "softmax": lambda x: F.softmax(x, dim=1),
    "log_softmax": lambda x: F.log_softmax(x, dim=1),
    "gelu": lambda x: F.gelu(x),
    "gelu tanh": lambda x: F.gelu(x, approximate="tanh"),
    "softplus": lambda x: F.softplus(x),
    "logsigmoid": lambda x: F.logsigmoid(x),
    "relu": lambda x: F.relu(x),
    "dropout off": lambda x: F.dropout(x, p=0.5, training=False),
    "cross_entropy": lambda x: F.cross_entropy(x, TARGET, label_smoothing=0.1),
    "nll_loss": lambda x: F.nll_loss(F.log_softmax(x, dim=1), TARGET),
    "mse_loss": lambda x: F.mse_loss(x, x.detach() * 0.5),
    "l1_loss": lambda x: F.l1_loss(x, x.detach() * 0.5),
    "bce_with_logits": lambda x: F.binary_cross_entropy_with_logits(x, (x.detach() > 0) * 1.0),
    "normalize": lambda x: F.normalize(x, dim=1),
    "layer_norm": lambda x: F.layer_norm(x, (3,)),
    "batch_norm eval": lambda x: F.batch_norm(x, ct.zeros(3, dtype=ct.float64),
                                              ct.ones(3, dtype=ct.float64)),
    "linear": lambda x: F.linear(x, ct.ones(2, 3, dtype=ct.float64)),
    "vector_norm": lambda x: ct.linalg.vector_norm(x, dim=1),
    "norm": lambda x: x.norm(),
}


@pytest.mark.parametrize("name", list(CASES))
def test_functional_inside_compile_equals_eager(name):
    fn = CASES[name]
    x = _x(4, 3)
    eager = fn(x)
    eager.sum().backward()
    want = x.grad.numpy().copy()
    x.grad = None
    got = ct.compile(fn)(x)
    np.testing.assert_allclose(got.detach().numpy(), eager.detach().numpy(), rtol=1e-12)
    got.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), want, rtol=1e-12, atol=1e-15)


def test_batch_norm_training_updates_running_statistics_at_every_call():
    mean, var = ct.zeros(3, dtype=ct.float64), ct.ones(3, dtype=ct.float64)
    f = ct.compile(lambda x: F.batch_norm(x, mean, var, training=True))
    x = _x(4, 3)
    f(x)
    once = mean.numpy().copy()
    f(x)
    np.testing.assert_allclose(mean.numpy(), once * 1.9, rtol=1e-12)   # 0.9 * m + 0.1 * x
