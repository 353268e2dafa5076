#!/bin/sh
# tools/observability/: promtool checks the rules, runs their unit tests
# and checks the example scrape config; the dashboard is valid JSON whose
# data source is the ${DS_PROMETHEUS} input.
set -eu
src=${SWARM_SOURCE_ROOT:?}
obs="$src/tools/observability"
command -v promtool >/dev/null 2>&1 || { echo "SKIP: promtool not installed"; exit 77; }
command -v jq >/dev/null 2>&1 || { echo "SKIP: jq not installed"; exit 77; }
cd "$obs"
promtool check rules prometheus-rules.yml
promtool test rules prometheus-rules.test.yml
promtool check config prometheus.yml
jq -e '.__inputs[0].name == "DS_PROMETHEUS" and
       ([.panels[] | select(.type != "row") | .datasource.uid] | unique == ["${DS_PROMETHEUS}"]) and
       ([.panels[].targets[]?.expr] | length >= 30)' grafana-dashboard.json >/dev/null ||
	{ echo "FAIL: dashboard data source or targets"; exit 1; }
echo "ok: rules, rule tests, scrape config and dashboard"
