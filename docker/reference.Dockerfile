# rtconform reference servers: one image, the protocol chosen by the command.
#   docker run --rm -p 127.0.0.1:9001:9001 rtconform-reference                  (ws on 9001)
#   docker run --rm -p 127.0.0.1:9002:9002 rtconform-reference ws --host 0.0.0.0 --port 9002
# Build with docker/build.sh (wheels are built on the host; the context is a staging folder).
ARG BASE=python:3.11-slim
FROM ${BASE}
COPY wheels/ /wheels/
RUN pip install --no-cache-dir --no-index --find-links /wheels rtconform \
 && rm -rf /wheels
COPY healthcheck.py /usr/local/lib/rtconform-healthcheck.py
# Any non-root uid works: the servers write nothing.
USER 10001:10001
ENV HOME=/tmp PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
EXPOSE 9001
# The servers shut down cleanly on SIGTERM at once (PID 1 without a handler would ignore it).
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=5s --timeout=2s --start-period=2s --retries=3 \
  CMD ["python", "/usr/local/lib/rtconform-healthcheck.py"]
ENTRYPOINT ["python", "-m", "reference.servers"]
CMD ["ws", "--host", "0.0.0.0", "--port", "9001"]
