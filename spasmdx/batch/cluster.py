"""Dask: a client for a scheduler address, or a local cluster for `--dask local`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from distributed import Client, LocalCluster


@contextmanager
def client_for(address: str, workers: int) -> Iterator[Client]:
    """Yield a connected client; a local cluster lives only as long as the run."""
    if address != "local":
        with Client(address) as client:
            yield client
        return
    with (
        LocalCluster(
            n_workers=max(workers, 1), threads_per_worker=1, processes=True, dashboard_address=None, host="127.0.0.1"
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client
