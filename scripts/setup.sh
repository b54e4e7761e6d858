#!/usr/bin/env bash
# Everything the tests need beyond npm packages, installed idempotently:
# Debian packages (patchelf for the test Pythons, chromium for HTML checks, tmux for the
# end-to-end test of the live view), Google's pprof CLI (reads our --pprof files back) and the
# test Pythons themselves (scripts/install-test-pythons.sh).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cache="${TACHYON_TOP_CACHE:-$root/.cache}"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else return 1; fi; }

missing=()
command -v patchelf >/dev/null 2>&1 || missing+=(patchelf)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v tmux >/dev/null 2>&1 || missing+=(tmux)
if [ ${#missing[@]} -gt 0 ]; then
  echo "[setup] installing ${missing[*]}" >&2
  as_root apt-get update -qq >/dev/null 2>&1 || true
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1 \
    || echo "[setup] could not install ${missing[*]}; tests that need them will be skipped" >&2
fi

# pprof, built offline from the Go sources Debian packages (GOPATH mode: no module download).
pprof_sources=/usr/share/gocode/src/github.com/google/pprof
if [ ! -x "$cache/bin/pprof" ]; then
  if ! command -v go >/dev/null 2>&1 || [ ! -d "$pprof_sources" ]; then
    echo "[setup] installing golang-go golang-github-google-pprof-dev" >&2
    as_root apt-get update -qq >/dev/null 2>&1 || true
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq golang-go golang-github-google-pprof-dev >/dev/null 2>&1 || true
  fi
  if command -v go >/dev/null 2>&1 && [ -d "$pprof_sources" ]; then
    mkdir -p "$cache/bin"
    GO111MODULE=off GOPATH=/usr/share/gocode GOCACHE="$cache/go-build" GOFLAGS= GOPROXY=off \
      go build -o "$cache/bin/pprof" github.com/google/pprof \
      || echo "[setup] could not build pprof; the tests that read --pprof files with it will be skipped" >&2
  else
    echo "[setup] Go or Debian's pprof sources are unavailable; the tests that read --pprof files with pprof will be skipped" >&2
  fi
fi

bash "$root/scripts/install-test-pythons.sh"
