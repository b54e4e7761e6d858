#!/usr/bin/env bash
# Installs the test Pythons (3.13, 3.14, 3.15 from Debian sid) and austin into
# .cache/pythons/, without touching the system: packages are downloaded with a
# private apt sources list and unpacked with dpkg -x into one prefix per version,
# then the interpreter is patched (patchelf) to use that prefix's own loader and libs.
# Idempotent: a version whose interpreter already runs is left alone.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cache="${TACHYON_TOP_CACHE:-$root/.cache}"
apt_dir="$cache/apt"
debs="$cache/debs"
mkdir -p "$apt_dir/lists/partial" "$debs" "$cache/pythons"

log() { printf '[install-test-pythons] %s\n' "$*" >&2; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if ! command -v patchelf >/dev/null 2>&1; then
  log "installing patchelf"
  as_root apt-get install -y -qq patchelf >/dev/null 2>&1 || { as_root apt-get update -qq >/dev/null 2>&1; as_root apt-get install -y -qq patchelf >/dev/null; }
fi

# The mirror the system itself uses, with suite sid.
mirror="$(grep -hoE '^URIs: *[^ ]+' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | grep -v security | head -n1 || true)"
[ -n "$mirror" ] || mirror="$(grep -hoE '^deb +[^ ]+' /etc/apt/sources.list 2>/dev/null | awk '{print $2}' | head -n1 || true)"
[ -n "$mirror" ] || { log "cannot find the system's Debian mirror in /etc/apt"; exit 1; }

sources="$apt_dir/sources.list"
echo "deb [trusted=yes] $mirror sid main" > "$sources"
apt_opts=(-o "Dir::Etc::SourceList=$sources" -o "Dir::Etc::SourceParts=/dev/null"
  -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache" -o "Debug::NoLocking=1"
  -o "APT::Get::List-Cleanup=0" -o "Acquire::Check-Valid-Until=false" -o "APT::Sandbox::User=root")
mkdir -p "$apt_dir/cache/archives/partial"

versions=("$@"); [ ${#versions[@]} -gt 0 ] || versions=(3.13 3.14 3.15)

need_any=0
for v in "${versions[@]}"; do
  "$cache/pythons/$v/usr/bin/python$v" -c 'pass' >/dev/null 2>&1 || need_any=1
done
[ -x "$cache/pythons/austin/usr/bin/austin" ] || need_any=1
if [ "$need_any" = 0 ]; then log "all test Pythons present in $cache/pythons"; exit 0; fi

# Refresh the private sid index at most once a day.
if [ -z "$(find "$apt_dir/lists" -name '*sid*Packages*' -mtime -1 2>/dev/null | head -n1)" ]; then
  log "reading sid's package index from $mirror"
  apt-get "${apt_opts[@]}" update -qq >/dev/null
fi

libs=(libc6 libssl3t64 libzstd1 libexpat1 zlib1g libgcc-s1 libffi8 libbz2-1.0 liblzma5 libsqlite3-0 libuuid1 libncursesw6 libtinfo6 libreadline8t64 libmpdec4)

download() { # download PKG... into $debs (skipping ones already there)
  local pkgs=()
  for p in "$@"; do ls "$debs/${p}_"*.deb >/dev/null 2>&1 || pkgs+=("$p"); done
  [ ${#pkgs[@]} -eq 0 ] && return 0
  (cd "$debs" && apt-get "${apt_opts[@]}" download "${pkgs[@]}" >/dev/null)
}

unpack_into() { # unpack_into PREFIX PKG...
  local prefix="$1"; shift
  for p in "$@"; do dpkg -x "$(ls "$debs/${p}_"*.deb | head -n1)" "$prefix"; done
}

patch_binary() { # point a binary at its prefix's loader and libraries
  local prefix="$1" bin="$2"
  patchelf --set-interpreter "$prefix/usr/lib64/ld-linux-x86-64.so.2" \
    --force-rpath --set-rpath "$prefix/usr/lib/x86_64-linux-gnu:$prefix/lib/x86_64-linux-gnu" "$bin"
}

for v in "${versions[@]}"; do
  prefix="$cache/pythons/$v"
  if "$prefix/usr/bin/python$v" -c 'pass' >/dev/null 2>&1; then log "python$v already installed"; continue; fi
  log "installing python$v into $prefix"
  pkgs=("python$v" "python$v-minimal" "libpython$v-minimal" "libpython$v-stdlib")
  if ! download "${pkgs[@]}" "${libs[@]}"; then log "python$v is not in sid; skipped"; continue; fi
  rm -rf "$prefix"; mkdir -p "$prefix"
  unpack_into "$prefix" "${pkgs[@]}" "${libs[@]}"
  patch_binary "$prefix" "$prefix/usr/bin/python$v"
  "$prefix/usr/bin/python$v" -c 'import sys; print(sys.version)' >&2
done

prefix="$cache/pythons/austin"
if [ ! -x "$prefix/usr/bin/austin" ] || ! "$prefix/usr/bin/austin" --version >/dev/null 2>&1; then
  log "installing austin into $prefix"
  if download austin "${libs[@]}"; then
    rm -rf "$prefix"; mkdir -p "$prefix"
    unpack_into "$prefix" austin "${libs[@]}"
    patch_binary "$prefix" "$prefix/usr/bin/austin"
    "$prefix/usr/bin/austin" --version >&2 || true
  else
    log "austin not available; benchmarks will skip it"
  fi
fi
