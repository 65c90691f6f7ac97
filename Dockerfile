# spasmdx: a slim image running gunicorn as a non-root user, with the compiled release build.
FROM python:3.11-slim AS build
# A C compiler for mypyc, which compiles the scoring path (SPASMDX_COMPILE=1, setup.py); the final image has none.
RUN apt-get update && apt-get install -y --no-install-recommends gcc libc6-dev && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY pyproject.toml setup.py build_backend.py README.md LICENSE ./
COPY spasmdx ./spasmdx
COPY cli ./cli
COPY service ./service
COPY schemas ./schemas
COPY rules ./rules
# The release wheel and wheels of its dependencies.
RUN SPASMDX_COMPILE=1 pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
# Every interface, and no SPASMDX_AUTH: `spasmdx serve` refuses to start until one is chosen at run time
# (-e SPASMDX_AUTH=api_key|jwt, or none behind an authenticating proxy; README, Docker).
# The same defaults as `spasmdx serve` (README, Operations): 2 workers of 8 threads, request heads read by
# the event loop and dropped when not whole in 10 s; no gunicorn control socket.
# (One ENV line: tests/test_security.py and tests/test_slow_clients.py read it.)
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 HOST=0.0.0.0 PORT=8000 WEB_CONCURRENCY=2 SPASMDX_THREADS=8 SPASMDX_HEADER_TIMEOUT_SECONDS=10
RUN useradd --create-home --uid 10001 spasmdx
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-index /wheels/*.whl && rm -rf /wheels
USER spasmdx
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
  CMD python -c "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ[\"PORT\"]}/healthz', timeout=2)"
ENTRYPOINT ["spasmdx", "serve"]
