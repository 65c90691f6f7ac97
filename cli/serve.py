"""spasmdx serve: run the service under gunicorn."""

from __future__ import annotations

import argparse
import errno
import logging
import os
import socket
import sys
import tempfile
from typing import Any

from gunicorn.app.base import BaseApplication

EXIT_USAGE = 2  # a setting that cannot be served as asked, like a bad argument


class Server(BaseApplication):
    """Gunicorn with its settings from arguments, serving an app built before it starts."""

    def __init__(self, options: dict[str, Any], app: Any) -> None:
        self.options = options
        self.app = app
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        return self.app


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("serve", help="serve the API with gunicorn")
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument(
        "--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "2")), help="processes (WEB_CONCURRENCY)"
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=int(os.environ.get("SPASMDX_THREADS", "8")),
        help="requests each worker answers at once (SPASMDX_THREADS)",
    )
    parser.add_argument("--timeout", type=int, default=30, help="seconds before a stuck worker is replaced")
    parser.set_defaults(run=run)


def _check_port_free(host: str, port: int) -> None:
    """Say in one line that the port is taken, and how to choose another, before gunicorn retries it."""
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gunicorn binds
        try:
            probe.bind(address)
        except OSError as error:
            if error.errno != errno.EADDRINUSE:
                raise
            raise ValueError(
                f"{host}:{port} is already in use: stop what holds it, or choose another port "
                f"(PORT={port + 1} make run, or spasmdx serve --port {port + 1})"
            ) from None


def run(args: argparse.Namespace) -> int:
    # Workers count metrics into files one scrape adds up; set before the app (and
    # prometheus-client) is imported, which preload_app does in this process.
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="spasmdx-metrics-")
    from spasmdx import native
    from spasmdx.service import create_app, gunicorn_hooks, gunicorn_worker, security

    try:
        security.check_bind(args.host, os.environ.get("SPASMDX_AUTH"))
        gunicorn_worker.header_timeout()  # a bad setting stops start-up here, not in every worker
        gunicorn_worker.body_timeout()
        if args.workers < 1 or args.threads < 1:
            raise ValueError("--workers and --threads must be at least 1")
        _check_port_free(args.host, args.port)
        # Built here, before gunicorn starts (the workers fork from this process, knowledge base and
        # all): a setting that cannot work is one line naming it, not a traceback from the arbiter.
        app = create_app()
    except (security.ConfigError, ValueError, OSError) as error:  # OSError: a host that does not resolve
        print(f"spasmdx serve: {error}", file=sys.stderr)
        return EXIT_USAGE
    # which form runs: a release wheel is compiled, a development install plain Python
    logging.getLogger("spasmdx.serve").info("engine: %s", native.mode())
    options = {
        "bind": f"{args.host}:{args.port}",
        "workers": args.workers,
        # Threads, with request heads read by the event loop (service/gunicorn_worker.py): slow
        # clients hold no thread, and a slow request holds one thread, not a whole worker.
        "worker_class": "spasmdx.service.gunicorn_worker.HeadDeadlineWorker",
        "threads": args.threads,
        "timeout": args.timeout,
        "graceful_timeout": 30,
        "preload_app": True,  # load and check the knowledge base once, before forking
        # Off: the app logs each request as one JSON line, by route; gunicorn's line would carry the query string.
        "accesslog": None,
        "errorlog": "-",
        # gunicorn 25+ opens $HOME/.gunicorn/gunicorn.ctl, one path for every instance on the host: none here.
        "control_socket_disable": True,
        "worker_abort": gunicorn_hooks.worker_abort,
        "worker_int": gunicorn_hooks.worker_int,
        "child_exit": gunicorn_hooks.child_exit,
    }
    Server(options, app).run()
    return 0
