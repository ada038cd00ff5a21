"""One ``contract bench`` invocation: gather cases, run them with progress, report.

>>> import argparse
>>> problems = user_instances(argparse.Namespace(equation="ij,jk->ik", shapes=[(2, 3), (3, 4)],
...                                              file=None, generate=["chain:n=3"], instance=[]))
>>> [p.equation for p in problems]
['ij,jk->ik', 'ab,bc,cd->ad']
"""
import json
import os
import pickle
import sys
from typing import List

from contract.tools.bench import Case, SuiteUnavailable, load_suite, suite_names
from contract.tools.bench.generators import GENERATORS, Instance
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
    except TypeError as err:
        raise ContractError(f"generator {kind!r}: {err}") from None


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
            found.append(Instance(item.get("name", f"{path}[{k}]"), item["equation"], shapes))
        except (KeyError, TypeError, ValueError):
            raise ContractError(f"{path!r} item {k} needs 'equation' (text) and 'shapes' "
                                f"(list of lists of ints)") from None
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
    """The problems named on the command line: --equation, --file, --generate, --instance."""
    found = []
    if args.equation is not None:
        if not args.shapes:
            raise ContractError("--equation needs --shapes, one per operand (e.g. 3x4 4x5)")
        found.append(Instance(args.equation, args.equation, tuple(args.shapes)))
    elif getattr(args, "shapes", None):
        raise ContractError("--shapes goes with --equation")
    if args.file:
        found += _from_file(args.file)
    found += [_generated(spec) for spec in args.generate]
    found += [_named(name) for name in args.instance]
    return found


def user_cases(args) -> List[Case]:
    """One case per user problem: contract and peers with each ``--optimize`` optimizer."""
    import contract as ct
    from contract.tools.bench.engines import contraction_engines
    optimizers = tuple(args.optimize or ("auto",))
    cases = []
    for inst in user_instances(args):
        ct.plan(inst.equation, *inst.shapes)  # user errors surface as ContractError here
        engines = contraction_engines(inst, optimizers, seed=args.seed)
        base = f"opt_einsum:{optimizers[0]}"
        cases.append(Case(inst.name, engines, baseline=base if base in engines else None,
                          info={"equation": inst.equation, "shapes": inst.shapes}))
    return cases


def selected_suites(args) -> List[str]:
    """Suite names from ``--suite`` (repeatable, comma-separated, ``all``)."""
    names = [n.strip() for item in args.suite for n in item.split(",") if n.strip()]
    if "all" in names:
        return suite_names()
    for name in names:
        load_suite(name)  # unknown names raise ContractError listing the choices
    return list(dict.fromkeys(names))


def _filter(case: Case, args) -> Case:
    if args.engines:
        prefixes = tuple(p.strip() for p in args.engines.split(",") if p.strip())
        case.engines = {k: v for k, v in case.engines.items() if k.startswith(prefixes)}
    if args.baseline:
        if args.baseline not in case.engines:
            raise ContractError(f"--baseline {args.baseline!r} is not an engine of case "
                                f"{case.name!r}; its engines are {', '.join(case.engines)}")
        case.baseline = args.baseline
    return case


def gather(args, say) -> List[tuple]:
    """(suite name, case) pairs for everything asked for; skipped suites are reported."""
    pairs = [("equation", c) for c in user_cases(args)]
    suites = selected_suites(args)
    if not suites and not pairs:
        suites = ["overhead"]
    for name in suites:
        module = load_suite(name)
        say(f"preparing suite {name}: {module.DESCRIPTION}")
        try:
            pairs += [(name, c) for c in module.cases(args)]
        except SuiteUnavailable as why:
            say(f"suite {name} skipped: {why}")
    return [(s, _filter(c, args)) for s, c in pairs]


def run_bench(args) -> int:
    """Run ``contract bench`` for parsed ``args``; returns the exit status."""
    from contract.tools.bench.progress import progress_runner
    from contract.tools.bench.report import markdown_table, print_report, write_json
    if args.list:
        for name in suite_names():
            print(f"{name:12} {load_suite(name).DESCRIPTION}")
        return 0
    use_rich = not args.plain and sys.stdout.isatty() and _has_rich()
    say = (lambda text: print(text, file=sys.stderr))
    if not getattr(args, "malloc_as_is", False):
        from contract.tools.bench.runner import steady_allocator
        steady_allocator()
    pairs = gather(args, say)
    rows, targets = progress_runner(pairs, args, use_rich)
    print_report(rows, targets, use_rich)
    if args.markdown:
        print(markdown_table(rows))
    settings = {k: v for k, v in vars(args).items() if k not in ("handler",)}
    if args.json:
        write_json(args.json, rows, targets, settings, pairs)
        say(f"results written to {args.json}")
    if args.plot:
        from contract.tools.bench.plot import plot_rows
        plot_rows(rows, args.plot, title="contract bench " + ", ".join(
            dict.fromkeys(r.suite for r in rows)))
        say(f"plot written to {args.plot}")
    return 0


def _has_rich() -> bool:
    from contract.tools.bench.engines import installed
    return installed("rich")
