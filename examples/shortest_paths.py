"""All-pairs shortest paths with ``minplus``: repeated squaring of the weight matrix.

In the min-plus semiring ``ij,jk->ik`` is "the best way from i to k through one j";
squaring ceil(log2(n)) times gives every shortest path (Floyd-Warshall's answer).

    python examples/shortest_paths.py
"""
import numpy as np

import contract as ct


def all_pairs_shortest_paths(weights):
    """Shortest distances for a weight matrix (``inf``: no edge, diagonal 0)."""
    dist = np.array(weights, dtype=np.float64)
    np.fill_diagonal(dist, np.minimum(np.diag(dist), 0.0))
    hops = 1
    while hops < len(dist) - 1:
        dist = ct.einsum("ij,jk->ik", dist, dist, semiring="minplus")
        hops *= 2
    return dist


def floyd_warshall(weights):
    dist = np.array(weights, dtype=np.float64)
    np.fill_diagonal(dist, np.minimum(np.diag(dist), 0.0))
    for k in range(len(dist)):
        dist = np.minimum(dist, dist[:, k, None] + dist[None, k, :])
    return dist


def random_graph(n, density=0.3, seed=0):
    rng = np.random.default_rng(seed)
    weights = np.where(rng.random((n, n)) < density, rng.uniform(1, 10, (n, n)), np.inf)
    return weights


if __name__ == "__main__":
    graph = random_graph(8)
    print(all_pairs_shortest_paths(graph))
    print("matches Floyd-Warshall:", np.array_equal(all_pairs_shortest_paths(graph),
                                                    floyd_warshall(graph)))
