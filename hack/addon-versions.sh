#!/usr/bin/env bash
# Prints, for every Kubernetes minor in internal/eksversions, the version
# EKS marks as default for each managed add-on blueprint installs, from
# `aws eks describe-addon-versions` (needs AWS credentials, read-only).
# Compare with internal/eksversions/eksversions.go and update the table,
# its sources and the date when they differ.
set -euo pipefail
cd "$(dirname "$0")/.."
minors=$(grep -oE '^\s+"1\.[0-9]+": \{' internal/eksversions/eksversions.go | grep -oE '1\.[0-9]+')
addons="vpc-cni kube-proxy coredns aws-ebs-csi-driver amazon-cloudwatch-observability"
echo "# aws eks describe-addon-versions, $(date -u +%Y-%m-%d), region ${AWS_REGION:-$(aws configure get region)}"
for m in $minors; do
  for a in $addons; do
    v=$(aws eks describe-addon-versions --kubernetes-version "$m" --addon-name "$a" \
      --query 'addons[].addonVersions[?compatibilities[?defaultVersion==`true`]].addonVersion' --output text)
    printf '%s\t%-34s %s\n' "$m" "$a" "${v:-(none)}"
  done
done
