"""``actloop compare A.json B.json``: per-task differences with a significance test."""

from __future__ import annotations

import argparse
import json

NAME = "compare"
HELP = "Compare two eval results per task (Fisher exact test, Holm-corrected)."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("a", help="baseline result JSON (from actloop eval)")
    parser.add_argument("b", help="candidate result JSON")
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON")


def run(args: argparse.Namespace) -> int:
    from actloop.eval import compare_results, format_comparison, load_result
    from actloop.eval.compare import comparison_json

    a, b = load_result(args.a), load_result(args.b)
    rows = compare_results(a, b)
    if args.json:
        print(json.dumps(comparison_json(rows), indent=2))
    else:
        print(format_comparison(rows, f"{a.policy} ({args.a})", f"{b.policy} ({args.b})"))
    return 0
