#!/usr/bin/env bash
# The test runner behind `make test` and `make e2e`.
#
#   hack/test.sh all   every package (and tools/argovalidate's), as make test runs it
#   hack/test.sh e2e   only the simulated-cluster tests (TestSimulated* in e2e/)
#
# The simulated-cluster tests are the suite's long pole, and each of them
# mostly waits on its own cluster (Helm --wait, kwok, the scheduler, Argo's
# controller), not on the CPU. So every top-level TestSimulated* test runs as
# a process of its own, beside `go test` of the rest of the suite: each
# process has its own moto and its own API server (e2e's TestMain). On 2
# cores this cut the test phase of a cold `make test` by several minutes
# (docs/performance.md).
#
# e2e's test binary is built once and each e2e shard runs it directly (in
# e2e/, as go test would), so nothing compiles twice: one shard per
# simulated-cluster test, one for e2e's other tests. A shard's output is
# printed when it ends, whole, so shards never interleave; each simulated
# shard ends with its summary table (e2e's TestMain prints it).
set -euo pipefail
cd "$(dirname "$0")/.."

GO=${GO:-go}
mode=${1:-all}
timeout=${TEST_TIMEOUT:-60m}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Top-level simulated-cluster tests, read from the source so a new one is
# never left out of every shard.
mapfile -t simulated < <(sed -n 's/^func \(TestSimulated[A-Za-z0-9_]*\)(t \*testing\.T).*/\1/p' e2e/*_test.go | sort -u)
[[ ${#simulated[@]} -gt 0 ]] || { echo "hack/test.sh: no TestSimulated* tests found in e2e/" >&2; exit 1; }

names=() pids=()
start_shard() { # name, dir, command...
	local name=$1 dir=$2
	shift 2
	names+=("$name")
	(
		rc=0 start=$SECONDS
		cd "$dir" && "$@" >"$work/$name.log" 2>&1 || rc=$?
		echo "$((SECONDS - start))" >"$work/$name.took"
		echo "$rc" >"$work/$name.rc"
	) &
	pids+=($!)
	echo "[test.sh] started $name"
}

case $mode in
all | e2e) ;;
*)
	echo "usage: hack/test.sh all|e2e" >&2
	exit 2
	;;
esac
if [[ $mode == all ]]; then
	# Every package but e2e, started first (it is the longest shard). The
	# packages whose tests run longest (seconds each, alone on this machine:
	# helmrelease 83, platform 56, simcluster 32, stacks 28, manifests 22,
	# cli 17, etl 16) go first: go test starts packages in the order given,
	# so they no longer run last, beside nothing, at the shard's end.
	slow=(internal/helmrelease internal/platform internal/simcluster stacks manifests internal/cli internal/etl)
	module=$("$GO" list -m)
	mapfile -t all < <("$GO" list ./... | grep -v '/e2e$')
	pkgs=()
	for p in "${slow[@]}"; do [[ " ${all[*]} " == *" $module/$p "* ]] && pkgs+=("$module/$p"); done
	for p in "${all[@]}"; do [[ " ${pkgs[*]} " == *" $p "* ]] || pkgs+=("$p"); done
	start_shard rest . "$GO" test -timeout "$timeout" "${pkgs[@]}"
fi
if ! "$GO" test -c -o "$work/e2e.test" ./e2e; then
	echo "[test.sh] e2e's tests do not build; waiting for the shards already started" >&2
	wait
	exit 1
fi
for t in "${simulated[@]}"; do
	start_shard "$t" e2e "$work/e2e.test" -test.timeout "$timeout" -test.run "^$t\$"
done
if [[ $mode == all ]]; then
	# e2e's other tests (moto and a bare API server), from the same binary.
	start_shard e2e e2e "$work/e2e.test" -test.timeout "$timeout" -test.skip '^TestSimulated'
	# tools/argovalidate is a module of its own (Argo's dependency graph
	# stays out of blueprint's go.mod), so go test ./... above skips it.
	# Started last: its compile would delay e2e's, which gates six shards.
	start_shard argovalidate . env TEST_TIMEOUT="$timeout" hack/argovalidate.sh test
fi

failed=()
for i in "${!pids[@]}"; do
	wait "${pids[$i]}" || true
	name=${names[$i]}
	rc=$(cat "$work/$name.rc" 2>/dev/null || echo 1)
	# The shard's own wall time: where a cold run's minutes went.
	echo "=== $name ($([[ $rc == 0 ]] && echo passed || echo FAILED) in $(cat "$work/$name.took" 2>/dev/null || echo "?") s)"
	cat "$work/$name.log"
	[[ $rc == 0 ]] || failed+=("$name")
done
if [[ ${#failed[@]} -gt 0 ]]; then
	echo "[test.sh] FAILED: ${failed[*]}" >&2
	exit 1
fi
echo "[test.sh] all shards passed: ${names[*]}"
