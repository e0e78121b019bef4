# Koordinator: slim image, non-root, long polling by default (set WEBHOOK_URL for webhooks).
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY handlers ./handlers
COPY storage ./storage
COPY locales ./locales
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
RUN useradd --system --create-home --home-dir /app koordinator
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
USER koordinator
WORKDIR /app
ENV DATA_DIR=/app/data LISTEN_HOST=0.0.0.0 LISTEN_PORT=8081 LOG_FORMAT=json
EXPOSE 8081
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8081/healthz').status == 200 else 1)"
# Migrations are an explicit step: `docker compose run --rm bot koordinator db upgrade`.
CMD ["koordinator", "run"]
