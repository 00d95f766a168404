#!/bin/sh
# Runs `tillsync-agent <command>`. With CENTRAL_API_KEY_FILE set, waits until that file holds
# a key first: in docker-compose.yml the one-shot provisioning writes it once central is up.
set -eu
if [ -n "${CENTRAL_API_KEY_FILE:-}" ]; then
  waited=0
  until [ -s "$CENTRAL_API_KEY_FILE" ]; do
    if [ $((waited % 15)) -eq 0 ]; then
      echo "tillsync-agent: waiting for the terminal key in $CENTRAL_API_KEY_FILE" >&2
    fi
    waited=$((waited + 1))
    sleep 1
  done
fi
exec node /app/apps/terminal-agent/bin/tillsync-agent.js "$@"
