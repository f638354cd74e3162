#!/usr/bin/env bash
# Build the rtconform images: rtconform-reference (the reference servers) and rtconform-runner (the suite).
#
#   docker/build.sh [--base IMAGE]
#
# Wheels are built on the host and copied into the images (pip inside a build would need the network and
# the host's CA bundle). The host Python must match the image's (3.11 for bookworm and python:3.11-slim):
# the rtconform wheel carries a compiled speedup for that version.
# BASE: --base, else $RTCONFORM_BASE_IMAGE, else local/python:3.11-bookworm when it exists (built by
# docker/build-base.sh), else the official python:3.11-slim.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(dirname "$HERE")
BASE=${RTCONFORM_BASE_IMAGE:-}
if [ "${1:-}" = "--base" ]; then BASE=$2; fi
if [ -z "$BASE" ]; then
  BASE=python:3.11-slim
  docker image inspect local/python:3.11-bookworm >/dev/null 2>&1 && BASE=local/python:3.11-bookworm
fi
PY=${PYTHON:-python3}

CTX=$(mktemp -d)
trap 'rm -rf "$CTX"' EXIT
mkdir -p "$CTX/wheels"
# rtconform's wheel and the wheels of its runtime dependencies.
"$PY" -m pip wheel --quiet --disable-pip-version-check -w "$CTX/wheels" "$REPO"
cp "$HERE/healthcheck.py" "$CTX/"

build() {  # build NAME DOCKERFILE
  # The legacy builder (no BuildKit here): it prints a deprecation notice, which is not an error.
  local out
  if ! out=$(DOCKER_BUILDKIT=0 docker build --quiet --build-arg "BASE=$BASE" -t "$1" -f "$2" "$CTX" 2>&1); then
    echo "$out" >&2
    echo "build.sh: building $1 from $BASE failed" >&2
    exit 1
  fi
  echo "image $1: built from $BASE"
}
build rtconform-reference "$HERE/reference.Dockerfile"
build rtconform-runner "$HERE/runner.Dockerfile"
