"""spasmdx batch: score whole files of cases, in order, one output record per input case."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from spasmdx import native
from spasmdx.batch import inputs, output, runner

EXIT_RUN_FAILED = 4  # unreadable input or unwritable output; bad cases inside an input never fail a run


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("batch", help="score files of cases (JSON Lines, folders of .json, FHIR Bundles)")
    parser.add_argument("inputs", nargs="+", help="files or folders; - reads standard input")
    parser.add_argument("-o", "--output", type=Path, help="where results go (default: standard output)")
    parser.add_argument("--format", choices=("jsonl", "csv"), default="jsonl", help="output format")
    parser.add_argument(
        "--workers", type=int, default=os.cpu_count() or 1, help="processes (default: the cores, here %(default)s)"
    )
    parser.add_argument("--resume", action="store_true", help="continue a killed run into the same output")
    parser.add_argument(
        "--full",
        action="store_true",
        help="each JSON Lines record holds the API's whole answer (default: compact, each cause's references as ids "
        "and no summary; with --output the citations and summaries go once to OUTPUT.references.json)",
    )
    parser.add_argument("--limit", type=int, default=10, choices=range(1, 51), metavar="1-50", help="causes per case")
    parser.add_argument("--dask", metavar="SCHEDULER", help="run on a Dask cluster (an address, or 'local')")
    parser.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="progress bar on stderr (default: when stderr is a terminal)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.resume and args.output is None:
        print("spasmdx batch: --resume needs --output", file=sys.stderr)
        return EXIT_RUN_FAILED
    print(f"spasmdx batch: engine: {native.mode()}", file=sys.stderr)  # compiled (release) or pure Python
    options = runner.Options(
        sources=args.inputs,
        output=args.output,
        fmt=args.format,
        workers=args.workers,
        resume=args.resume,
        limit=args.limit,
        dask=args.dask,
        progress=args.progress,
        full=args.full,
        notice=lambda message: print(f"spasmdx batch: {message}", file=sys.stderr),
    )
    try:
        summary = runner.run(options)
    except runner.Interrupted as stop:
        where = (
            "; rerun with --resume to continue"
            if args.output is not None
            else " (to standard output; give --output to be able to resume)"
        )
        print(f"\nspasmdx batch: interrupted after {stop.done} cases{where}", file=sys.stderr)
        return 128 + stop.signal_number
    except (inputs.InputError, output.ResumeRefused, OSError) as error:
        print(f"spasmdx batch: {error}", file=sys.stderr)
        return EXIT_RUN_FAILED
    except ImportError as error:  # --dask without the cluster extra
        print(f"spasmdx batch: {error.name} is not installed: pip install 'spasmdx[cluster]'", file=sys.stderr)
        return EXIT_RUN_FAILED
    print(summary.text(), file=sys.stderr)
    return 0
