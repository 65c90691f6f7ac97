"""spasmdx serve: run the service under gunicorn."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
from typing import Any

from gunicorn.app.base import BaseApplication

EXIT_USAGE = 2  # a setting that cannot be served as asked, like a bad argument


class Server(BaseApplication):
    """Gunicorn with its settings from arguments, serving create_app()."""

    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from spasmdx import native
        from spasmdx.service import create_app

        app = create_app()  # sets up the JSON log lines this one joins
        # which form runs: a release wheel is compiled, a development install plain Python
        logging.getLogger("spasmdx.serve").info("engine: %s", native.mode())
        return app


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("serve", help="serve the API with gunicorn")
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "2")))
    parser.add_argument("--timeout", type=int, default=30, help="seconds before a stuck worker is replaced")
    parser.set_defaults(run=run)


def _worker_gone(server: Any, worker: Any) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)  # its live gauges leave the scrape


def run(args: argparse.Namespace) -> int:
    # Workers count metrics into files one scrape adds up; set before the app (and
    # prometheus-client) is imported, which preload_app does in this process.
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="spasmdx-metrics-")
    from spasmdx.service import security

    try:
        security.check_bind(args.host, os.environ.get("SPASMDX_AUTH"))
    except security.ConfigError as error:
        print(f"spasmdx serve: {error}", file=sys.stderr)
        return EXIT_USAGE
    options = {
        "bind": f"{args.host}:{args.port}",
        "workers": args.workers,
        "timeout": args.timeout,
        "graceful_timeout": 30,
        "preload_app": True,  # load and check the knowledge base once, before forking
        "accesslog": None,
        "errorlog": "-",
        "child_exit": _worker_gone,
    }
    Server(options).run()
    return 0
