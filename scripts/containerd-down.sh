#!/bin/sh
# containerd-down.sh [DIR] stops the containerd daemon that
# containerd-up.sh started in DIR (default $FLEETKIT_CONTAINERD_DIR, else
# /tmp/fleetkit-containerd), by its pid file only, and its shims.
set -eu

dir=${1:-${FLEETKIT_CONTAINERD_DIR:-/tmp/fleetkit-containerd}}
pidfile="$dir/containerd.pid"
[ -f "$pidfile" ] || exit 0
pid=$(cat "$pidfile")
if kill -0 "$pid" 2>/dev/null; then
	kill -TERM "$pid"
	i=0
	while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do
		i=$((i + 1))
		sleep 0.1
	done
	kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
fi
rm -f "$pidfile"
