"""spasmdx: the command line, a thin peer of the library."""

from __future__ import annotations

import argparse
import sys

from spasmdx.rules.errors import KnowledgeError

from . import batch, client, context, evaluate, kb, serve, synth

# Exit codes: 0 done; 2 usage (argparse); 3 the knowledge base is invalid; 4 a batch run failed;
# 5 the client got no answer or an HTTP error; 6 the client's case file is unreadable;
# 10 the client's answer raised a critical alert.
EXIT_OK = 0
EXIT_KNOWLEDGE = 3


class _ShowDefaults(argparse.HelpFormatter):
    """--help names each option's default, unless its help already says it or there is none to name."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        default = action.default
        if "default" in text or default in (None, False, argparse.SUPPRESS) or not action.option_strings:
            return action.help
        return f"{text} (default: %(default)s)"


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("formatter_class", _ShowDefaults)
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="spasmdx", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    serve.register(commands)
    kb.register(commands)
    evaluate.register(commands)
    batch.register(commands)
    synth.register(commands)
    client.register(commands)
    context.register(commands)
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
