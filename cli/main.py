"""spasmdx: the command line, a thin peer of the library."""

from __future__ import annotations

import argparse
import sys

from spasmdx.rules.errors import KnowledgeError

from . import batch, client, evaluate, kb, serve, synth

# Exit codes: 0 done; 2 usage (argparse); 3 the knowledge base is invalid; 4 a batch run failed;
# 5 the client got no answer or an HTTP error; 6 the client's case file is unreadable;
# 10 the client's answer raised a critical alert.
EXIT_OK = 0
EXIT_KNOWLEDGE = 3


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="spasmdx", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve.register(commands)
    kb.register(commands)
    evaluate.register(commands)
    batch.register(commands)
    synth.register(commands)
    client.register(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args) or EXIT_OK
    except KnowledgeError as error:
        print(f"spasmdx: knowledge base error: {error}", file=sys.stderr)
        return EXIT_KNOWLEDGE


if __name__ == "__main__":
    sys.exit(main())
