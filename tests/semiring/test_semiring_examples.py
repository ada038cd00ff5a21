"""The semiring examples against brute-force enumeration."""
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "examples"))
import hmm_forward  # noqa: E402
import shortest_paths  # noqa: E402
import viterbi  # noqa: E402


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_hmm_forward_matches_brute_force(seed):
    hmm = hmm_forward.random_hmm(3, 4, seed=seed)
    obs = [0, 3, 1, 2, 2, 0][: 4 + seed]
    np.testing.assert_allclose(hmm_forward.hmm_log_likelihood(*hmm, obs),
                               hmm_forward.brute_force(*hmm, obs), rtol=1e-12)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_viterbi_path_matches_brute_force(seed):
    hmm = hmm_forward.random_hmm(3, 4, seed=seed)
    obs = [1, 0, 3, 2, 2, 1]
    score, path = viterbi.viterbi(*hmm, obs)
    best_score, best_path = viterbi.brute_force(*hmm, obs)
    np.testing.assert_allclose(score, best_score, rtol=1e-12)
    assert path == best_path


@pytest.mark.parametrize("seed", [0, 1])
def test_shortest_paths_match_floyd_warshall(seed):
    graph = shortest_paths.random_graph(9, seed=seed)
    np.testing.assert_allclose(shortest_paths.all_pairs_shortest_paths(graph),
                               shortest_paths.floyd_warshall(graph))
