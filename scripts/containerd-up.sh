#!/bin/sh
# containerd-up.sh [DIR] starts a private containerd daemon for fleetkit's
# tests, rooted in DIR (default $FLEETKIT_CONTAINERD_DIR, else
# /tmp/fleetkit-containerd). It never touches another containerd: root,
# state, socket, pid file and log all live under DIR. On success it prints
#   export FLEETKIT_CONTAINERD_SOCKET=DIR/containerd.sock
# so that `eval "$(scripts/containerd-up.sh)"` points the tests at it.
# Stop it with scripts/containerd-down.sh [DIR].
set -eu

dir=${1:-${FLEETKIT_CONTAINERD_DIR:-/tmp/fleetkit-containerd}}
mkdir -p "$dir/root" "$dir/state"
sock="$dir/containerd.sock"
pidfile="$dir/containerd.pid"

if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
	echo "export FLEETKIT_CONTAINERD_SOCKET=$sock"
	exit 0
fi

# overlayfs needs a filesystem that supports it under root; try a mount and
# fall back to the native snapshotter when it fails (e.g. overlay on overlay).
snap=overlayfs
probe="$dir/overlay-probe"
mkdir -p "$probe/l" "$probe/u" "$probe/w" "$probe/m"
if ! mount -t overlay overlay -o "lowerdir=$probe/l,upperdir=$probe/u,workdir=$probe/w" "$probe/m" 2>/dev/null; then
	snap=native
else
	umount "$probe/m"
fi
rm -rf "$probe"

cat >"$dir/config.toml" <<TOML
version = 2
root = "$dir/root"
state = "$dir/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]

[grpc]
  address = "$sock"

[ttrpc]
  address = "$sock.ttrpc"

[debug]
  address = ""

[metrics]
  address = ""

[plugins."io.containerd.service.v1.diff-service"]
  default = ["walking"]

[plugins."io.containerd.snapshotter.v1.overlayfs"]
  root_path = "$dir/root/overlayfs"
TOML
echo "$snap" >"$dir/snapshotter"

rm -f "$sock"
containerd --config "$dir/config.toml" >"$dir/containerd.log" 2>&1 &
echo $! >"$pidfile"

i=0
while [ $i -lt 100 ]; do
	if [ -S "$sock" ] && ctr --address "$sock" version >/dev/null 2>&1; then
		echo "export FLEETKIT_CONTAINERD_SOCKET=$sock"
		echo "export FLEETKIT_CONTAINERD_SNAPSHOTTER=$snap"
		exit 0
	fi
	if ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
		echo "containerd-up: containerd exited; see $dir/containerd.log" >&2
		tail -n 20 "$dir/containerd.log" >&2
		exit 1
	fi
	i=$((i + 1))
	sleep 0.1
done
echo "containerd-up: socket $sock did not answer; see $dir/containerd.log" >&2
exit 1
