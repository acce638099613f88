# Image for web, worker and beat (docker-compose.yml). Debian packages: Pango/HarfBuzz for WeasyPrint,
# a Chinese font for PDFs.
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_SETTINGS_MODULE=config.settings.production
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b \
      libharfbuzz-subset0 fontconfig fonts-noto-cjk \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN DJANGO_SECRET_KEY=build-only DJANGO_ALLOWED_HOSTS=x DATABASE_URL=sqlite:////tmp/x CELERY_BROKER_URL=memory:// \
    python manage.py collectstatic --noinput -v 0
RUN useradd --system --uid 1000 kaihu && mkdir -p /app/var && chown kaihu /app/var
USER kaihu
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "2", "--access-logfile", "-"]
