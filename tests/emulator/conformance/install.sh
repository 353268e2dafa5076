#!/bin/sh
# Installs the node modules of the conformance validator (CI calls this).
set -eu
cd "$(dirname "$0")"
if [ -f package-lock.json ]; then
	npm ci --no-audit --no-fund
else
	npm install --no-audit --no-fund
fi
