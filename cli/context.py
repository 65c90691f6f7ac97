"""spasmdx context: read each annotated sentence of a TSV as a note reader would, one JSON line a row."""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path
from typing import TextIO

import orjson

from spasmdx import context_eval
from spasmdx.rules import loader

EXIT_INPUT = 4  # the file is unreadable, or a row's concept is not in its sentence


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "context",
        help="negation, temporality and experiencer of each row's concept in its sentence (TSV: concept, sentence)",
    )
    parser.add_argument("file", help="a TSV with a header and at least the columns concept and sentence; - for stdin")
    parser.add_argument("-o", "--output", type=Path, help="where the JSON lines go (default: standard output)")
    parser.add_argument(
        "--score",
        action="store_true",
        help="print precision, recall and F1 per label against the file's negation, temporality and "
        "experiencer columns (the JSON lines then go only to --output)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    context = loader.load().context
    try:
        handle = _open(args.file)
        rows = list(context_eval.read_rows(handle))
    except (OSError, UnicodeDecodeError, context_eval.CorpusError) as error:
        print(f"spasmdx context: {args.file}: {error}", file=sys.stderr)
        return EXIT_INPUT
    out: TextIO | None = sys.stdout if args.output is None and not args.score else None
    if args.output is not None:
        out = open(args.output, "w", encoding="utf-8")
    failed = 0
    pairs = []
    try:
        for row in rows:
            concept, sentence = row.fields["concept"], row.fields["sentence"]
            span = context_eval.find(concept, sentence)
            if span is None:
                failed += 1
                message = f"row {row.number}: concept {concept!r} is not in its sentence"
                print(f"spasmdx context: {message}", file=sys.stderr)
                line: dict[str, object] = {"row": row.number, "error": message}
            else:
                line = context_eval.classify(context, sentence, *span)
                pairs.append((row, line))
            if out is not None:
                out.write(orjson.dumps(line).decode() + "\n")
    finally:
        if out is not None and out is not sys.stdout:
            out.close()
    if args.score:
        print(f"{args.file}: {len(pairs)} rows read" + (f", {failed} not found" if failed else ""))
        print(context_eval.render(context_eval.score(pairs)))  # type: ignore[arg-type]
    return EXIT_INPUT if failed else 0


def _open(name: str) -> TextIO:
    if name == "-":
        return io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", newline="")
    return open(name, encoding="utf-8", newline="")
