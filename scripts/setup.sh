#!/usr/bin/env bash
# Everything the tests need beyond npm packages, installed idempotently:
# Debian packages (patchelf for the test Pythons, chromium for HTML checks, tmux for the
# end-to-end test of the live view), Google's pprof CLI (reads our --pprof files back) and the
# test Pythons themselves (scripts/install-test-pythons.sh). The Debian packages go into the
# system with apt-get (as root, or through sudo); the rest stays in .cache/. Each step says
# what it does and how long it took, so the first run is never a silent minute.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cache="${TACHYON_TOP_CACHE:-$root/.cache}"
started=$SECONDS
step_started=$SECONDS
step() { step_started=$SECONDS; echo "[setup] $*" >&2; }
done_step() { echo "[setup]   done in $((SECONDS - step_started)) s" >&2; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else return 1; fi; }

missing=()
command -v patchelf >/dev/null 2>&1 || missing+=(patchelf)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v tmux >/dev/null 2>&1 || missing+=(tmux)
if [ ${#missing[@]} -gt 0 ]; then
  step "installing the Debian packages ${missing[*]} system-wide with apt-get (chromium alone is ~100 MB: a few minutes the first time)"
  as_root apt-get update -qq >/dev/null 2>&1 || true
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1 \
    || echo "[setup] could not install ${missing[*]}; tests that need them will be skipped" >&2
  done_step
fi

# pprof, built offline from the Go sources Debian packages (GOPATH mode: no module download).
pprof_sources=/usr/share/gocode/src/github.com/google/pprof
if [ ! -x "$cache/bin/pprof" ]; then
  if ! command -v go >/dev/null 2>&1 || [ ! -d "$pprof_sources" ]; then
    step "installing the Debian packages golang-go golang-github-google-pprof-dev system-wide with apt-get (Go and pprof's sources, to build pprof)"
    as_root apt-get update -qq >/dev/null 2>&1 || true
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq golang-go golang-github-google-pprof-dev >/dev/null 2>&1 || true
    done_step
  fi
  if command -v go >/dev/null 2>&1 && [ -d "$pprof_sources" ]; then
    step "building Google's pprof into $cache/bin (offline, about a minute)"
    mkdir -p "$cache/bin"
    GO111MODULE=off GOPATH=/usr/share/gocode GOCACHE="$cache/go-build" GOFLAGS= GOPROXY=off \
      go build -o "$cache/bin/pprof" github.com/google/pprof \
      || echo "[setup] could not build pprof; the tests that read --pprof files with it will be skipped" >&2
    done_step
  else
    echo "[setup] Go or Debian's pprof sources are unavailable; the tests that read --pprof files with pprof will be skipped" >&2
  fi
fi

step "test Pythons in $cache/pythons (3.13-3.15 from Debian sid, unpacked there: nothing installed in the system)"
bash "$root/scripts/install-test-pythons.sh"
done_step
echo "[setup] ready in $((SECONDS - started)) s; now the tests (about 6 min on an idle 2-core machine, 25 min on a busy one; a line per test file as they finish)" >&2
