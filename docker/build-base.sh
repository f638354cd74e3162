#!/usr/bin/env bash
# Build a Python base image from Debian packages, without any container registry.
#
#   docker/build-base.sh [IMAGE]        (default IMAGE: local/python:3.11-bookworm)
#
# mmdebstrap writes a Debian bookworm root file system (python3 3.11, pip) as a tar stream straight into
# `docker import`. Needs root, mmdebstrap and a running engine. Does nothing when IMAGE already exists
# (set REBUILD=1 to build it again). Takes 26-45 s, mostly downloading packages.
set -euo pipefail
IMAGE=${1:-${RTCONFORM_BASE_IMAGE:-local/python:3.11-bookworm}}
SUITE=${SUITE:-bookworm}

if [ "${REBUILD:-0}" != 1 ] && docker image inspect "$IMAGE" >/dev/null 2>&1; then
  echo "base image $IMAGE: present"
  exit 0
fi
command -v mmdebstrap >/dev/null || { echo "build-base.sh: mmdebstrap is missing (apt-get install mmdebstrap)" >&2; exit 1; }

# Debian's Python is "externally managed" (PEP 668): images install wheels into the system site.
# The hook's "$1" (the new root) is expanded by mmdebstrap, not here.
# shellcheck disable=SC2016
mmdebstrap --quiet --variant=apt \
    --include=python3,python3-pip,python-is-python3,ca-certificates \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin' \
    "$SUITE" - \
  | docker import --change 'ENV LANG=C.UTF-8' --change 'ENV PIP_BREAK_SYSTEM_PACKAGES=1' \
                  --change 'CMD ["python3"]' - "$IMAGE" >/dev/null
echo "base image $IMAGE: built from Debian $SUITE"
