#!/usr/bin/env bash
# Installs what JupyterHub 5.5.0's authenticators need to import and run
# (../shared/upstream-src/README.md), so the hub login test runs JupyterHub's
# own SharedPasswordAuthenticator: Debian's python3 packages, with apt-get.
set -euo pipefail

pkgs=(python3 python3-tornado python3-traitlets python3-sqlalchemy python3-alembic python3-oauthlib
	python3-pamela python3-prometheus-client python3-certipy python3-jinja2)

if [ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import tornado, traitlets, sqlalchemy, alembic, oauthlib, pamela, prometheus_client, certipy, jinja2' 2>/dev/null; then
	exit 0
fi
command -v apt-get >/dev/null || { echo "apt-get is missing: install ${pkgs[*]} with your package manager" >&2; exit 1; }
sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)
"${sudo[@]}" apt-get install -y -q --no-install-recommends "${pkgs[@]}" >/dev/null ||
	{ "${sudo[@]}" apt-get update -q >/dev/null && "${sudo[@]}" apt-get install -y -q --no-install-recommends "${pkgs[@]}" >/dev/null; }
echo "installed ${pkgs[*]}"
