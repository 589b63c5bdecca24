# syntax=docker/dockerfile:1
# Build stage: install the package into a virtual environment that the runtime stage copies.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY storage ./storage
COPY rules ./rules
COPY sandbox ./sandbox
RUN python -m venv /opt/venv && /opt/venv/bin/pip install --no-cache-dir .

# Runtime stage: no compilers, no sources, a non-root user, data on a volume.
FROM python:3.11-slim
RUN useradd --create-home --uid 10001 interval && mkdir /data && chown interval:interval /data
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    DATA_DIR=/data \
    PYTHONUNBUFFERED=1 \
    METRICS_PORT=9100 \
    METRICS_LISTEN=0.0.0.0
USER interval
WORKDIR /home/interval
VOLUME ["/data"]
EXPOSE 8443 9100
# The slim image has no curl; Python is there anyway. 503 (or no answer) marks it unhealthy.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ['METRICS_PORT'], timeout=4)"
ENTRYPOINT ["interval-bot"]
CMD ["run"]
