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
    PYTHONUNBUFFERED=1
USER interval
WORKDIR /home/interval
VOLUME ["/data"]
ENTRYPOINT ["interval-bot"]
CMD ["run"]
