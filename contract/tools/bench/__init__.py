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
reports min / median / max per call, their coefficient of variation, peak traced
memory, and the ratio of each engine's median to the ``baseline`` engine's median
*in the same run*.  An :class:`Engine` adds what the runner cannot measure itself:
path-finding seconds, and the FLOPs and largest intermediate *of the path that engine
runs* (use :func:`contract.tools.bench.engines.contraction_engines` to get them for an
equation); a row never shows another engine's FLOPs.  ``Case.flops`` is the problem's
own count where one makes sense (a GEMM's 2n^3): the report shows it on the case's
line, not on the engines' rows.  An Engine with ``run=None`` is not timed (path-only
comparisons: the ``paths`` suite).  ``targets`` state goals such as "contract at most
1.5x numpy.einsum"; the report states each in its own terms (a time ratio, a speed,
FLOPs) with MET, MISSED, or noisy when the timings spread too much to tell.

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
DEFAULT_SUITE = "overhead"          # what ``contract bench`` runs when nothing is named


class SuiteUnavailable(Exception):
    """Raised by ``cases(args)`` when a suite cannot run here (no GPU, no package)."""


@dataclass
class Engine:
    """One way to compute a case, with what is known about its contraction path.

    ``run``: zero-arg callable timed by the runner, or ``None`` (path figures only).
    ``path_seconds``: time to find the path / build the plan (cold, once).
    ``flops``: opt_einsum's cost convention; ``largest``: elements of the largest
    intermediate, both of the path this engine runs.  ``traced_memory``: False when
    the engine allocates outside Python's tracemalloc (torch, cupy), so the
    peak-memory column says n/a.  ``note``: where ``flops`` come from (e.g. "its
    np.einsum_path('greedy') path"), or why they are unknown.
    """

    run: Optional[Callable[[], object]]
    path_seconds: Optional[float] = None
    flops: Optional[int] = None
    largest: Optional[int] = None
    traced_memory: bool = True
    note: Optional[str] = None


TARGET_KINDS = ("time", "speed", "flops")


@dataclass
class Target:
    """A goal: median time of ``engine`` / median of ``peer`` <= ``max_ratio``.

    ``kind="speed"`` states the same goal as a speed: "at least 0.95x numpy.matmul's
    speed" is ``Target.speed("contract", "numpy.matmul", 0.95)``, i.e.
    ``Target("contract", "numpy.matmul", 1 / 0.95, "speed >= 0.95x numpy.matmul",
    kind="speed")``; a ``"time"`` target whose text starts with "speed" is read as one.
    ``kind="flops"`` compares FLOPs instead of times.

    >>> Target.speed("contract", "numpy.matmul", 0.95).describe()
    'speed >= 0.95x numpy.matmul'
    >>> Target("contract", "numpy.matmul", 1 / 0.9, "speed >= 0.9x numpy.matmul").kind
    'speed'
    """

    engine: str
    peer: str
    max_ratio: float
    text: str = ""
    kind: str = "time"

    def __post_init__(self):
        if self.kind == "time" and self.text.lstrip().lower().startswith("speed"):
            self.kind = "speed"
        if self.kind not in TARGET_KINDS:
            raise ContractError(f"Target kind {self.kind!r}: choose one of "
                                f"{', '.join(TARGET_KINDS)}")

    @classmethod
    def speed(cls, engine: str, peer: str, at_least: float, text: str = "") -> "Target":
        """The goal "``engine`` runs at least ``at_least`` times as fast as ``peer``"."""
        return cls(engine, peer, 1 / at_least, text or f"speed >= {at_least:g}x {peer}",
                   kind="speed")

    def describe(self) -> str:
        """The goal in words, e.g. ``contract time <= 1.5x numpy.einsum``."""
        if self.text:
            return self.text
        if self.kind == "speed":
            return f"{self.engine} speed >= {1 / self.max_ratio:.3g}x {self.peer}"
        what = "FLOPs" if self.kind == "flops" else "time"
        return f"{self.engine} {what} <= {self.max_ratio:g}x {self.peer}"


@dataclass
class Case:
    """One problem of a suite and the engines that compute it.

    ``flops``: the problem's own FLOP count, when every engine does the same work (a
    GEMM), shown on the case's line; ``info``: JSON-able facts (equation, shapes) that
    go into the JSON document, ``info["note"]`` is also printed under the case.
    """

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
    if not name.strip():
        raise ContractError(f"an empty suite name; choose one of {', '.join(names)}")
    if name not in names:
        raise ContractError(f"unknown suite {name!r}; choose one of {', '.join(names)}")
    return importlib.import_module(f"contract.tools.bench.suite_{name}")
