"""spasmdx synth: write synthetic cases (JSON Lines) drawn from the knowledge base, repeatably."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import orjson

from spasmdx.batch.synth import synthesize
from spasmdx.rules import loader


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("synth", help="write synthetic cases for benchmarks and load tests")
    parser.add_argument("--n", type=int, default=1000, help="how many cases")
    parser.add_argument("--seed", type=int, default=1, help="the same seed gives the same cases")
    parser.add_argument("-o", "--output", type=Path, help="file to write (default: standard output)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    kb = loader.load()
    handle = open(args.output, "wb") if args.output else sys.stdout.buffer
    try:
        for case in synthesize(kb, args.n, args.seed):
            handle.write(orjson.dumps(case) + b"\n")
    finally:
        if args.output:
            handle.close()
    return 0
