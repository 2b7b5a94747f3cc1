#!/usr/bin/env bash
# In a checkout: the script that `faas docker setup` runs (it ships inside the package). See its header.
exec bash "$(dirname "$0")/../pytest_faas/placements/docker/docker-engine.sh" "$@"
