#!/usr/bin/env bash
# Docker for the tests: a real engine from Debian's packages, our base image and images.
#
#   bash .ci/docker.sh start   install docker.io + mmdebstrap, start dockerd (pid file), build the base
#                              image from Debian packages and the rtconform images
#   bash .ci/docker.sh stop    stop the dockerd that `start` started (by its pid), nothing else
#
# State (pid file, daemon log): $RTCONFORM_DOCKER_STATE, default /tmp/rtconform-docker. When an engine
# already answers, `start` uses it and writes no pid file, so `stop` leaves it alone.
# dockerd runs with --iptables=false: containers get no NAT way out; ports published on 127.0.0.1 still
# work (docker-proxy), and so does --network host.
set -euo pipefail
cd "$(dirname "$0")/.."
STATE=${RTCONFORM_DOCKER_STATE:-/tmp/rtconform-docker}
PIDFILE=$STATE/dockerd.pid
T0=$(date +%s%N)
step() { local ms=$(( ($(date +%s%N) - T0) / 1000000 )); printf '[docker.sh %4d.%01ds] %s\n' $((ms / 1000)) $((ms % 1000 / 100)) "$*"; }

engine_up() { timeout 5 docker info >/dev/null 2>&1; }

start() {
  mkdir -p "$STATE"
  if ! command -v dockerd >/dev/null || ! command -v mmdebstrap >/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends docker.io mmdebstrap >/dev/null
    step "installed docker.io and mmdebstrap"
  fi
  command -v docker >/dev/null || { echo "docker.sh: no docker CLI after the install" >&2; exit 1; }
  if engine_up; then
    step "an engine already answers: using it (not stopped by 'stop')"
  else
    rm -f /var/run/docker.pid   # a stale pid file from a killed daemon blocks the start
    dockerd --iptables=false --ip6tables=false >"$STATE/dockerd.log" 2>&1 &
    echo $! >"$PIDFILE"
    for _ in $(seq 1 120); do engine_up && break; sleep 0.5; done
    engine_up || { echo "docker.sh: dockerd did not answer in 60 s; log:" >&2; tail -20 "$STATE/dockerd.log" >&2; exit 1; }
    step "dockerd started (pid $(cat "$PIDFILE"))"
  fi
  bash docker/build-base.sh
  step "base image ready"
  bash docker/build.sh
  step "rtconform-reference and rtconform-runner built"
}

stop() {
  [ -f "$PIDFILE" ] || { echo "docker.sh: no dockerd started by start (no $PIDFILE)"; return 0; }
  local pid
  pid=$(cat "$PIDFILE")
  # Leftover test containers first, so the daemon does not wait on them.
  docker ps -aq --filter label=rtconform.target | xargs -r docker rm -f >/dev/null 2>&1 || true
  if kill "$pid" 2>/dev/null; then
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    if kill -0 "$pid" 2>/dev/null; then kill -9 "$pid" 2>/dev/null || true; fi
  fi
  rm -f "$PIDFILE"
  step "dockerd (pid $pid) stopped"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: bash .ci/docker.sh start|stop" >&2; exit 2 ;;
esac
