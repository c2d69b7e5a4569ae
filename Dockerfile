# One image for web (gunicorn), worker and beat (Celery); docker-compose.yml picks the command.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app \
    DJANGO_SETTINGS_MODULE=config.settings.production

WORKDIR /app

# Dependencies first (cached while only the code changes): pyproject.toml and the package dirs.
COPY pyproject.toml README.md ./
COPY config ./config
COPY accounts ./accounts
COPY production ./production
COPY customers ./customers
COPY board ./board
COPY summaries ./summaries
COPY integrations ./integrations
RUN pip install .

COPY manage.py gunicorn.conf.py ./
COPY templates ./templates
COPY static ./static

# Static files are collected at build time and served by whitenoise (hashed, compressed), with the
# production settings so the manifest they read is written. Placeholders stand in for the secrets
# (nothing connects to anything at build time); they live only in this RUN, not in the image.
RUN DJANGO_SETTINGS_MODULE=config.settings.production DJANGO_SECRET_KEY=collectstatic-only \
    DJANGO_ALLOWED_HOSTS=localhost DATABASE_URL=sqlite:////tmp/build.sqlite3 REDIS_URL=redis://localhost:6379/0 \
    SEAMLINE_ENCRYPTION_KEYS=collectstatic-only EMAIL_URL=smtp://localhost:25 \
    python manage.py collectstatic --noinput \
    && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin seamline \
    && mkdir -p /app/var \
    && chown -R seamline /app/var

USER seamline
EXPOSE 8000

CMD ["gunicorn", "config.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-", "--forwarded-allow-ips", "*"]
