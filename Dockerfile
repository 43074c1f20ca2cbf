# Multi-stage image for web, workers and the sweep (roles chosen by the
# command's argument; the default is the same command `make run` uses).
FROM python:3.11-slim-bookworm AS build
WORKDIR /src
COPY pyproject.toml ./
COPY tvapp ./tvapp
COPY services ./services
COPY remote_nav ./remote_nav
COPY broadcast_feed ./broadcast_feed
COPY fax_bridge ./fax_bridge
COPY reference_backend ./reference_backend
RUN python -m venv /venv && /venv/bin/pip install --no-cache-dir .

FROM python:3.11-slim-bookworm
RUN apt-get update \
 && apt-get install -y --no-install-recommends fonts-nanum redis-server \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --create-home --uid 10001 tvgov
COPY --from=build /venv /venv
WORKDIR /app
COPY --chown=tvgov:tvgov . /app
ENV PATH=/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    TVGOV_ENV=production \
    HOST=0.0.0.0 \
    PORT=8000 \
    VAR_DIR=/app/var
RUN mkdir -p /app/var && chown tvgov:tvgov /app/var
USER tvgov
EXPOSE 8000
# The same entry point as `make run` (`python -m tvapp.launcher`); compose
# passes `web`, `worker`, `sweeper` or `migrate` to run one part.
ENTRYPOINT ["python", "-m", "tvapp.launcher"]
CMD ["all"]
