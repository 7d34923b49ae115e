#!/usr/bin/env bash
# hack/bench.sh: blueprint's measured performance as ONE markdown table,
# then the modelled deploy critical path (docs/performance.md explains it).
#
#   hack/bench.sh                 # N=5 runs of each timed command
#   BENCH_RUNS=10 hack/bench.sh
#   BENCH_MAKE_TEST=1 hack/bench.sh   # also `make test`, cold and warm (slow)
#
# Wall times: median and min–max of N runs, through hyperfine (apt-get
# install hyperfine) when installed, else a bash loop over /usr/bin/time.
# Peak memory: /usr/bin/time's maximum resident set size, which for
# `blueprint synth` is that of its largest process (the jsii Node.js child).
# Timings on a shared machine are noisy: compare ratios, not seconds.
#
# Hooks for figures measured by other packages' Go tests run when those
# tests exist and are skipped with a note otherwise:
#   e2e:  BenchmarkUpNoop          no-op `up` against moto + the local API server
#   ./internal/helmrelease: BenchmarkHelmInstall, BenchmarkHelmUpgrade
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${BENCH_RUNS:-5}
GO=${GO:-go}
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=${JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION:-20}
export JSII_DEPRECATED=${JSII_DEPRECATED:-quiet}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rows=()   # markdown table rows
notes=()  # skipped figures and why

log() { echo "bench: $*" >&2; }

# stats FILE: "median min max" of the numbers in FILE, one per line.
stats() {
	sort -g "$1" | awk '{v[NR]=$1} END {
		m = (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2
		printf "%.2f %.2f %.2f\n", m, v[1], v[NR]}'
}

# measure NAME CMD...: runs CMD RUNS times; sets WALL="median min max"
# (seconds) and RSS="median" (MiB) for NAME.
measure() {
	local name=$1; shift
	local t="$work/$name.time" rss="$work/$name.rss" wall="$work/$name.wall"
	: >"$rss"; : >"$wall"
	log "$name: $RUNS runs of: $*"
	if command -v hyperfine >/dev/null; then
		if ! hyperfine --runs "$RUNS" --warmup 1 --style none --export-json "$work/$name.json" -- "$(printf '%q ' "$@")" >&2; then
			"$@" >/dev/null 2>"$work/$name.err" || true
			return 1
		fi
		jq -r '.results[0].times[]' "$work/$name.json" >"$wall"
		# Peak memory from one more run (hyperfine does not record it).
		/usr/bin/time -f '%e %M' -o "$t" "$@" >/dev/null 2>"$work/$name.err" || { cat "$work/$name.err" >&2; return 1; }
		awk '{print $2/1024}' "$t" >>"$rss"
	else
		"$@" >/dev/null 2>&1 || true # warm-up
		for _ in $(seq "$RUNS"); do
			/usr/bin/time -f '%e %M' -o "$t" "$@" >/dev/null 2>"$work/$name.err" || { cat "$work/$name.err" >&2; return 1; }
			awk '{print $1}' "$t" >>"$wall"
			awk '{print $2/1024}' "$t" >>"$rss"
		done
	fi
	WALL=$(stats "$wall")
	RSS=$(stats "$rss" | awk '{print $1}')
}

fmt_wall() { awk -v s="$1" 'BEGIN {split(s, a, " "); printf "%.1f s (%.1f–%.1f)", a[1], a[2], a[3]}'; }

# --- build ---------------------------------------------------------------
# As the Makefile builds bin/blueprint (LDFLAGS there), and once without
# the flags to show what they save.
LDFLAGS=${LDFLAGS:-$(sed -n 's/^LDFLAGS ?= //p' Makefile)}
BUILD_TAGS=${BUILD_TAGS:-$(sed -n 's/^BUILD_TAGS ?= //p' Makefile)}
log "building bin/blueprint (-tags '$BUILD_TAGS' -ldflags '$LDFLAGS')"
$GO build -tags "$BUILD_TAGS" -ldflags "$LDFLAGS" -o "$work/blueprint" ./cmd/blueprint
# Plain: no flags and go's defaults. Under make, GOFLAGS carries the
# Makefile's tag and -ldflags=-w and CGO_ENABLED=0 is exported, which
# would make this a smaller build than `go build` on a bare shell.
env -u GOFLAGS -u CGO_ENABLED $GO build -o "$work/blueprint-plain" ./cmd/blueprint
$GO build -o "$work/critpath" ./internal/critpath/cmd/critpath
mib() { awk -v b="$(stat -c %s "$1")" 'BEGIN {printf "%.0f MiB", b / 1048576}'; }
rows+=("| \`bin/blueprint\` size | $(mib "$work/blueprint") | as the Makefile builds it (\`-tags $BUILD_TAGS -ldflags '$LDFLAGS'\`); $(mib "$work/blueprint-plain") with a plain \`go build\` (no flags, no tags) |")
rm -f "$work/blueprint-plain"
if [ ! -x node_modules/.bin/cdk ]; then
	npm ci --no-audit --no-fund --loglevel=error >&2
fi

# --- 1. synth ------------------------------------------------------------
measure synth "$work/blueprint" synth --out "$work/synth.out"
synth_wall=$WALL
rows+=("| \`blueprint synth\` (whole app) | $(fmt_wall "$WALL") | peak RSS $(printf '%.0f' "$RSS") MiB (the largest process: jsii's Node.js child) |")

measure cdksynth npx --no-install cdk synth --quiet --output "$work/cdk.out"
ratio=$(awk -v a="$WALL" -v b="$synth_wall" 'BEGIN {split(a, x, " "); split(b, y, " "); printf "%.2f", x[1]/y[1]}')
rows+=("| \`npx cdk synth\` (same app) | $(fmt_wall "$WALL") | ×$ratio of \`blueprint synth\`; peak RSS $(printf '%.0f' "$RSS") MiB |")

# --- 2. plan -------------------------------------------------------------
failed() { echo "$1 failed: $(tail -n 3 "$work/$2.err" | tr '\n' ' ')"; }
if ! "$work/blueprint" plan --help >/dev/null 2>&1; then
	notes+=("\`blueprint plan\` is not registered in this build; skipped")
elif ! measure plan "$work/blueprint" plan --out "$work/plan.out"; then
	notes+=("$(failed "\`blueprint plan\`" plan)")
else
	goal=$(awk -v a="$WALL" 'BEGIN {split(a, x, " "); print (x[1] <= 20) ? "within" : "over"}')
	rows+=("| \`blueprint plan\` | $(fmt_wall "$WALL") | goal ≤ 20 s: $goal; ×$(awk -v a="$WALL" -v b="$synth_wall" 'BEGIN {split(a, x, " "); split(b, y, " "); printf "%.2f", x[1]/y[1]}') of synth |")
fi

# --- 3, 4. hooks for other packages' benchmarks ---------------------------
# gobench PKG BENCH LABEL: runs one Go benchmark RUNS times (-count) and
# adds its median ns/op as a row, or a note when it does not exist.
gobench() {
	local pkg=$1 bench=$2 label=$3
	# Listed into a variable first: grep -q would stop reading early and,
	# under pipefail, go test's SIGPIPE would read as "not there".
	local listed=""
	[ -d "$pkg" ] && listed=$($GO test -list "^$bench\$" "$pkg" 2>/dev/null || true)
	if ! grep -qx "$bench" <<<"$listed"; then
		notes+=("$label: no $bench in $pkg yet; skipped")
		return
	fi
	log "$label: $GO test -run XXX -bench ^$bench\$ -count $RUNS $pkg"
	$GO test -run XXX -bench "^$bench\$" -benchtime 1x -count "$RUNS" "$pkg" |
		awk -v b="$bench" '$1 ~ "^"b {print $3/1e9}' >"$work/$bench.wall"
	if [ ! -s "$work/$bench.wall" ]; then
		notes+=("$label: $bench reported nothing")
		return
	fi
	rows+=("| $label | $(fmt_wall "$(stats "$work/$bench.wall")") | \`go test -bench $bench $pkg\` |")
}
gobench ./e2e BenchmarkUpNoop "no-op \`up\` (moto + local API server; goal ≤ 60 s)"
gobench ./internal/helmrelease BenchmarkHelmInstall "Helm install of our charts (local API server)"
gobench ./internal/helmrelease BenchmarkHelmUpgrade "Helm upgrade of our charts (local API server)"

# --- 5, 6. template figures and the model ---------------------------------
"$work/critpath" -assembly "$work/synth.out" -format json >"$work/report.json"
read -r stacks resources custom lambdas bytes < <(jq -r '.figures | "\(.stacks) \(.resources) \(.customResources) \(.lambdaFunctions) \(.templateBytes)"' "$work/report.json")
rows+=("| template figures | $stacks stacks, $resources resources | custom resources $custom, Lambda functions $lambdas (both must be 0); $((bytes / 1024)) KiB of templates |")
mins() { jq -r "$1 / 1e9 | \"\\(. / 60 | floor):\\(. % 60 | floor | tostring | if length < 2 then \"0\" + . else . end)\"" "$work/report.json"; }
path() { jq -r "[.$1.criticalPath[] | select(.type != \"CloudFormation::Stack(complete)\") | if .logicalId == \"(begin)\" then \"[\" + .stack + \"]\" else .logicalId | sub(\"[0-9A-F]{8}$\"; \"\") end] | join(\" → \")" "$work/report.json"; }
range_row() { jq -r --arg d "$1" '.range[] | "\(.name) \(.controlPlane / 1e9 | floor) \(.[$d] / 1e9 | floor)"' "$work/report.json" |
	awk '{printf "%s%s %d:%02d → %d:%02d", (NR > 1 ? ", " : ""), $1, $2 / 60, $2 % 60, $3 / 60, $3 % 60}'; }
rows+=("| deploy critical path, \`up\` (model) | $(mins .up.total) (m:ss) | control plane → up: $(range_row up); $(path up) |")
rows+=("| critical path, \`down\` (model) | $(mins .down.total) (m:ss) | control plane → down: $(range_row down); $(path down) |")
goal=$(jq -r 'if .overhead <= 300e9 then "within" else "over" end' "$work/report.json")
rows+=("| blueprint's overhead beyond the control plane (model) | $(mins .overhead) (m:ss) | \`up\` minus the typical control plane; goal ≤ 5:00: $goal |")

# --- 7. make test --------------------------------------------------------
if [ "${BENCH_MAKE_TEST:-0}" = 1 ]; then
	$GO clean -testcache
	s=$(date +%s.%N); make --no-print-directory test >&2; e=$(date +%s.%N)
	cold=$(awk -v s="$s" -v e="$e" 'BEGIN {printf "%.0f", e-s}')
	s=$(date +%s.%N); make --no-print-directory test >&2; e=$(date +%s.%N)
	warm=$(awk -v s="$s" -v e="$e" 'BEGIN {printf "%.0f", e-s}')
	rows+=("| \`make test\` | cold $cold s, warm $warm s | one run each (cold: \`go clean -testcache\` first) |")
else
	# The figures recorded in docs/performance.md ("make test times").
	recorded=$(awk -F'|' '/^\| `make test` warm/ {gsub(/^ +| +$/, "", $3); gsub(/^ +| +$/, "", $4); print $3 " (" $4 ")"; exit}' docs/performance.md)
	rows+=("| \`make test\`, warm | ${recorded:-not recorded} | recorded in docs/performance.md; BENCH_MAKE_TEST=1 measures cold and warm here (runs the whole suite twice) |")
fi

# --- output --------------------------------------------------------------
tool=$(command -v hyperfine >/dev/null && echo "hyperfine $(hyperfine --version | awk '{print $2}')" || echo "bash loop + /usr/bin/time")
echo "## blueprint bench ($(date -u +%Y-%m-%d), $(nproc) cores, $RUNS runs each, $tool)"
echo
echo "| what | median (min–max) | notes |"
echo "|---|---|---|"
printf '%s\n' "${rows[@]}"
echo
for n in "${notes[@]}"; do echo "- $n"; done
[ ${#notes[@]} -gt 0 ] && echo
"$work/critpath" -assembly "$work/synth.out" -section range
"$work/critpath" -assembly "$work/synth.out" -section model
"$work/critpath" -assembly "$work/synth.out" -section cuts
