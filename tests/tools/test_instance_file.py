"""``contract bench --instance FILE`` reads einsum_benchmark's instance format offline
(issue 14 item 20): a pickled ``(format_string, tensors, path_metas, result_sum)``, with
nothing but NumPy arrays and scalars unpickled."""
import argparse
import os
import pickle

import numpy as np
import opt_einsum
import pytest

import contract as ct
from contract.tools.bench.session import user_instances
from contract.tools.cli import main


def _args(*instances):
    return argparse.Namespace(equation=None, shapes=None, file=None, generate=[],
                              instance=list(instances))


def _write_instance(path, equation, tensors, protocol=pickle.HIGHEST_PROTOCOL):
    metas = (([(0, 1)], 8.0, 16.0, 1.0, 1.0), ([(0, 1)], 8.0, 16.0, 1.0, 1.0))
    with open(path, "wb") as handle:
        pickle.dump((equation, tensors, metas, np.complex128(1 + 2j)), handle,
                    protocol=protocol)


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_an_instance_file_is_read_offline(tmp_path, protocol):
    symbols = [opt_einsum.get_symbol(k) for k in range(110)]
    equation = ",".join(symbols[k] + symbols[k + 1] for k in range(109)) + "->"
    tensors = [np.ones((2, 2), np.float32)] * 109
    path = tmp_path / "chain_110.pkl"
    _write_instance(path, equation, tensors, protocol)
    [inst] = user_instances(_args(str(path)))
    assert inst.name == "chain_110" and inst.equation == equation
    assert inst.shapes == ((2, 2),) * 109
    assert "×" in inst.equation and "÷" in inst.equation
    assert ct.plan(inst.equation, *inst.shapes).flops > 0


def test_the_command_line_runs_an_instance_file(tmp_path, capsys):
    path = tmp_path / "tiny.pkl"
    _write_instance(path, "ab,b×,×c->ac", [np.ones((2, 3)), np.ones((3, 4)), np.ones((4, 2))])
    status = main(["bench", "--instance", str(path), "--engines", "contract", "--repeats", "1",
                   "--min-time", "0.0005", "--plain", "--no-memory"])
    assert status == 0
    assert "tiny" in capsys.readouterr().out


class _Sneaky:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


@pytest.mark.parametrize("payload, words", [
    (pickle.dumps(("ab->", [np.ones(2)], _Sneaky(), 0)), "is not part of an instance file"),
    (b"not a pickle", "cannot read an einsum_benchmark instance"),
    (pickle.dumps((3, [np.ones(2)], None, 0)), "first item of an instance is its equation"),
    (pickle.dumps(("ab->",)), "cannot read"),
])
def test_a_bad_instance_file_is_a_contract_error(tmp_path, payload, words):
    path = tmp_path / "bad.pkl"
    path.write_bytes(payload)
    with pytest.raises(ct.ContractError, match=words):
        user_instances(_args(str(path)))
