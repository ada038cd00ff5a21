"""Viterbi decoding with ``maxplus`` and ``argmax=True``: the best hidden state sequence.

The best path score is the HMM chain in the max-plus semiring; ``argmax=True`` returns,
for every contracted state label, the state on one optimal path (back-pointers tracked
through the pairwise steps), so the decoded sequence is read straight off the indices.

    python examples/viterbi.py
"""
import itertools

import numpy as np

import contract as ct
from hmm_forward import random_hmm


def viterbi(log_pi, log_a, log_b, observations):
    """(best log score, best state sequence) of an HMM for ``observations``."""
    steps = len(observations)
    labels = [f"s{t}" for t in range(steps)]
    terms = [labels[0]] + [f"{labels[t - 1]} {labels[t]}" for t in range(1, steps)] + labels
    operands = [log_pi] + [log_a] * (steps - 1) + [log_b[:, x] for x in observations]
    score, chosen = ct.einsum(", ".join(terms) + " ->", *operands, semiring="maxplus",
                              argmax=True)
    return float(score), [int(chosen[label]) for label in labels]


def brute_force(log_pi, log_a, log_b, observations):
    best = (-np.inf, None)
    for path in itertools.product(range(len(log_pi)), repeat=len(observations)):
        score = log_pi[path[0]] + log_b[path[0], observations[0]]
        for t in range(1, len(path)):
            score += log_a[path[t - 1], path[t]] + log_b[path[t], observations[t]]
        best = max(best, (score, list(path)), key=lambda item: item[0])
    return best


if __name__ == "__main__":
    log_pi, log_a, log_b = random_hmm(3, 4, seed=1)
    obs = [0, 3, 1, 2, 2, 0, 1]
    print("viterbi    ", viterbi(log_pi, log_a, log_b, obs))
    print("brute force", brute_force(log_pi, log_a, log_b, obs))
