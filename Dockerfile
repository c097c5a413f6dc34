# casedesk API server. Build: docker build -t casedesk .
# Run with PostgreSQL: see docker-compose.yml and the README.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/opt/venv/bin:$PATH

WORKDIR /app

# Dependencies first, so that a code change does not reinstall them.
COPY pyproject.toml constraints.txt README.md ./
COPY app/__init__.py app/__init__.py
RUN python -m venv /opt/venv \
    && pip install -c constraints.txt . \
    && pip uninstall --yes casedesk

# An editable install keeps app/ next to alembic.ini and alembic/, where
# app/migrations.py looks for them.
COPY alembic.ini ./
COPY alembic ./alembic
COPY app ./app
RUN pip install --no-deps -c constraints.txt -e . \
    && useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin casedesk \
    && mkdir var && chown casedesk var

USER casedesk

# Listen on every interface inside the container; logs as JSON lines on stderr.
ENV CASEDESK_HOST=0.0.0.0 \
    CASEDESK_PORT=8000 \
    CASEDESK_LOG_FORMAT=json
EXPOSE 8000

HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('CASEDESK_PORT', '8000') + '/health/live', timeout=3)"]

# Upgrades the database to the latest migration, then serves. Replicas that
# start together on PostgreSQL take turns on the upgrade (an advisory lock).
CMD ["casedesk", "serve"]
