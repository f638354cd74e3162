# rtconform runner: the conformance suite in an image; reports go to a mounted folder.
#   docker run --rm --network host -v "$PWD/reports:/work/reports" --user "$(id -u):$(id -g)" \
#       rtconform-runner rtconform run --target ws://127.0.0.1:9001/
# The working directory is /work, so the default --report-dir (reports/) is the mounted /work/reports.
# Build with docker/build.sh (wheels are built on the host; the context is a staging folder).
ARG BASE=python:3.11-slim
FROM ${BASE}
COPY wheels/ /wheels/
RUN pip install --no-cache-dir --no-index --find-links /wheels rtconform \
 && rm -rf /wheels \
 && mkdir -p -m 1777 /work/reports
USER 10001:10001
ENV HOME=/tmp PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /work
VOLUME /work/reports
# A run is a batch job that ends by itself: there is no service to probe.
HEALTHCHECK NONE
# Ctrl-C (SIGINT) is what rtconform handles: it stops its targets and exits 130.
STOPSIGNAL SIGINT
CMD ["rtconform", "--help"]
