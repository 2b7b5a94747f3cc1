#!/usr/bin/env bash
# Make a Docker engine and pytest-faas's base Python image available, for the `docker`-marked tests.
#
#   faas docker setup                 (installed from PyPI: this file ships inside the package)
#   bash scripts/docker-engine.sh     (in a checkout of pytest-faas)
#
# Idempotent: each step is skipped when its result is already there.
#   1. engine: if no engine answers, install Debian's docker.io (and debootstrap) when missing, start
#      dockerd in the background (log: $FAAS_DOCKERD_LOG) and wait for it, at most $FAAS_DOCKERD_WAIT s.
#   2. image:  if pytest-faas/python:bookworm is missing, build it without a registry: debootstrap a
#      minimal Debian bookworm with Python into a tarball cached under $FAAS_CACHE_DIR, then
#      `docker import` it. A re-run with the tarball cached takes seconds.
#
# Exit status: 0 when the engine and image are ready, and also 0 (with a printed reason) when no engine
# can be had on this machine: the docker tests then skip. Non-zero only for a bug in this script, or when
# the engine runs but the image build fails.
set -euo pipefail

IMAGE="${FAAS_BASE_IMAGE:-pytest-faas/python:bookworm}"
SUITE="bookworm"
# python3-venv: the runner image installs into a venv (bookworm's system Python refuses pip, PEP 668).
# python-is-python3: `python` on PATH, as the agent's command line expects.
INCLUDE="python3,python3-pip,python3-venv,python-is-python3"
CACHE_DIR="${FAAS_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/pytest-faas}"
DOCKERD_LOG="${FAAS_DOCKERD_LOG:-/var/log/pytest-faas-dockerd.log}"
DOCKERD_WAIT="${FAAS_DOCKERD_WAIT:-60}"
SOCKET="/var/run/docker.sock"

say() { echo "docker-engine: $*"; }
give_up() { say "no Docker engine: $* (docker tests will skip)"; exit 0; }

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@";
    elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo -n "$@";
    else return 1; fi
}

LAST_ERROR=""
engine_answers() {  # true when the engine answers; else LAST_ERROR says why not
    command -v docker >/dev/null || { LAST_ERROR="no docker command"; return 1; }
    LAST_ERROR=$(timeout 10 docker version --format '{{.Server.Version}}' 2>&1 >/dev/null) && return 0
    case "$LAST_ERROR" in
        *"permission denied"*) give_up "no permission on $SOCKET (add this user to the docker group)" ;;
    esac
    return 1
}

apt_install() {  # apt_install PKG...: install the Debian packages, quietly; false when that fails
    command -v apt-get >/dev/null || return 1
    say "installing $* from Debian (apt-get)"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null 2>&1 || true
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# ---- 1. the engine ---------------------------------------------------------------------------------------
if engine_answers; then
    say "engine already running (server $(docker version --format '{{.Server.Version}}'))"
else
    missing=()
    command -v dockerd >/dev/null || missing+=(docker.io)
    command -v docker >/dev/null || missing+=(docker.io)
    command -v debootstrap >/dev/null || missing+=(debootstrap)
    if [ ${#missing[@]} -gt 0 ]; then
        # shellcheck disable=SC2207
        missing=($(printf '%s\n' "${missing[@]}" | sort -u))
        apt_install "${missing[@]}" || give_up "could not install ${missing[*]} (need root and apt-get)"
    fi
    command -v dockerd >/dev/null || give_up "dockerd is not installed"
    if ! pgrep -x dockerd >/dev/null; then
        say "starting dockerd in the background (log: $DOCKERD_LOG)"
        as_root mkdir -p "$(dirname "$DOCKERD_LOG")" || give_up "cannot start dockerd without root"
        # setsid: the daemon must outlive this script and the CI step that ran it.
        as_root setsid nohup dockerd >>"$DOCKERD_LOG" 2>&1 </dev/null &
    else
        say "dockerd is running but not answering yet; waiting"
    fi
    waited=0
    until engine_answers; do
        if [ "$waited" -ge "$DOCKERD_WAIT" ]; then
            say "last lines of $DOCKERD_LOG:"; tail -n 15 "$DOCKERD_LOG" 2>/dev/null | sed 's/^/    /' || true
            give_up "dockerd did not answer on $SOCKET within ${DOCKERD_WAIT}s (${LAST_ERROR:-no error text})"
        fi
        sleep 1; waited=$((waited + 1))
    done
    say "engine up after ${waited}s (server $(docker version --format '{{.Server.Version}}'))"
fi

# ---- 2. the base image -----------------------------------------------------------------------------------
if docker image inspect "$IMAGE" >/dev/null 2>&1; then
    say "image $IMAGE already present"
    exit 0
fi

# The tarball's name carries what is in it, so a change of package list never reuses a stale one.
key=$(printf '%s|%s|%s' "$SUITE" "$INCLUDE" "$(dpkg --print-architecture 2>/dev/null || uname -m)" | sha256sum | cut -c1-12)
tarball="$CACHE_DIR/rootfs-$SUITE-python-$key.tar"
mkdir -p "$CACHE_DIR"
if [ -s "$tarball" ]; then
    say "using cached root filesystem $tarball"
else
    command -v debootstrap >/dev/null || apt_install debootstrap || { say "debootstrap is missing and could not be installed"; exit 1; }
    rootfs=$(mktemp -d "${TMPDIR:-/tmp}/pytest-faas-rootfs.XXXXXX")
    trap 'as_root rm -rf "$rootfs"' EXIT
    say "debootstrap --variant=minbase $SUITE with $INCLUDE (about 40 s; log: $CACHE_DIR/debootstrap.log)"
    started=$SECONDS
    if ! as_root debootstrap --variant=minbase --include="$INCLUDE" "$SUITE" "$rootfs" >"$CACHE_DIR/debootstrap.log" 2>&1; then
        say "debootstrap failed; last lines of $CACHE_DIR/debootstrap.log:"
        tail -n 15 "$CACHE_DIR/debootstrap.log" | sed 's/^/    /'
        exit 1
    fi
    # Slim it: package lists and caches are of no use in a runner image.
    as_root rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* \
        "$rootfs"/usr/share/doc "$rootfs"/usr/share/man "$rootfs"/usr/share/locale
    as_root tar -C "$rootfs" -cf "$tarball.partial" . && mv "$tarball.partial" "$tarball"
    say "root filesystem built in $((SECONDS - started))s: $tarball ($(du -h "$tarball" | cut -f1))"
fi

say "importing $tarball as $IMAGE"
docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' \
    --change 'ENV PYTHONDONTWRITEBYTECODE=1' \
    --change 'CMD ["python3"]' \
    --message "pytest-faas base: debootstrap $SUITE minbase + $INCLUDE" \
    "$tarball" "$IMAGE" >/dev/null
say "image $IMAGE ready ($(docker image inspect "$IMAGE" --format '{{.Size}}' | awk '{printf "%.0f MB", $1/1e6}'))"
