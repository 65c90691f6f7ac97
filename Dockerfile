# spasmdx: a slim image running gunicorn as a non-root user, with the compiled release build.
# The base image is pinned by digest (a tag can be moved under us); refresh it deliberately with
# `docker buildx imagetools inspect python:3.11-slim` and review the change like any dependency bump.
ARG BASE=python:3.11-slim@sha256:9c900dea9e8fb7e16277c179b555cc72d29a352dbc33cff48ad5a0412fd5bfc7
FROM ${BASE} AS build
# A C compiler for mypyc, which compiles the scoring path (SPASMDX_COMPILE=1, setup.py); the final image has none.
RUN apt-get update && apt-get install -y --no-install-recommends gcc libc6-dev && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY pyproject.toml setup.py build_backend.py README.md LICENSE ./
COPY spasmdx ./spasmdx
COPY cli ./cli
COPY service ./service
COPY schemas ./schemas
COPY rules ./rules
# The release wheel alone: its dependencies come from the lock file, by hash, in the final stage.
RUN SPASMDX_COMPILE=1 pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

FROM ${BASE}
# Every interface, and no SPASMDX_AUTH: `spasmdx serve` refuses to start until one is chosen at run time
# (-e SPASMDX_AUTH=api_key|jwt, or none behind an authenticating proxy; README, Docker).
# The same defaults as `spasmdx serve` (README, Operations): 2 workers of 8 threads, request heads read by
# the event loop and dropped when not whole in 10 s; no gunicorn control socket.
# (One ENV line: tests/test_security.py and tests/test_slow_clients.py read it.)
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 HOST=0.0.0.0 PORT=8000 WEB_CONCURRENCY=2 SPASMDX_THREADS=8 SPASMDX_HEADER_TIMEOUT_SECONDS=10
RUN useradd --create-home --uid 10001 spasmdx
COPY requirements/runtime.lock /tmp/runtime.lock
COPY --from=build /wheels /wheels
# Exact versions with their hashes (make lock), then the package itself without resolving anything more.
RUN pip install --no-cache-dir --require-hashes -r /tmp/runtime.lock \
 && pip install --no-cache-dir --no-deps --no-index /wheels/*.whl && rm -rf /wheels /tmp/runtime.lock
USER spasmdx
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
  CMD python -c "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ[\"PORT\"]}/healthz', timeout=2)"
ENTRYPOINT ["spasmdx", "serve"]
