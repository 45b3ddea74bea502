"""Command line: ``python -m mine_lib estimate X Z [--method mine] [--seed 0] [--json]``
(also installed as ``mine-lib``), and ``python -m mine_lib methods``.

Every failure ends in one line on stderr and a non-zero exit: 2 for bad input or options
(the library's own errors and the argument checks), 1 for anything else (out of memory, a
torch runtime error, a bug), 130 when interrupted. ``--debug`` shows the traceback instead.

Layer: library (the command line). May import only other library
modules, never ``mine_lib.experiments``.
"""

from __future__ import annotations

import argparse
import json
import math
import sys

from .errors import InputError, MineError
from .estimators import DEFAULT_METHOD, NO_TRAINING, estimate_mi, methods
from .io import load_samples

# One line per method for `methods`; a method without a line is listed as undocumented.
METHOD_HELP = {
    "mine": "MINE: Donsker-Varadhan bound, gradient bias corrected with a moving average "
            "(the paper's estimator)",
    "crossfit": "the default: per fold, critics trained with JS on rank-Gaussian margins (one "
                "started from the Gaussian-copula log ratio), read out with DV on the fold they "
                "never saw; gives a lower confidence bound and warnings",
    "mine-f": "MINE-f: the f-divergence (NWJ) lower bound, unbiased minibatch gradients",
    "nwj": "NWJ lower bound (Nguyen, Wainwright & Jordan), the same bound as mine-f",
    "dv": "Donsker-Varadhan bound with plain minibatch gradients (biased)",
    "infonce": "InfoNCE (contrastive) bound; cannot exceed log(batch size)",
    "smile": "SMILE: Donsker-Varadhan with marginal scores clipped to [-5, 5]; lower variance",
    "js": "critic trained with the Jensen-Shannon (logistic) objective, MI read with the DV bound",
    "ksg": "KSG k-nearest-neighbour estimator (no training; for low dimensions)",
    "histogram": "plug-in MI of an equal-frequency histogram (no training; biased up, for 1 or 2 "
                 "dimensions)",
    "kde": "leave-one-out kernel density estimates (no training; for low dimensions)",
}

EXIT_INPUT, EXIT_OTHER, EXIT_INTERRUPTED = 2, 1, 130


class Parser(argparse.ArgumentParser):
    """argparse that reports a bad argument in one line (no usage block)."""

    def error(self, message: str):
        self.exit(EXIT_INPUT, f"error: {message} (see {self.prog} --help)\n")


def count(minimum: int, what: str, maximum: int | None = None):
    """An argparse type: an integer from minimum to maximum."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{what} must be an integer, got {text!r}") from None
        if value < minimum:
            least = "positive" if minimum > 0 else "zero or more"
            raise argparse.ArgumentTypeError(f"{what} must be {least}, got {value}")
        if maximum is not None and value > maximum:
            raise argparse.ArgumentTypeError(f"{what} must be at most {maximum}, got {value}")
        return value
    parse.__name__ = what  # argparse names the type in its messages
    return parse


def parser() -> argparse.ArgumentParser:
    ap = Parser(prog="python -m mine_lib", description="Mutual information estimation.")
    ap.add_argument("--debug", action="store_true", help="show the full traceback of an error")
    sub = ap.add_subparsers(dest="command", required=True, parser_class=Parser)
    est = sub.add_parser("estimate", help="estimate I(X; Z) from paired samples")
    est.add_argument("x", help="samples of X: .npy, .npz (FILE.npz:KEY for one of several arrays), "
                               ".csv (header row optional), or tab/space-separated .tsv/.txt/.dat; "
                               "one row per sample")
    est.add_argument("z", nargs="?", help="samples of Z, same number of rows as X "
                                          "(default: the same file as X, with --z-key)")
    est.add_argument("--x-key", help="the array of X in an .npz file")
    est.add_argument("--z-key", help="the array of Z in an .npz file")
    est.add_argument("--method", default=DEFAULT_METHOD,
                     help=f"one of {', '.join(methods())} (default {DEFAULT_METHOD}; "
                                                      "`methods` describes them)")
    est.add_argument("--seed", type=count(0, "seed", 2**32 - 1), default=0,
                     help="random seed, 0 to 2**32 - 1")
    est.add_argument("--batch-size", type=count(1, "batch size"), default=None)
    est.add_argument("--max-steps", type=count(1, "max steps"), default=None)
    est.add_argument("--growth-check", action="store_true",
                     help="the default method only: estimate on half the rows too, and warn "
                          "[likely-higher] when all rows read clearly higher (about 1.5x the time)")
    est.add_argument("--json", action="store_true", help="print one JSON object")
    est.add_argument("--progress", action="store_true", help="show a progress bar on stderr")
    est.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                     help="show the full traceback of an error")
    sub.add_parser("methods", help="list the methods, one line each")
    return ap


def note(kind: str, text: str) -> None:
    print(f"{kind}: {text}", file=sys.stderr)


def run_estimate(args) -> dict:
    if args.z is None:
        if args.z_key is None:
            raise InputError("give two files (X and Z), or one .npz file with --x-key and --z-key")
        args.z = args.x
    x, z = load_samples(args.x, args.x_key), load_samples(args.z, args.z_key)
    for line in (*x.notes, *z.notes):
        note("note", line)
    options = {}
    if args.method not in NO_TRAINING:
        for name in ("batch_size", "max_steps"):
            if getattr(args, name) is not None:
                options[name] = getattr(args, name)
        options["progress"] = args.progress
    elif args.batch_size is not None or args.max_steps is not None:
        raise InputError(f"--batch-size and --max-steps apply to neural methods, not {args.method}")
    if args.growth_check:
        if args.method != "crossfit":
            raise InputError(f"--growth-check applies to the default method (crossfit), not {args.method}")
        options["growth_check"] = True
    result = estimate_mi(x.array, z.array, method=args.method, seed=args.seed, **options)
    if not math.isfinite(result.mi):
        raise MineError(f"the {args.method} estimate came out as {result.mi}; "
                        "try another method (e.g. --method smile) or more samples")
    return result.summary()


def show(summary: dict, as_json: bool) -> None:
    if as_json:
        print(json.dumps(summary))
    else:
        line = (f"I(X;Z) = {summary['mi']:.4f} nats ({summary['bits']:.4f} bits), "
                f"method {summary['method']}")
        if summary["method"] in NO_TRAINING:
            line += f", {summary['n_test']} samples"
        else:
            line += f", {summary['n_test']} held-out samples, {summary['steps']} steps"
        print(f"{line}, {summary['seconds']:.1f} s")
        if summary.get("lower_bound") is not None:
            print(f"at least {summary['lower_bound']:.4f} nats with {summary['lower_level']:.1%} "
                  f"confidence ({summary['lower_accounts_for']})")
    for warning in summary.get("warnings", []):  # {"code", "message"}
        note("warning", f"{warning['message']} [{warning['code']}]")


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    try:
        if args.command == "methods":
            width = max(map(len, methods()))
            for name in methods():
                print(f"{name:<{width}}  {METHOD_HELP.get(name, '(undocumented)')}")
            return 0
        show(run_estimate(args), args.json)
        return 0
    except KeyboardInterrupt:
        if args.debug:
            raise
        note("error", "interrupted")
        return EXIT_INTERRUPTED
    except MineError as err:
        if args.debug:
            raise
        note("error", " ".join(str(err).split()))
        return EXIT_INPUT
    except MemoryError:
        if args.debug:
            raise
        note("error", "out of memory; try fewer samples or a smaller --batch-size "
                      "(--debug shows the traceback)")
        return EXIT_OTHER
    except Exception as err:  # not the library's own: still one line
        if args.debug:
            raise
        reason = " ".join(str(err).split())[:300]
        note("error", f"{type(err).__name__}: {reason} (this is not a problem with your input "
                      "that mine_lib recognises; --debug shows the traceback)")
        return EXIT_OTHER


if __name__ == "__main__":
    sys.exit(main())
