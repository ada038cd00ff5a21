"""The ``contract`` command line: ``contract bench`` and ``contract explain``.

    contract bench --suite overhead --suite networks --json out.json --plot out.png
    contract bench --suite gemm --threads 1 --repeat-runs 3
    contract bench --equation "ij,jk,kl->il" --shapes 300x400 400x500 500x60
    contract bench --equation "b (h p) -> b h" --shapes 8x12 --size p=3
    contract explain "pi,qj,ijkl,rk,sl->pqrs" --shapes 30x30 30x30 30x30x30x30 30x30 30x30
    contract explain examples.compiled_programs:mlp --shapes 256x512 512x512 512 512x512

Bad arguments (an unknown suite or engine, an output path that cannot be written, a
contraction that cannot be planned) print one line (``contract <command>: error: ...``)
and exit with 2, before any work.

>>> parse_shape("3x4"), parse_shape("()"), parse_shape("7")
((3, 4), (), (7,))
"""
import argparse
import sys
from typing import List, Optional

from contract.errors import ContractError

OPTIMIZER_HELP = ("path optimizers (auto, greedy, optimal, dp, branch-2, random-greedy, "
                  "auto-hq, ...); several allowed")


class OneLineParser(argparse.ArgumentParser):
    """argparse that reports a bad argument in one line and exits with status 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def parse_shape(text: str):
    """``3x4`` or ``3,4`` -> (3, 4); ``()`` or ``scalar`` -> (); raises argparse errors."""
    text = text.strip()
    if text in ("()", "scalar", ""):
        return ()
    parts = text.replace(",", "x").replace("X", "x").split("x")
    try:
        shape = tuple(int(p) for p in parts)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"invalid shape {text!r}: write sizes joined by 'x', e.g. 3x4 (or () for a scalar)"
        ) from None
    if any(d < 0 for d in shape):
        raise argparse.ArgumentTypeError(f"invalid shape {text!r}: sizes must be >= 0")
    return shape


def parse_size(text: str):
    """``p=2`` -> ("p", 2) for group sizes."""
    name, _, value = text.partition("=")
    try:
        return name.strip(), int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid size {text!r}: write NAME=INT, e.g. p=2") \
            from None


def _number(text: str, kind, ok, wanted: str):
    """``kind(text)`` when ``ok`` of it, else argparse's error naming what was ``wanted``."""
    try:
        value = kind(text)
    except ValueError:
        value = None
    if value is None or not ok(value):
        raise argparse.ArgumentTypeError(f"expected {wanted}, got {text!r}")
    return value


def _positive_int(text: str) -> int:
    return _number(text, int, lambda v: v >= 1, "a positive integer")


def _positive_float(text: str) -> float:
    return _number(text, float, lambda v: v > 0, "a positive number")


def _seconds(text: str) -> float:
    return _number(text, float, lambda v: 0 <= v < float("inf"), "seconds (0 or more)")


def _fraction(text: str) -> float:
    return _number(text, float, lambda v: 0 < v < float("inf"), "a positive number, e.g. 0.1")


def _add_measure_options(how) -> None:
    """``contract bench``'s "how to measure" options."""
    how.add_argument("--optimize", nargs="+", metavar="OPT", help=OPTIMIZER_HELP)
    how.add_argument("--engines", metavar="LIST",
                     help="keep only engines whose label starts with one of these "
                          "(comma-separated, e.g. contract,opt_einsum); one that matches no "
                          "engine is an error listing them")
    how.add_argument("--baseline", metavar="ENGINE",
                     help="engine label the ratio column divides by (default: each case's own)")
    how.add_argument("--repeats", type=_positive_int, default=7, help="timed repeats (default 7)")
    how.add_argument("--min-time", type=_positive_float, default=0.02, metavar="SECONDS",
                     help="a repeat loops calls until it lasts this long (default 0.02)")
    how.add_argument("--threads", type=_positive_int, metavar="N",
                     help="pin BLAS, OpenMP, torch and contract thread pools to N threads")
    how.add_argument("--repeat-runs", type=_positive_int, default=1, metavar="K",
                     help="run everything in K fresh processes and report the median and "
                          "range of each figure over them (default 1: this process)")
    how.add_argument("--noise", type=_fraction, default=None, metavar="CV",
                     help="a row whose repeats spread more than this coefficient of "
                          "variation is noisy, and so are its goals' verdicts (default 0.1)")
    how.add_argument("--quick", action="store_true", help="smaller sizes (for a smoke test)")
    how.add_argument("--seed", type=int, default=0, help="seed of the generators (default 0)")
    how.add_argument("--no-memory", action="store_true", help="skip the peak-memory run")
    how.add_argument("--settle", type=_seconds, default=None, metavar="SECONDS",
                     help="idle pause before each timed engine, so that threads another "
                          "engine left spinning (OpenMP, BLAS) are asleep (default 0.3; 0 "
                          "with --quick; path-only engines never wait)")
    how.add_argument("--malloc-as-is", action="store_true",
                     help="leave glibc's malloc thresholds alone (by default large buffers are "
                          "kept in the heap so no engine pays page faults by process history)")


def _add_bench(commands) -> None:
    bench = commands.add_parser("bench", help="run contraction benchmarks",
                                description="Engines and path optimizers side by side: path "
                                "time, FLOPs and largest intermediate of each engine's own path, "
                                "min/median/max time and its coefficient of variation, peak "
                                "memory, the ratio to a baseline measured in the same process, "
                                "and each goal's verdict. With nothing named it runs the "
                                "overhead suite (and says so).")
    what = bench.add_argument_group("what to run")
    what.add_argument("--suite", action="append", default=[], metavar="NAME",
                      help="a suite (repeatable, or comma-separated); 'all' for every suite; "
                           "--list shows them")
    what.add_argument("--list", action="store_true", help="list the suites and exit")
    what.add_argument("--equation", metavar="EQ", help="your own contraction, with --shapes")
    what.add_argument("--shapes", nargs="+", type=parse_shape, metavar="SHAPE",
                      help="operand shapes for --equation, e.g. 3x4 4x5")
    what.add_argument("--size", action="append", type=parse_size, default=[],
                      metavar="NAME=INT", help="with --equation: size of a label only a group "
                      "fixes (repeatable)")
    what.add_argument("--file", metavar="JSON", help="a JSON file: {\"equation\": ..., "
                      "\"shapes\": [[3, 4], ...], \"sizes\": {\"p\": 2}} or a list of them")
    what.add_argument("--generate", action="append", default=[], metavar="KIND[:k=v,...]",
                      help="a generated network: chain, lattice, tree, regular, hyper, e.g. "
                           "regular:n=30,degree=3,bond=4,seed=1")
    what.add_argument("--instance", action="append", default=[], metavar="NAME",
                      help="an instance of the optional einsum_benchmark package, by name, or "
                           "a local instance file in its format (.pkl)")
    _add_measure_options(bench.add_argument_group("how to measure"))
    out = bench.add_argument_group("output")
    out.add_argument("--json", metavar="FILE", help="write the results as JSON (first, "
                     "before the table and the plot)")
    out.add_argument("--plot", metavar="FILE.png", help="plot time and FLOPs per case (.png, "
                     ".svg, .pdf, ...)")
    out.add_argument("--markdown", action="store_true", help="print a markdown table")
    out.add_argument("--plain", action="store_true", help="no colours or progress bar")
    bench.set_defaults(handler=_run_bench)


def _add_explain(commands) -> None:
    explain = commands.add_parser("explain", help="print a contraction plan",
                                  description="The plan of an einsum: steps (operands, step "
                                  "equation, kernel, FLOPs, output shape), the contraction "
                                  "tree and totals.")
    explain.add_argument("equation", help="the einsum equation, e.g. 'ij,jk->ik', or a Python "
                         "function as module:function (its ct.compile program)")
    explain.add_argument("--shapes", nargs="+", type=parse_shape, required=True,
                         metavar="SHAPE", help="operand shapes, e.g. 3x4 4x5")
    explain.add_argument("--optimize", default="auto", help="path optimizer (default auto)")
    explain.add_argument("--semiring", default="real", help="semiring name (default real)")
    explain.add_argument("--memory-limit", type=_positive_int, metavar="ELEMENTS",
                         help="largest intermediate allowed")
    explain.add_argument("--size", action="append", type=parse_size, default=[],
                         metavar="NAME=INT", help="size of a label only a group fixes")
    explain.add_argument("--plot", metavar="FILE.png", help="draw the contraction tree")
    explain.set_defaults(handler=_run_explain)


def build_parser() -> argparse.ArgumentParser:
    """The ``contract`` argument parser with its ``bench`` and ``explain`` subcommands."""
    parser = OneLineParser(prog="contract", description="An einsum-centred tensor "
                           "contraction compiler: benchmarks and plan explanations.")
    parser.add_argument("--version", action="version", version=f"contract {_version()}")
    commands = parser.add_subparsers(dest="command", metavar="{bench,explain}",
                                     parser_class=OneLineParser)
    _add_bench(commands)
    _add_explain(commands)
    return parser


def _version() -> str:
    from importlib import metadata
    try:
        return metadata.version("contract")
    except metadata.PackageNotFoundError:
        import contract
        return contract.__version__


def _run_explain(args) -> int:
    from contract.tools.program import explain_program, is_function_ref
    if is_function_ref(args.equation):              # module:function -> its compiled program
        unused = [name for name, given in (("--plot", args.plot), ("--size", args.size),
                                           ("--semiring", args.semiring != "real")) if given]
        if unused:
            raise ContractError(f"{', '.join(unused)} apply to an equation, not to a "
                                f"function's compiled program ({args.equation})")
        return explain_program(args)
    from contract.tools.explain import checked_plan, explain, plot_tree
    from contract.tools.outputs import check_plot
    if args.plot:
        check_plot(args.plot, "--plot")
    found = checked_plan(args.equation, args.shapes, optimize=args.optimize,
                         semiring=args.semiring, memory_limit=args.memory_limit,
                         sizes=dict(args.size))
    print(explain(found))
    if args.plot:
        plot_tree(found, args.plot)
        print(f"\ntree plot written to {args.plot}")
    return 0


def _run_bench(args) -> int:
    from contract.tools.bench.session import run_bench
    return run_bench(args)


def main(argv: Optional[List[str]] = None) -> int:
    """Entry point of the ``contract`` console script; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return args.handler(args)
    except ContractError as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        print(f"contract {args.command}: error: {first}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"contract {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
