"""HMM forward algorithm in the log semiring: the likelihood of an observation sequence.

log p(x_1..x_T) = logsumexp over all state paths of
    log pi[s_1] + log B[s_1, x_1] + sum_t (log A[s_{t-1}, s_t] + log B[s_t, x_t]),
which is one einsum chain in the ``log`` semiring (add = log-sum-exp, multiply = +);
the planner contracts it step by step, exactly the forward recursion.

    python examples/hmm_forward.py
"""
import numpy as np

import contract as ct


def hmm_log_likelihood(log_pi, log_a, log_b, observations):
    """log p(observations) for initial log_pi (S,), transitions log_a (S, S), emissions log_b (S, V)."""
    steps = len(observations)
    emit = [log_b[:, x] for x in observations]
    labels = [f"s{t}" for t in range(steps)]
    terms = [labels[0]] + [f"{labels[t - 1]} {labels[t]}" for t in range(1, steps)] + labels
    equation = ", ".join(terms) + " ->"
    operands = [log_pi] + [log_a] * (steps - 1) + emit
    return ct.einsum(equation, *operands, semiring="log")


def brute_force(log_pi, log_a, log_b, observations):
    """Sum over every state path (S**T of them): the check."""
    import itertools
    total = -np.inf
    for path in itertools.product(range(len(log_pi)), repeat=len(observations)):
        score = log_pi[path[0]] + log_b[path[0], observations[0]]
        for t in range(1, len(path)):
            score += log_a[path[t - 1], path[t]] + log_b[path[t], observations[t]]
        total = np.logaddexp(total, score)
    return total


def random_hmm(states, symbols, seed=0):
    rng = np.random.default_rng(seed)
    def normalised(*shape):
        p = rng.random(shape)
        return np.log(p / p.sum(-1, keepdims=True))
    return normalised(states), normalised(states, states), normalised(states, symbols)


if __name__ == "__main__":
    log_pi, log_a, log_b = random_hmm(3, 4)
    obs = [0, 3, 1, 2, 2, 0]
    print("forward    ", hmm_log_likelihood(log_pi, log_a, log_b, obs))
    print("brute force", brute_force(log_pi, log_a, log_b, obs))
