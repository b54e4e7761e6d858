#!/usr/bin/env bash
# Installs the test Pythons (3.13, 3.14, 3.15 and their debug builds from Debian sid, 3.9 and its
# debug build from Debian bullseye, the system 3.11's debug build from bookworm) and austin into
# .cache/pythons/, without touching the system: packages are downloaded with a private apt
# sources list (bookworm's with the system's own) and unpacked with dpkg -x into one prefix per
# version; sid's interpreters are then patched (patchelf) to use that prefix's own loader and libs.
# (3.8 and 3.10 come from pyenv where the machine has them: see test/helpers.ts.)
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

# 3.9 from bullseye, the distribution Python of many fleets. Its binary needs nothing newer
# than this system's libc and finds its stdlib from its own prefix (PREFIX/usr/lib/python3.9,
# found relative to the executable). Extension modules link libraries bullseye has and this
# system lacks (libffi7: ctypes; libssl1.1: ssl, hashlib): those come from bullseye too, into
# the prefix, found through the binary's RPATH (an RPATH, unlike a RUNPATH, also serves the
# extension modules it loads).
install_bullseye_39() { # install_bullseye_39 [dbg]: the release build, or with "dbg" its debug build
  local flavour="${1:-}" prefix="$cache/pythons/3.9" exe=python3.9
  local pkgs=(python3.9 python3.9-minimal libpython3.9-minimal libpython3.9-stdlib libffi7 libssl1.1) p
  if [ "$flavour" = dbg ]; then
    # python3.9-dbg (Py_DEBUG, the `d` ABI, --enable-shared) needs the release packages of the same version.
    prefix="$cache/pythons/3.9-dbg"; exe=python3.9d; pkgs+=(python3.9-dbg libpython3.9-dbg)
  fi
  if "$prefix/usr/bin/$exe" -c 'import asyncio, json, threading, multiprocessing, ctypes, ssl' >/dev/null 2>&1; then
    log "$exe (bullseye) already installed"; return 0
  fi
  local dir="$apt_dir/bullseye"
  mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial" "$debs/bullseye"
  echo "deb [trusted=yes] $mirror bullseye main" > "$dir/sources.list"
  local opts=(-o "Dir::Etc::SourceList=$dir/sources.list" -o "Dir::Etc::SourceParts=/dev/null"
    -o "Dir::State::Lists=$dir/lists" -o "Dir::Cache=$dir/cache" -o "Debug::NoLocking=1"
    -o "APT::Get::List-Cleanup=0" -o "Acquire::Check-Valid-Until=false" -o "APT::Sandbox::User=root")
  if [ -z "$(find "$dir/lists" -name '*bullseye*Packages*' 2>/dev/null | head -n1)" ]; then
    log "reading bullseye's package index from $mirror"
    apt-get "${opts[@]}" update -qq >/dev/null 2>&1 || { log "bullseye is not reachable at $mirror; $exe skipped"; return 0; }
  fi
  for p in "${pkgs[@]}"; do
    ls "$debs/bullseye/${p}_"*.deb >/dev/null 2>&1 || (cd "$debs/bullseye" && apt-get "${opts[@]}" download "$p" >/dev/null 2>&1) \
      || { log "$p is not in bullseye; $exe skipped"; return 0; }
  done
  log "installing $exe (bullseye) into $prefix"
  rm -rf "$prefix"; mkdir -p "$prefix"
  for p in "${pkgs[@]}"; do dpkg -x "$(ls "$debs/bullseye/${p}_"*.deb | head -n1)" "$prefix"; done
  patchelf --force-rpath --set-rpath "$prefix/usr/lib/x86_64-linux-gnu" "$prefix/usr/bin/$exe"
  "$prefix/usr/bin/$exe" -c 'import sys; print(sys.version, "prefix", sys.prefix)' >&2
}

# 3.11's debug build from bookworm, the system's own suite (its python3 is 3.11): downloaded with
# the system's apt sources, unpacked with the stdlib packages of the same version into a prefix
# of its own (the stdlib is found relative to the executable). python3.11d links libpython
# statically and its extension modules need only libraries bookworm's system has (libssl3,
# libffi8...), so it runs as it is. Skipped with a message where the system is not bookworm.
install_bookworm_311_dbg() {
  local prefix="$cache/pythons/3.11-dbg" exe=python3.11d dir="$debs/bookworm" p
  local pkgs=(python3.11-dbg libpython3.11-dbg libpython3.11-minimal libpython3.11-stdlib)
  if "$prefix/usr/bin/$exe" -c 'import asyncio, json, threading, multiprocessing, ctypes, ssl' >/dev/null 2>&1; then
    log "$exe (bookworm) already installed"; return 0
  fi
  if ! grep -qs '^VERSION_CODENAME=bookworm' /etc/os-release; then log "the system is not Debian bookworm; $exe skipped"; return 0; fi
  mkdir -p "$dir"
  # One download of all four, so that they are of one version (the -dbg packages require it exactly).
  if ! (cd "$dir" && rm -f ./*.deb && apt-get download "${pkgs[@]}" >/dev/null 2>&1); then
    log "${pkgs[*]} cannot be downloaded with the system's apt sources; $exe skipped"; return 0
  fi
  log "installing $exe (bookworm) into $prefix"
  rm -rf "$prefix"; mkdir -p "$prefix"
  for p in "${pkgs[@]}"; do dpkg -x "$(ls "$dir/${p}_"*.deb | head -n1)" "$prefix"; done
  "$prefix/usr/bin/$exe" -c 'import sys; print(sys.version, "prefix", sys.prefix)' >&2
}

versions=("$@"); dbg_versions=()
[ ${#versions[@]} -gt 0 ] || { versions=(3.13 3.14 3.15); dbg_versions=(3.13 3.14 3.15); install_bullseye_39; install_bullseye_39 dbg; install_bookworm_311_dbg; }

need_any=0
for v in "${versions[@]}"; do
  "$cache/pythons/$v/usr/bin/python$v" -c 'pass' >/dev/null 2>&1 || need_any=1
done
for v in "${dbg_versions[@]}"; do
  "$cache/pythons/$v-dbg/usr/bin/python${v}d" -c 'pass' >/dev/null 2>&1 || need_any=1
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

# Debug builds (python3.X-dbg: Py_DEBUG, the `d` ABI) in a prefix of their own, from one
# download of sid's packages of the same version (the -dbg packages require it exactly).
for v in "${dbg_versions[@]}"; do
  prefix="$cache/pythons/$v-dbg"
  if "$prefix/usr/bin/python${v}d" -c 'pass' >/dev/null 2>&1; then log "python${v}d already installed"; continue; fi
  dir="$debs/dbg-$v"; mkdir -p "$dir"
  pkgs=("python$v" "python$v-minimal" "libpython$v-minimal" "libpython$v-stdlib" "python$v-dbg" "libpython$v-dbg")
  if ! (cd "$dir" && rm -f ./*.deb && apt-get "${apt_opts[@]}" download "${pkgs[@]}" >/dev/null 2>&1); then
    # sid moves fast: an index a day old may name files the mirror no longer has.
    apt-get "${apt_opts[@]}" update -qq >/dev/null 2>&1 || true
    (cd "$dir" && rm -f ./*.deb && apt-get "${apt_opts[@]}" download "${pkgs[@]}" >/dev/null 2>&1) || { log "python$v-dbg is not in sid; skipped"; continue; }
  fi
  download "${libs[@]}" || true
  log "installing python${v}d (debug build) into $prefix"
  rm -rf "$prefix"; mkdir -p "$prefix"
  for p in "${pkgs[@]}"; do dpkg -x "$(ls "$dir/${p}_"*.deb | head -n1)" "$prefix"; done
  unpack_into "$prefix" "${libs[@]}"
  patch_binary "$prefix" "$prefix/usr/bin/python${v}d"
  "$prefix/usr/bin/python${v}d" -c 'import sys; print(sys.version, "debug" if hasattr(sys, "gettotalrefcount") else "release")' >&2
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
