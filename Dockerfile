# spasmdx: a slim image running gunicorn as a non-root user.
FROM python:3.11-slim AS build
# A C compiler for mypyc, which compiles the scoring path (setup.py); the final image needs none.
RUN apt-get update && apt-get install -y --no-install-recommends gcc libc6-dev && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY pyproject.toml setup.py README.md openapi.yaml ./
COPY spasmdx ./spasmdx
COPY cli ./cli
COPY service ./service
COPY schemas ./schemas
COPY rules ./rules
# The service ships the contract it serves: replace the source tree's symlink with the file.
RUN rm -f service/openapi.yaml && cp openapi.yaml service/openapi.yaml \
 && pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 HOST=0.0.0.0 PORT=8000 WEB_CONCURRENCY=2
RUN useradd --create-home --uid 10001 spasmdx
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
USER spasmdx
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
  CMD python -c "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ[\"PORT\"]}/healthz', timeout=2)"
ENTRYPOINT ["spasmdx", "serve"]
