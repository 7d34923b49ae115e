# blueprint's build. Every target installs what it needs, so a bare
# machine (and CI) goes from clone to result with `make plan` / `make test`.
SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := plan

GO      ?= go
OUT     ?= cdk.out
CONFIG  ?= blueprint.yaml

# jsii (CDK's Go bridge to Node.js) prints a banner on every start when
# Node is past its end of life; the bundled Node 20 still runs the CDK
# correctly. Deprecation notices from aws-cdk-lib are also silenced.
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION ?= 20
export JSII_DEPRECATED ?= quiet

# The pinned upstream charts as <chart>-<version>.tgz (see its README), read
# before the chart repositories: $BLUEPRINT_CHART_MIRROR, else the shared
# mirror next to the clone. Tests that need a chart fail without one.
# A clone anywhere below the folder that holds shared/ finds it.
find_shared = $(shell d='$(CURDIR)'; while [ "$$d" != / ]; do [ -d "$$d/shared/$(1)" ] && { echo "$$d/shared/$(1)"; break; }; d=$$(dirname "$$d"); done)
CHART_MIRROR ?= $(or $(BLUEPRINT_CHART_MIRROR),$(call find_shared,upstream-charts))
# Upstream sources the tests run (JupyterHub 5.5.0's authenticator).
UPSTREAM_SRC ?= $(or $(BLUEPRINT_UPSTREAM_SRC),$(call find_shared,upstream-src))

# The CLI is linked without its symbol table and DWARF (-s -w; stack
# traces keep function names and lines, from the pclntab), and without
# kustomize's Go-plugin loader, which Helm's Kubernetes client pulls in
# (k8s.io/cli-runtime → kustomize/api/krusty): importing Go's "plugin"
# package makes the linker export every symbol dynamically and keep more
# code. blueprint never builds kustomizations. 307 → 206 MiB
# (docs/performance.md).
LDFLAGS ?= -s -w
BUILD_TAGS ?= kustomize_disable_go_plugin_support

# One set of build settings for everything this Makefile compiles: the CLI,
# go vet, the tests and the tools (hack/*.sh also build with CGO_ENABLED=0
# and without -trimpath), so a package common to two of them compiles once.
# Before, the tests and vet compiled Helm and everything above kustomize a
# second time (no build tag), and the Kubernetes and Argo builds shared not
# even the standard library with blueprint's (cgo on, -trimpath); a cold
# `make test` paid for every copy (docs/performance.md). -ldflags=-w: test
# binaries are linked without DWARF, which nothing here reads (stack traces
# come from the pclntab); with the tag, e2e's links in 8 s instead of 23 s.
export CGO_ENABLED ?= 0
export GOFLAGS ?= -tags=$(BUILD_TAGS) -ldflags=-w

GO_SOURCES := $(shell find . -name '*.go' -not -path './node_modules/*' -not -path './.cache/*' -not -path './tools/*') go.mod go.sum

.PHONY: prefetch setup plan synth lint-templates test e2e tools vet kube-tools argo-tools moto hub-deps bench clean help

help: ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

node_modules/.bin/cdk: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

bin/blueprint: $(GO_SOURCES)
	$(GO) build -tags '$(BUILD_TAGS)' -ldflags '$(LDFLAGS)' -o $@ ./cmd/blueprint

setup: node_modules/.bin/cdk bin/blueprint ## install the pinned CDK CLI, build the CLI
	@command -v cfn-lint >/dev/null || { echo "cfn-lint is missing: pip install cfn-lint" >&2; exit 1; }

plan: setup ## the main job, offline: synthesize + check every stack, list up's steps, render blueprint's chart, lint the sample jobs
	./bin/blueprint plan $(if $(wildcard $(CONFIG)),--config $(CONFIG)) --out $(OUT)
	./bin/blueprint render $(if $(wildcard $(CONFIG)),--config $(CONFIG)) $(if $(CHART_MIRROR),--chart-mirror $(CHART_MIRROR)) --out $(OUT)/manifests
	./bin/blueprint jobs lint $(if $(wildcard $(CONFIG)),--config $(CONFIG)) jobs

synth: setup ## synthesize the whole platform offline and check it (cdk-nag, cfn-lint)
	./bin/blueprint synth $(if $(wildcard $(CONFIG)),--config $(CONFIG)) --out $(OUT)
	$(MAKE) --no-print-directory lint-templates

lint-templates: ## cfn-lint every synthesized template (.cfnlintrc.yaml lists ignored rules)
	cfn-lint --config-file .cfnlintrc.yaml -- $(OUT)/*.template.json
	@echo "cfn-lint: $$(ls $(OUT)/*.template.json | wc -l) templates, no findings"

ACTIONLINT ?= github.com/rhysd/actionlint/cmd/actionlint@v1.7.12
.PHONY: lint-workflows
lint-workflows: ## actionlint .github/workflows (built from the Go module proxy); part of vet, so of make test
	$(GO) run $(ACTIONLINT)

kube-tools: ## build kube-apiserver, kube-scheduler, kube-controller-manager and kwok from the Go module proxy (cached outside the clone), install etcd
	hack/kube-tools.sh

vet: setup lint-workflows
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed: $$out" >&2; exit 1; fi
	$(GO) vet ./...

argo-tools: ## build bin/argovalidate (Argo Workflows' own validator) and bin/workflow-controller (Argo's controller, cached outside the clone; for the simulated-cluster tests)
	hack/argovalidate.sh
	hack/argo-controller.sh

hub-deps: ## install the Debian python3 packages JupyterHub's authenticator needs (the hub login test)
	hack/jupyterhub-deps.sh

moto:
	@command -v moto_server >/dev/null || { echo "moto_server is missing: pip install 'moto[server]'" >&2; exit 1; }

prefetch: ## download the Go modules of blueprint and (in the background, while blueprint compiles) of every tool build
	GO=$(GO) hack/prefetch.sh

# Everything the tests need, one after another; only the tools' module
# downloads run ahead, in the background (prefetch). (Built side by side with
# make -j4, a cold run was no faster on 2 cores: the compiles are CPU-bound
# and the downloads are short; docs/performance.md.) The order shares
# compiles: the Kubernetes build reuses blueprint's client packages, kwok
# Argo's (hack/kube-tools.sh aligns their module versions).
TOOLS = prefetch setup argo-tools kube-tools moto hub-deps

tools: $(TOOLS) ## build and install everything the tests need

# The CDK CLI the tests run (npx cdk synth) sends usage telemetry after each
# command by default, from a node process of its own; offline that only
# costs CPU and time (CDK_DISABLE_CLI_TELEMETRY, aws-cdk's
# lib/cli/telemetry/collect-telemetry.js).
TEST_ENV = BLUEPRINT_CHART_MIRROR=$(CHART_MIRROR) BLUEPRINT_UPSTREAM_SRC=$(UPSTREAM_SRC) BLUEPRINT_REQUIRE_KUBE=1 BLUEPRINT_REQUIRE_CDK_CLI=1 BLUEPRINT_REQUIRE_MOTO=1 BLUEPRINT_REQUIRE_ARGO=1 CDK_DISABLE_CLI_TELEMETRY=true

test: tools vet ## run every test (real synth, cfn-lint, cdk-nag, moto, API server, simulated cluster, Argo validation)
	$(TEST_ENV) GO=$(GO) hack/test.sh all

e2e: tools ## only the simulated-cluster end-to-end tests (real charts, scheduler, admission, kwok nodes, Argo's controller), side by side; each ends with its summary table
	$(TEST_ENV) GO=$(GO) hack/test.sh e2e

bench: setup kube-tools moto ## measured performance + modelled deploy critical path (docs/performance.md)
	hack/bench.sh

clean:
	rm -rf bin cdk.out .cache
