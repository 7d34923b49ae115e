# Sourced by the build scripts of the test tools that run light and compile
# heavy: Argo's validator and workflow-controller, and kwok. Their packages
# are compiled without optimizations or inlining (-N -l), which cut the
# compile of Argo's validator from 240 to 195 CPU-seconds (127.9 → 105.4 s
# on 2 cores, docs/performance.md), while they use little CPU at run time
# (kwok and the controller idle between the tests' requests; the validator
# checks a handful of templates). The Kubernetes components keep the
# default: the API server does most of the simulated cluster's work.
#
# The flags name every module of the build (not `all=`, which would also
# recompile the standard library that blueprint's build already compiled),
# so Argo's tools and kwok, whose modules are aligned, share each compile.
#
# noopt_gcflags PKG... fills the array NOOPT with one -gcflags per module
# that provides a package of the build of PKG (go list's flags, e.g. -test,
# may come first). It lists packages, not `go list -m all`, which would
# load the whole module graph and add its go.mod sums to go.sum.
noopt_gcflags() {
	NOOPT=()
	local m
	while read -r m; do
		NOOPT+=("-gcflags=$m/...=-N -l")
	done < <(go list -deps -f '{{with .Module}}{{.Path}}{{end}}' "$@" | sort -u)
	[[ ${#NOOPT[@]} -gt 0 ]]
}
