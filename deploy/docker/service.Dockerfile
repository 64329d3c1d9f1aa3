# syntax=docker/dockerfile:1
#
# The one image shape of every OrderPulse service. Build context: the repository root.
#
#   docker build -f deploy/docker/service.Dockerfile \
#     --build-arg SERVICE=order-svc --build-arg PACKAGE=order_svc --build-arg PORT=8001 \
#     --build-arg LOOP=uvloop .
#
# services/<svc>/Dockerfile are this file with the four arguments defaulted (LOOP: the event loop
# uvicorn runs the service on, from orderpulse.event_loop.SERVICE_LOOPS); they are written by
# deploy/docker/render.py (its --check mode fails when they drift from this template).

ARG PYTHON_IMAGE=python:3.11-slim
ARG SERVICE
ARG PACKAGE
ARG PORT
ARG LOOP

FROM ${PYTHON_IMAGE} AS build
ARG SERVICE
RUN test -n "${SERVICE}" || { echo "build argument SERVICE is required" >&2; exit 1; }
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/orderpulse
ENV PATH=/opt/orderpulse/bin:${PATH}
# The shared library goes in first: the service package depends on it by name.
COPY shared/ /build/shared/
RUN pip install /build/shared
COPY services/${SERVICE}/ /build/service/
RUN pip install /build/service

FROM ${PYTHON_IMAGE} AS runtime
ARG SERVICE
ARG PACKAGE
ARG PORT
ARG LOOP
LABEL org.opencontainers.image.title="orderpulse-${SERVICE}" \
      org.opencontainers.image.description="OrderPulse ${SERVICE}"
RUN groupadd --system --gid 10001 orderpulse \
 && useradd --system --uid 10001 --gid orderpulse --home-dir /app --no-create-home \
      --shell /usr/sbin/nologin orderpulse
COPY --from=build /opt/orderpulse /opt/orderpulse
# The service folder (Alembic migrations beside the package) keeps its repository path, so
# `orderpulse migrate <svc>` finds services/<svc>/ from the working directory, as in a checkout.
COPY --from=build /build/service/ /app/services/${SERVICE}/
WORKDIR /app
ENV PATH=/opt/orderpulse/bin:${PATH} \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    APP_MODULE=${PACKAGE}.main:app \
    APP_PORT=${PORT} \
    APP_LOOP=${LOOP}
USER 10001:10001
EXPOSE ${PORT}
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ['APP_PORT'] + '/healthz', timeout=2)"]
# uvicorn <package>.main:app --host 0.0.0.0 --port <port> --loop <the service's loop>; exec so SIGTERM reaches uvicorn.
CMD ["sh", "-c", "exec uvicorn \"${APP_MODULE}\" --host 0.0.0.0 --port \"${APP_PORT}\" --loop \"${APP_LOOP}\""]
