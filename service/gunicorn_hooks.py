"""gunicorn's server hooks: log and count what happens to workers, without request data."""

from __future__ import annotations

import logging
import os
from typing import Any

log = logging.getLogger("spasmdx.serve")


def worker_abort(worker: Any) -> None:
    """Count and log a worker gunicorn aborts for missing its timeout (SIGABRT from the arbiter)."""
    from spasmdx.service.metrics import WORKER_TIMEOUTS

    WORKER_TIMEOUTS.inc()
    # The pid and the timeout only: gunicorn's own message for this names no request, and nor does this.
    log.error("worker %s timed out after %s s and is being replaced", worker.pid, worker.cfg.timeout)
    for handler in logging.getLogger().handlers:
        handler.flush()
    # Now, not by gunicorn's sys.exit: that joins the pool's threads at exit, and a stuck thread is why
    # the worker timed out, so it would linger until the arbiter's SIGKILL one timeout later.
    os._exit(1)


def worker_int(worker: Any) -> None:
    """Log a worker stopping on SIGINT or SIGQUIT."""
    log.warning("worker %s interrupted and stopping", worker.pid)


def child_exit(server: Any, worker: Any) -> None:
    """Take a worker that exited out of the live gauges a scrape adds up."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
