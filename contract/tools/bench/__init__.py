"""``contract bench``: engines and path optimizers side by side, measured in one run.

Adding a suite
--------------
A suite is a module ``contract.tools.bench.suite_<name>`` that defines

* ``NAME`` -- the suite name (``contract bench --suite <name>``), equal to ``<name>``;
* ``DESCRIPTION`` -- one line for ``contract bench --list``;
* ``cases(args) -> list[Case]`` -- the problems, each with its engines.  ``args`` is the
  parsed command line (``args.repeats``, ``args.quick``, ``args.seed``, ``args.optimize``
  ...); read options with ``getattr(args, "quick", False)`` so that the suite also runs
  from tests with a bare ``argparse.Namespace()``.  Raise :class:`SuiteUnavailable`
  (e.g. no GPU, a package not installed) to have the suite skipped with a message.

A :class:`Case` holds ``engines``: a dict ``{label: zero-arg callable or Engine}``.
The runner calls each callable once to warm up (plan caches fill, BLAS threads start),
then times it ``repeats`` times (many calls per repeat when one call is short) and
reports min / median / max per call, peak traced memory, and the ratio of each
engine's median to the ``baseline`` engine's median *in the same run*.  An
:class:`Engine` adds what the runner cannot measure itself: path-finding seconds,
FLOPs and largest intermediate (use :func:`contract.tools.bench.engines.contraction_engines`
to get them for an equation).  An Engine with ``run=None`` is not timed (path-only
comparisons: the ``paths`` suite).  ``targets`` state goals such as "contract at most
1.5x numpy.einsum"; the report says met / missed for each.

>>> import numpy as np
>>> from contract.tools.bench import Case, Target
>>> a = np.ones((4, 4))
>>> case = Case("ij,jk->ik 4x4", engines={
...     "contract": lambda: __import__("contract").einsum("ij,jk->ik", a, a),
...     "numpy.einsum": lambda: np.einsum("ij,jk->ik", a, a)},
...     baseline="numpy.einsum",
...     targets=[Target("contract", "numpy.einsum", 1.5)])
>>> sorted(case.engines)
['contract', 'numpy.einsum']
"""
import importlib
import os
import pkgutil
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Union

from contract.errors import ContractError

SCHEMA = "contract-bench/1"
BUILTIN_SUITES = ("overhead", "gemm", "networks", "reductions", "paths")


class SuiteUnavailable(Exception):
    """Raised by ``cases(args)`` when a suite cannot run here (no GPU, no package)."""


@dataclass
class Engine:
    """One way to compute a case, with what is known about its contraction path.

    ``run``: zero-arg callable timed by the runner, or ``None`` (path figures only).
    ``path_seconds``: time to find the path / build the plan (cold, once).
    ``flops``: opt_einsum's cost convention; ``largest``: elements of the largest
    intermediate.  ``traced_memory``: False when the engine allocates outside
    Python's tracemalloc (torch, cupy), so the peak-memory column says n/a.
    """

    run: Optional[Callable[[], object]]
    path_seconds: Optional[float] = None
    flops: Optional[int] = None
    largest: Optional[int] = None
    traced_memory: bool = True


@dataclass
class Target:
    """A speed goal: median time of ``engine`` / median of ``peer`` <= ``max_ratio``.

    A goal written as "at least 0.95x numpy.matmul's speed" is
    ``Target("contract", "numpy.matmul", 1 / 0.95, "speed >= 0.95x numpy.matmul")``.
    ``kind="flops"`` compares FLOPs instead of times.
    """

    engine: str
    peer: str
    max_ratio: float
    text: str = ""
    kind: str = "time"

    def describe(self) -> str:
        """The goal in words, e.g. ``contract <= 1.5x numpy.einsum (time)``."""
        return self.text or f"{self.engine} <= {self.max_ratio:g}x {self.peer} ({self.kind})"


@dataclass
class Case:
    """One problem of a suite and the engines that compute it."""

    name: str
    engines: Dict[str, Union[Callable[[], object], Engine]]
    baseline: Optional[str] = None
    flops: Optional[int] = None
    targets: List[Target] = field(default_factory=list)
    repeats: Optional[int] = None
    info: Dict[str, object] = field(default_factory=dict)

    def engine(self, label: str) -> Engine:
        """The engine ``label`` as an :class:`Engine` record."""
        found = self.engines[label]
        return found if isinstance(found, Engine) else Engine(found)


def suite_names() -> List[str]:
    """Names of every ``contract.tools.bench.suite_*`` module, built-in ones first.

    >>> "overhead" in suite_names()
    True
    """
    found = [m.name[len("suite_"):] for m in pkgutil.iter_modules([os.path.dirname(__file__)])
             if m.name.startswith("suite_")]
    return [s for s in BUILTIN_SUITES if s in found] + sorted(set(found) - set(BUILTIN_SUITES))


def load_suite(name: str):
    """The suite module ``contract.tools.bench.suite_<name>``; ContractError listing names on a miss.

    >>> load_suite("gemm").NAME
    'gemm'
    """
    names = suite_names()
    if name not in names:
        raise ContractError(f"unknown suite {name!r}; choose one of {', '.join(names)}")
    return importlib.import_module(f"contract.tools.bench.suite_{name}")
