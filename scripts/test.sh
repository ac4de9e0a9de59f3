#!/usr/bin/env bash
# Runs the whole test suite on a fresh machine, as CI does.
#
# It installs what the tests need when it is missing (containerd, runc, the
# CNI plugins and etcd, from Debian's packages; root required for that),
# starts a private containerd with its own config, root and state dirs,
# then checks formatting, vets, and runs every test under the race
# detector. Tests of real parts skip outside CI when their dependency is
# missing, and fail in CI (CI=true).
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v containerd >/dev/null || missing+=(containerd)
command -v runc >/dev/null || missing+=(runc)
[ -x /usr/lib/cni/bridge ] || missing+=(containernetworking-plugins)
command -v etcd >/dev/null || missing+=(etcd-server)
command -v ip >/dev/null || missing+=(iproute2)
command -v iptables >/dev/null || missing+=(iptables)
if [ ${#missing[@]} -gt 0 ]; then
	if [ "$(id -u)" -eq 0 ]; then
		echo "test.sh: installing ${missing[*]}"
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq
		apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
	else
		echo "test.sh: not root, cannot install ${missing[*]}; tests that need them will skip"
	fi
fi

if [ "$(id -u)" -eq 0 ] && command -v containerd >/dev/null; then
	eval "$(scripts/containerd-up.sh)"
	trap 'scripts/containerd-down.sh' EXIT
fi

echo "test.sh: gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go'))
if [ -n "$unformatted" ]; then
	echo "gofmt would change:"; echo "$unformatted"; exit 1
fi
echo "test.sh: go vet"
go vet ./...
echo "test.sh: go test -race"
go test -race -count=1 -timeout 30m ./...
