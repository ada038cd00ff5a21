"""The convolution algorithm choice (contract.nn.conv_algo): the cost model, its
calibration cache on disk, and the CONTRACT_CONV_ALGO override."""
import json
import os

import numpy as np
import pytest

import contract.nn.functional as F
from contract.errors import ContractError
from contract.nn import conv_algo
from contract.nn.conv_algo import EXAMPLE_RATES, choose

F32 = np.dtype(np.float32)


def _choose(xs, ws, stride=1, padding=1, dilation=1, groups=1, dtype=F32, forced=""):
    d = len(xs) - 2
    return choose(xs, ws, (stride,) * d, (dilation,) * d, ((padding, padding),) * d, groups,
                  dtype, rates=EXAMPLE_RATES, forced=forced)


@pytest.fixture
def cache(monkeypatch, tmp_path):
    """An empty calibration cache folder, and no rates in memory."""
    monkeypatch.setenv("CONTRACT_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("CONTRACT_CONV_ALGO", raising=False)
    monkeypatch.setattr(conv_algo, "_RATES", {})
    return tmp_path


def test_the_model_picks_by_shape():
    assert _choose((32, 16, 64, 64), (32, 16, 3, 3)).name == "winograd"
    assert _choose((8, 64, 56, 56), (64, 64, 3, 3)).spec.tiles == (4, 4)
    assert _choose((32, 16, 64, 64), (32, 16, 3, 3), stride=2).name == "im2col"
    assert _choose((32, 16, 64, 64), (32, 16, 3, 3), dilation=2).name == "im2col"
    assert _choose((1, 1, 5, 5), (1, 1, 3, 3)).name == "im2col"           # tiny
    assert _choose((4, 64, 64, 64), (64, 64, 15, 15), padding=7).name == "fft"
    assert _choose((4, 16, 64, 64), (16, 16, 3, 3), dtype=np.dtype(np.int64)).name == "im2col"


def test_estimate_lists_every_candidate_cheapest_first():
    found = conv_algo.estimate((8, 16, 32, 32), (16, 16, 5, 5), padding=2, rates=EXAMPLE_RATES)
    seconds = [c.seconds for c in found]
    assert seconds == sorted(seconds) and {c.name for c in found} == {"im2col", "winograd", "fft"}
    assert len([c for c in found if c.name == "winograd"]) == 3     # (1,2) (2,1) (2,2)


def test_float16_never_gets_f43():
    assert all(max(t) <= 2 for t in conv_algo.candidates((3, 3), np.dtype(np.float16)))
    spec = _choose((8, 32, 64, 64), (32, 32, 3, 3), dtype=np.dtype(np.float16),
                   forced="winograd").spec
    assert max(spec.tiles) == 2


def test_forcing(monkeypatch):
    assert _choose((2, 2, 8, 8), (2, 2, 3, 3), forced="winograd").name == "winograd"
    assert _choose((2, 2, 8, 8), (2, 2, 3, 3), forced="fft").name == "fft"
    assert _choose((32, 16, 64, 64), (32, 16, 3, 3), forced="im2col").name == "im2col"
    assert _choose((2, 2, 8, 8), (2, 2, 2, 2), forced="winograd").name == "im2col"
    with pytest.raises(ContractError, match="CONTRACT_CONV_ALGO"):
        _choose((2, 2, 8, 8), (2, 2, 3, 3), forced="direct")
    monkeypatch.setenv("CONTRACT_CONV_ALGO", "nope")
    with pytest.raises(ContractError, match="im2col, winograd, fft"):
        F.conv2d(np.ones((1, 1, 4, 4)), np.ones((1, 1, 3, 3)))


def test_calibration_is_measured_once_and_kept_on_disk(cache, monkeypatch):
    made = []
    monkeypatch.setattr(conv_algo, "calibrate", lambda: made.append(1) or dict(EXAMPLE_RATES))
    assert conv_algo.current_rates() == EXAMPLE_RATES
    assert conv_algo.current_rates() == EXAMPLE_RATES and len(made) == 1
    kept = json.loads((cache / conv_algo.CACHE_NAME).read_text())
    assert kept == {conv_algo.machine_key(): EXAMPLE_RATES}
    monkeypatch.setattr(conv_algo, "_RATES", {})                 # a new process
    assert conv_algo.current_rates() == EXAMPLE_RATES and len(made) == 1


def test_a_broken_or_unwritable_cache_is_measured_again(cache, monkeypatch):
    made = []
    monkeypatch.setattr(conv_algo, "calibrate", lambda: made.append(1) or dict(EXAMPLE_RATES))
    (cache / conv_algo.CACHE_NAME).write_text("{not json")
    assert conv_algo.current_rates() == EXAMPLE_RATES and len(made) == 1
    monkeypatch.setattr(conv_algo, "_RATES", {})
    monkeypatch.setenv("CONTRACT_CACHE_DIR", os.devnull + "/cannot")
    assert conv_algo.current_rates() == EXAMPLE_RATES and len(made) == 2


def test_calibrate_measures_every_rate(cache):
    rates = conv_algo.calibrate()
    assert set(rates) == set(EXAMPLE_RATES) and all(v > 0 for v in rates.values())


def test_the_cache_folder_follows_xdg(monkeypatch):
    monkeypatch.delenv("CONTRACT_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", "/somewhere")
    assert conv_algo.cache_dir() == os.path.join("/somewhere", "contract")


def test_the_example_prints_picks_and_errors(tmp_path):
    import subprocess
    import sys
    from pathlib import Path
    script = Path(__file__).resolve().parents[2] / "examples" / "conv_algorithms.py"
    env = dict(os.environ, CONTRACT_CACHE_DIR=str(tmp_path))
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=120, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.splitlines()
    assert len(lines) == 6 and lines[0].startswith("4x16x64x64 * 32x16x3x3 p1: picks ")
    errors = [float(word) for line in lines[1::2] for word in line.split()[1::2]]
    assert max(errors) < 1e-5


def test_each_pass_picks_its_own_algorithm(monkeypatch):
    from contract.nn.conv_tiles import Geometry
    monkeypatch.setattr(conv_algo, "current_rates", lambda: EXAMPLE_RATES)
    monkeypatch.setattr(conv_algo, "_PICKED", {})
    monkeypatch.delenv("CONTRACT_CONV_ALGO", raising=False)

    def picks(xs, ws, pad):
        x, w = np.ones(xs, np.float32), np.ones(ws, np.float32)
        geo = Geometry(ws[2:], (1, 1), ((pad, pad), (pad, pad)), (1, 1), 1)
        g = np.ones(xs[:1] + ws[:1] + tuple(s + 2 * pad - 2 for s in xs[2:]), np.float32)
        return (conv_algo.pick(np, x, w, geo), conv_algo.pick_input_grad(np, g, w, geo),
                conv_algo.pick_weight_grad(np, x, g, w, geo))
    fwd, back, weight = picks((32, 16, 64, 64), (32, 16, 3, 3), 0)
    assert fwd.spec.tiles == (4, 1) and back.name == "winograd" and weight is None
    fwd, back, weight = picks((8, 64, 56, 56), (64, 64, 3, 3), 1)
    assert back.spec.pairs == ((1, 1), (1, 1)) and weight.name == "winograd"
    assert picks((2, 2, 8, 8), (2, 2, 3, 3), 1) == (None, None, None)
    monkeypatch.setenv("CONTRACT_CONV_ALGO", "fft")
    assert all(c.name == "fft" for c in picks((2, 2, 8, 8), (2, 2, 3, 3), 1))


def test_estimate_prices_a_strided_im2col_on_its_own_output():
    """The output shape follows the stride (torch's floor rule), as ``choose`` prices it."""
    from contract.nn import conv_algo
    rates = conv_algo.EXAMPLE_RATES
    (only,) = conv_algo.estimate((1, 16, 64, 64), (16, 16, 3, 3), stride=2, padding=1,
                                 rates=rates)
    expected = conv_algo.im2col_seconds(rates, (1, 16, 64, 64), (16, 16, 3, 3), (32, 32),
                                        (2, 2), 1)
    assert only.name == "im2col" and only.seconds == pytest.approx(expected)
