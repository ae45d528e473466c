# syntax=docker/dockerfile:1
# Production image: gunicorn with uvicorn workers serving the ASGI app (HTTP and WebSocket,
# workshop.asgi) on port 8000, as a non-root user. The same image runs the Celery worker and
# beat (`celery -A workshop worker`, `celery -A workshop beat`): docker-compose.yml.
# Configure it with the environment variables in .env.example (DJANGO_SECRET_KEY,
# DJANGO_ALLOWED_HOSTS, JWT_SIGNING_KEY, DATABASE_URL, REDIS_URL, STORAGE_BACKEND=s3...).
# Migrations are not run at start-up: run `python manage.py migrate` once per release
# (e.g. `docker run --rm --env-file prod.env <image> python manage.py migrate`).

ARG PYTHON_IMAGE=python:3.11-slim

# --- builder: the dependencies in a virtualenv ---------------------------------------------------
FROM ${PYTHON_IMAGE} AS builder
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/venv
COPY requirements/base.txt requirements/prod.txt /tmp/requirements/
RUN /opt/venv/bin/pip install -r /tmp/requirements/prod.txt

# --- runtime --------------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    DJANGO_DEBUG=false \
    STATIC_ROOT=/app/staticfiles \
    MEDIA_ROOT=/app/media \
    WEB_CONCURRENCY=3 \
    PROMETHEUS_MULTIPROC_DIR=/dev/shm/weldshop-prometheus

RUN groupadd --system --gid 10001 weldshop \
    && useradd --system --uid 10001 --gid weldshop --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin weldshop

WORKDIR /app
COPY --from=builder /opt/venv /opt/venv
# The code stays owned by root (read-only for the app); only media/ is writable.
COPY . .

# Static files are collected at build time with throwaway values: production mode refuses to
# start without them, and collectstatic needs no database or secret.
RUN DJANGO_SECRET_KEY=build-only-not-a-secret-build-only-not-a-secret-build-only \
    DJANGO_ALLOWED_HOSTS=localhost \
    JWT_SIGNING_KEY=build-only-not-a-secret-build-only-not-a-secret-build-only \
    python manage.py collectstatic --noinput --verbosity 0 \
    && mkdir -p /app/media \
    && chown weldshop:weldshop /app/media

USER weldshop
EXPOSE 8000

# /health never touches the database. The Host header is the first DJANGO_ALLOWED_HOSTS entry,
# so the check passes Django's host validation whatever the deployment allows.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, sys, urllib.request as u; h = os.environ.get('DJANGO_ALLOWED_HOSTS', '').split(',')[0].strip().lstrip('.'); h = 'localhost' if h in ('', '*') else h; r = u.urlopen(u.Request('http://127.0.0.1:8000/health', headers={'Host': h}), timeout=4); sys.exit(0 if r.status == 200 else 1)"]

# /metrics adds up every worker's values from files in PROMETHEUS_MULTIPROC_DIR (memory-backed
# /dev/shm, writable by any user; gunicorn.conf.py creates and empties the folder at start).
# gunicorn reads the worker count from WEB_CONCURRENCY; gunicorn.conf.py renders its own log
# lines as JSON like the app's (LOG_FORMAT, LOG_LEVEL); no access log, since the app writes one
# JSON line per request itself; --no-control-socket because gunicorn 27
# would otherwise create ~/.gunicorn/ (not writable here).
CMD ["gunicorn", "workshop.asgi:application", \
     "--worker-class", "uvicorn_worker.UvicornWorker", \
     "--config", "gunicorn.conf.py", \
     "--bind", "0.0.0.0:8000", \
     "--timeout", "30", \
     "--graceful-timeout", "30", \
     "--worker-tmp-dir", "/dev/shm", \
     "--no-control-socket"]
