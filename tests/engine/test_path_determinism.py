"""Planning is the same in every process: ``PYTHONHASHSEED`` does not change a path."""
import json
import os
import random
import subprocess
import sys

import contract as ct
from contract.engine.plan import build_plan
from contract.grammar import parse
from contract.tools.bench.generators import lattice, random_regular

# networks-suite cases (default sizes) and paths-suite cases, with the optimizers that draw
# random numbers (the default's refinement and random-greedy)
SCRIPT = r"""
import argparse, contextlib, io, json, sys
from contract.tools.bench import load_suite
from contract.tools.cli import main
networks = load_suite("networks").instances(argparse.Namespace(quick=False, seed=0))
paths = load_suite("paths").instances(argparse.Namespace(quick=False, seed=0))
found = {}
for inst, opt in [(networks[3], "auto"), (networks[4], "auto"), (paths[0], "random-greedy"),
                  (paths[2], "random-greedy"), (paths[3], "auto")]:
    shapes = ["x".join(map(str, s)) for s in inst.shapes]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = main(["explain", inst.equation, "--shapes", *shapes, "--optimize", opt])
    flops = [line for line in out.getvalue().splitlines() if line.startswith("flops ")]
    found[inst.name + " " + opt] = (status, flops)
print(json.dumps(found))
"""


def _explain_in_process(hash_seed):
    env = dict(os.environ, PYTHONHASHSEED=str(hash_seed))
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                          env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_explain_flops_do_not_depend_on_the_hash_seed():
    first, second = _explain_in_process(1), _explain_in_process(2)
    assert len(first) == 5 and all(status == 0 and len(f) == 1 for status, f in first.values())
    assert first == second


def test_path_search_leaves_the_callers_random_state_alone():
    inst = random_regular(30, degree=3, bond=4, seed=0)
    random.seed(7)
    expected = [random.random() for _ in range(3)]
    random.seed(7)
    ct.plan(inst.equation, *inst.shapes, optimize="random-greedy")
    ct.plan(inst.equation, *inst.shapes)
    assert [random.random() for _ in range(3)] == expected


def test_random_optimizers_repeat_in_one_process():
    inst = lattice(4, 4, bond=8)
    for opt in ("auto", "random-greedy", "random-greedy-128"):
        first = build_plan(parse(inst.equation), inst.shapes, opt)     # no plan cache
        again = build_plan(parse(inst.equation), inst.shapes, opt)
        assert (first.path, first.flops) == (again.path, again.flops)
