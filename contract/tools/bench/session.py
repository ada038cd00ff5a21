"""One ``contract bench`` invocation: check the outputs, gather cases, run them with
progress, then write the JSON (first: a reporting error must not lose a run), print the
tables and goals, and plot.

>>> import argparse
>>> problems = user_instances(argparse.Namespace(equation="ij,jk->ik", shapes=[(2, 3), (3, 4)],
...                                              file=None, generate=["chain:n=3"], instance=[]))
>>> [p.equation for p in problems]
['ij,jk->ik', 'ab,bc,cd->ad']
"""
import argparse
import json
import os
import pickle
import sys
from typing import List

from contract.tools.bench import (DEFAULT_SUITE, Case, SuiteUnavailable, load_suite,
                                  suite_names)
from contract.tools.bench.generators import GENERATORS, Instance
from contract.tools.outputs import check_output, check_plot
from contract.errors import ContractError


def _generated(spec: str) -> Instance:
    kind, _, options = spec.partition(":")
    make = GENERATORS.get(kind)
    if make is None:
        raise ContractError(f"unknown generator {kind!r}; choose one of {', '.join(GENERATORS)}")
    kwargs = {}
    for item in filter(None, options.split(",")):
        key, _, value = item.partition("=")
        try:
            kwargs[key.strip()] = int(value)
        except ValueError:
            raise ContractError(f"generator option {item!r} must be NAME=INT") from None
    positional = {"chain": "n", "tree": "n", "regular": "n", "hyper": "n"}
    if kind == "lattice":
        kwargs.setdefault("rows", 4)
        kwargs.setdefault("cols", kwargs.get("rows"))
    else:
        kwargs.setdefault(positional[kind], 10)
    try:
        return make(**kwargs)
    except ContractError as err:
        raise ContractError(f"generator {kind!r}: {err}") from None
    except (TypeError, ValueError, IndexError) as err:
        raise ContractError(f"generator {kind!r} cannot take {options!r}: {err}") from None


def _sizes_of(item, where: str):
    sizes = item.get("sizes", {})
    if not isinstance(sizes, dict):
        raise TypeError(where)
    return tuple((str(k), int(v)) for k, v in sizes.items())


def _from_file(path: str) -> List[Instance]:
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError) as err:
        raise ContractError(f"cannot read problems from {path!r}: {err}") from None
    items = data if isinstance(data, list) else [data]
    found = []
    for k, item in enumerate(items):
        try:
            shapes = tuple(tuple(int(d) for d in s) for s in item["shapes"])
            found.append(Instance(item.get("name", f"{path}[{k}]"), item["equation"], shapes,
                                  _sizes_of(item, path)))
        except (KeyError, TypeError, ValueError, AttributeError):
            raise ContractError(f"{path!r} item {k} needs 'equation' (text) and 'shapes' "
                                f"(list of lists of ints), and may have 'name' and 'sizes' "
                                f"({{label: int}} for labels only a group fixes)") from None
    return found


# what einsum_benchmark's instance files hold: NumPy arrays and scalars (nothing else runs)
_PICKLED = {("numpy", "ndarray"), ("numpy", "dtype"), ("_codecs", "encode")} | {
    (f"numpy.{core}.{module}", name) for core in ("core", "_core")
    for module, name in (("multiarray", "_reconstruct"), ("multiarray", "scalar"),
                         ("numeric", "_frombuffer"))}


class _ArraysOnly(pickle.Unpickler):
    def find_class(self, module, name):
        if (module, name) in _PICKLED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not part of an instance file")


def _from_instance_file(path: str) -> Instance:
    """An einsum_benchmark instance file: a pickled ``(format_string, tensors, path_metas,
    result_sum)``; only NumPy arrays and scalars are unpickled."""
    try:
        with open(path, "rb") as handle:
            data = _ArraysOnly(handle).load()
        equation, tensors = data[0], data[1]
        shapes = tuple(tuple(int(d) for d in t.shape) for t in tensors)
    except (OSError, pickle.UnpicklingError, EOFError, TypeError, IndexError, KeyError,
            AttributeError, ValueError) as err:
        raise ContractError(f"cannot read an einsum_benchmark instance from {path!r}: "
                            f"{err}") from None
    if not isinstance(equation, str):
        raise ContractError(f"{path!r}: the first item of an instance is its equation text")
    return Instance(os.path.splitext(os.path.basename(path))[0], equation, shapes)


def _named(name: str) -> Instance:
    if os.path.isfile(name):
        return _from_instance_file(name)
    try:
        import einsum_benchmark
    except ImportError:
        raise ContractError("--instance needs the optional einsum_benchmark package "
                            "(pip install einsum_benchmark)") from None
    try:
        inst = einsum_benchmark.instances[name]
    except (KeyError, ValueError, OSError) as err:
        raise ContractError(f"einsum_benchmark has no instance {name!r} here ({err})") from None
    shapes = tuple(tuple(t.shape) for t in inst.tensors)
    return Instance(name, inst.format_string, shapes)


def user_instances(args) -> List[Instance]:
    """The problems named on the command line: --equation (with --shapes and --size),
    --file, --generate, --instance."""
    found = []
    sizes = tuple(tuple(pair) for pair in getattr(args, "size", None) or ())
    if args.equation is not None:
        if not args.shapes:
            raise ContractError("--equation needs --shapes, one per operand (e.g. 3x4 4x5)")
        found.append(Instance(args.equation, args.equation,
                              tuple(tuple(s) for s in args.shapes), sizes))
    elif getattr(args, "shapes", None):
        raise ContractError("--shapes goes with --equation")
    elif sizes:
        raise ContractError("--size goes with --equation (a --file problem has 'sizes')")
    if args.file:
        found += _from_file(args.file)
    found += [_generated(spec) for spec in args.generate]
    found += [_named(name) for name in args.instance]
    return found


def user_cases(args) -> List[Case]:
    """One case per user problem: contract and peers with each ``--optimize`` optimizer."""
    from contract.tools.bench.engines import contraction_engines, peers_refuse
    from contract.tools.explain import checked_plan
    optimizers = tuple(args.optimize or ("auto",))
    cases = []
    for inst in user_instances(args):
        checked_plan(inst.equation, inst.shapes, sizes=dict(inst.sizes))  # user errors here
        engines = contraction_engines(inst, optimizers, seed=args.seed)
        info = {"equation": inst.equation, "shapes": inst.shapes, "sizes": dict(inst.sizes)}
        why = peers_refuse(inst.equation)
        if why:
            info["note"] = f"numpy, opt_einsum and torch left out: {why}"
        base = next((b for b in (f"opt_einsum:{optimizers[0]}", f"contract:{optimizers[0]}")
                     if b in engines), None)
        cases.append(Case(inst.name, engines, baseline=base, info=info))
    return cases


def selected_suites(args) -> List[str]:
    """Suite names from ``--suite`` (repeatable, comma-separated, ``all``); an empty or
    unknown name is a ContractError listing the suites."""
    names = [n.strip() for item in args.suite for n in item.split(",")]
    if "all" in names:
        return suite_names()
    for name in names:
        load_suite(name)
    return list(dict.fromkeys(names))


def filter_engines(pairs, args, say) -> List[tuple]:
    """Keep the engines ``--engines`` names (label prefixes; one that matches nothing is a
    ContractError listing the engines) and apply ``--baseline``; cases left without
    engines are dropped with a message."""
    if args.engines is not None:
        prefixes = tuple(p.strip() for p in args.engines.split(",") if p.strip())
        labels = list(dict.fromkeys(label for _, case in pairs for label in case.engines))
        unknown = [p for p in prefixes if not any(label.startswith(p) for label in labels)]
        if unknown or not prefixes:
            raise ContractError(f"--engines {', '.join(unknown) or repr(args.engines)} "
                                f"matches no engine; the engines here are {', '.join(labels)}")
        for _, case in pairs:
            case.engines = {k: v for k, v in case.engines.items() if k.startswith(prefixes)}
        left = [(s, c) for s, c in pairs if c.engines]
        if len(left) < len(pairs):
            say(f"{len(pairs) - len(left)} case(s) have none of the engines {args.engines!r}: "
                f"left out")
        pairs = left
    if args.baseline:
        for _, case in pairs:
            if args.baseline not in case.engines:
                raise ContractError(f"--baseline {args.baseline!r} is not an engine of case "
                                    f"{case.name!r}; its engines are {', '.join(case.engines)}")
            case.baseline = args.baseline
    return pairs


def gather(args, say) -> List[tuple]:
    """(suite name, case) pairs for everything asked for; skipped suites are reported."""
    pairs = [("equation", c) for c in user_cases(args)]
    suites = selected_suites(args)
    if not suites and not pairs:
        say(f"no --suite given: running suite {DEFAULT_SUITE} "
            f"({load_suite(DEFAULT_SUITE).DESCRIPTION}); `contract bench --list` shows all")
        suites = [DEFAULT_SUITE]
    for name in suites:
        module = load_suite(name)
        say(f"preparing suite {name}: {module.DESCRIPTION}")
        try:
            pairs += [(name, c) for c in module.cases(args)]
        except SuiteUnavailable as why:
            say(f"suite {name} skipped: {why}")
    return filter_engines(pairs, args, say)


def check_outputs(args) -> None:
    """ContractError (one line, before any work) for a --json or --plot path that
    cannot be written."""
    if getattr(args, "json", None):
        check_output(args.json, "--json")
    if getattr(args, "plot", None):
        check_plot(args.plot, "--plot")


def settings_of(args) -> dict:
    """The parsed command line as the JSON document records it."""
    return {k: v for k, v in vars(args).items() if k not in ("handler",)}


def run_once(args, say, use_rich: bool):
    """Gather and measure in this process: (rows, targets, case entries, the thread
    pools as they were during the run)."""
    from contract.tools.bench.progress import progress_runner
    from contract.tools.bench.report import case_entry, thread_pools
    from contract.tools.bench.runner import pinned_threads, steady_allocator
    if not getattr(args, "malloc_as_is", False):
        steady_allocator()
    pairs = gather(args, say)
    with pinned_threads(getattr(args, "threads", None)):
        pools = thread_pools()
        rows, targets = progress_runner(pairs, args, use_rich)
    return rows, targets, [case_entry(s, c) for s, c in pairs], pools


def run_bench(args) -> int:
    """Run ``contract bench`` for parsed ``args``; returns the exit status."""
    from contract.tools.bench.report import document, markdown_table, print_report, write_json
    if args.list:
        for name in suite_names():
            print(f"{name:12} {load_suite(name).DESCRIPTION}")
        return 0
    check_outputs(args)
    use_rich = not args.plain and sys.stdout.isatty() and _has_rich()
    say = (lambda text: print(text, file=sys.stderr))
    runs = getattr(args, "repeat_runs", None) or 1
    docs, pools = None, None
    if runs > 1:
        from contract.tools.bench.repeat import run_repeated
        rows, targets, cases, docs = run_repeated(args, runs, say)
        pools = docs[0]["machine"].get("threadpools")
    else:
        rows, targets, cases, pools = run_once(args, say, use_rich)
    if args.json:
        write_json(args.json, document(rows, targets, settings_of(args), cases, docs, pools))
        say(f"results written to {args.json}")
    print_report(rows, targets, use_rich, cases=cases, runs=runs)
    if args.markdown:
        print(markdown_table(rows))
    if args.plot:
        _plot(args, rows)
        say(f"plot written to {args.plot}")
    return 0


def _plot(args, rows) -> None:
    from contract.tools.bench.plot import plot_rows
    try:
        plot_rows(rows, args.plot, title="contract bench " + ", ".join(
            dict.fromkeys(r.suite for r in rows)))
    except Exception as err:     # the run is over: say where its results are, in one line
        kept = f"the results are in {args.json}" if args.json else "the table above has them"
        raise ContractError(f"--plot {args.plot!r} failed ({type(err).__name__}: {err}); "
                            f"{kept}") from None


def _has_rich() -> bool:
    from contract.tools.bench.engines import installed
    return installed("rich")


def child_main() -> int:
    """A fresh process of ``--repeat-runs``: the settings arrive as JSON on stdin."""
    settings = json.load(sys.stdin)
    settings["shapes"] = [tuple(s) for s in settings.get("shapes") or ()] or None
    settings["size"] = [tuple(p) for p in settings.get("size") or ()]
    try:
        return run_bench(argparse.Namespace(**settings))
    except ContractError as err:
        print(f"contract bench: error: {str(err).strip().splitlines()[0]}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(child_main())
