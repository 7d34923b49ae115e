#!/usr/bin/env bash
# Downloads the Go modules every build of `make tools` needs, the tools'
# in the background, so their downloads overlap blueprint's compile instead
# of each tool build waiting on the network with the CPU idle.
#
# In a cold `make test` each tool build (Argo's validator and controller,
# Kubernetes, kwok) first loaded its package graph, downloading for 10-25 s
# before it compiled anything: about 75 s of the run with nothing to
# compile (docs/performance.md). The `prepare` mode of each build script
# does that part only (throwaway module, go get, version alignment) and
# leaves a stamp, so the build's own call finds it done; the kube and Argo
# builds take the same lock as their prepare, so a build never runs beside
# the prepare of its own module.
#
# Blueprint's own modules are downloaded first, in the foreground: its
# compile waits for them, so they should not share the network.
#
# The background job's output goes to bin/.prefetch.log. A failure there
# fails nothing: each build then does its own downloads and reports.
set -euo pipefail
cd "$(dirname "$0")/.."

GO=${GO:-go}
mkdir -p bin
log=bin/.prefetch.log

"$GO" list -deps -test ./... >/dev/null

(
	hack/argovalidate.sh prepare
	hack/argo-controller.sh prepare
	hack/kube-tools.sh prepare
) </dev/null >"$log" 2>&1 &
echo "[prefetch.sh] downloading the tools' Go modules in the background (log: $log)"
