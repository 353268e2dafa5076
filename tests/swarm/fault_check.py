#!/usr/bin/env python3
"""Reconciles one fault-matrix run (tests/swarm/e2e_fault_matrix.sh): what the
swarm counted (its results file) against what the emulator says it injected
(its /debug/faults and /metrics). Prints one line per check; exit 1 when one
fails.

    fault_check.py CELL RESULTS.json FAULTS.json METRICS.txt PROTO

CELL names the faults of the run (errors, steps500, resets, goaway, latency,
tails, restarts, all); PROTO is h2 or http1.1. The rules, and why some are
not equalities:

* Every cluster installs, and the run passes (exit 0).
* Error faults: the swarm's answers with the injected status equal the
  emulator's error faults that reached the client, per operation and status.
  Each of those attempts is one error; the retries the swarm made after them
  are its http_<status> retries, never more than the errors.
* Resets: HTTP/2 resets reach the swarm as RST_STREAM, one transport error
  "reset" each. Over HTTP/1.1 a reset closes the connection: a request the
  server provably did not answer on a reused connection is re-sent by the
  client (retry conn_closed_before_response), any other is an error
  "closed"; their sum equals the resets.
* GOAWAY (graceful, every 50 requests): no request fails; the swarm counts
  as many GOAWAYs (HTTP/1.1: answers closing the connection) as the
  emulator sent (over h2: on how many connections it wrote one, for any
  reason, the injected ones included). Requests refused by a GOAWAY are
  re-sent (retry goaway): the emulator never served them (a stream above the
  announced last_stream_id is refused, not answered), so no emulator count
  matches them.
* Latency: no error at all.
* Without restarts, the emulator's requests equal the swarm's calls plus
  its conn_closed_before_response re-sends (the emulator saw and reset
  those requests; the swarm counts the re-send, not a second call).
* Restarts drop every connection like a crashed process. The emulator
  counts what it held (exchanges waiting for their reply, replies written
  but not sent, requests partly read); the swarm sees each of those fail
  (error closed/reset/goaway, or a re-send when the request provably was not
  processed), plus requests still in the kernel's buffers, which the
  emulator never read: so the swarm's count is at least the emulator's, not
  equal to it. An error reply the emulator had handed to its connection can
  still be lost by a restart: the injected-error equality then holds up to
  the replies the restart left unsent.
"""
import json
import sys

# emulator operationId -> the swarm's operation name (scenarios/RESULTS.md)
OPS = {
    "v2RegisterHost": "register_host", "v2GetNextSteps": "get_next_steps",
    "v2PostStepReply": "post_step_reply", "v2UpdateHostLogsProgress": "host_logs_progress",
    "V2UploadLogs": "upload_logs", "v2UpdateHostInstallProgress": "host_install_progress",
    "V2DownloadClusterFiles": "download_cluster_file",
    "v2DownloadHostIgnition": "download_host_ignition", "v2GetCluster": "get_cluster",
    "ListClusterHosts": "list_hosts", "v2ListHosts": "list_hosts",
    "v2UpdateClusterLogsProgress": "cluster_logs_progress",
    "v2UpdateClusterFinalizingProgress": "cluster_install_progress",
    "V2ListOfClusterOperators": "list_operators",
    "v2ReportMonitoredOperatorStatus": "report_operator",
    "v2UploadClusterIngressCert": "upload_ingress_cert",
    "v2CompleteInstallation": "complete_installation",
    "v2ListComponentVersions": "component_versions", "v2RegisterCluster": "register_cluster",
    "RegisterInfraEnv": "register_infraenv", "V2UpdateCluster": "update_cluster",
    "v2InstallCluster": "install_cluster",
}

failures = 0


def check(ok, what):
    global failures
    print(("ok: " if ok else "FAIL: ") + what)
    if not ok:
        failures += 1


def metric_sum(text, name, **labels):
    """Sum of the samples of |name| whose labels include |labels|."""
    total = 0.0
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        head, _, value = line.rpartition(" ")
        if all('%s="%s"' % (k, v) in head for k, v in labels.items()):
            total += float(value)
    return total


def main():
    cell, res_path, faults_path, metrics_path, proto = sys.argv[1:6]
    res = json.load(open(res_path))
    faults = json.load(open(faults_path))
    metrics = open(metrics_path).read()
    eps = res["endpoints"]
    tot = res["totals"]
    restarts = faults.get("restart", {})
    lost_by_restart = (restarts.get("exchanges_in_flight", 0) + restarts.get("replies_unsent", 0)
                       + restarts.get("requests_partial", 0))
    unsent = restarts.get("replies_unsent", 0)

    check(res["exit_code"] == 0 and tot["clusters_installed"] == tot["clusters_total"],
          "%s/%s: %d of %d clusters installed, exit %d" % (cell, proto, tot["clusters_installed"],
                                                          tot["clusters_total"], res["exit_code"]))

    def ep_status(op, code):
        return eps.get(op, {}).get("status_codes", {}).get(str(code), 0)

    def transport(name):
        return sum(e.get("transport_errors", {}).get(name, 0) for e in eps.values())

    def retries(reason):
        return sum(e.get("retries", {}).get(reason, 0) for e in eps.values())

    # --- error faults: per operation and status ---------------------------------------
    injected = {}   # (swarm op, status) -> count
    for op, kinds in faults.get("operations", {}).items():
        for code, n in kinds.get("error", {}).get("statuses", {}).items():
            key = (OPS.get(op, op), int(code))
            injected[key] = injected.get(key, 0) + n
    # every status an error fault can send, seen by the swarm
    codes = {c for (_, c) in injected} | {503, 500}
    swarm_codes = {}
    for op, e in eps.items():
        for code, n in e.get("status_codes", {}).items():
            if int(code) in codes:
                swarm_codes[(op, int(code))] = n
    keys = set(injected) | set(swarm_codes)
    exact = all(swarm_codes.get(k, 0) == injected.get(k, 0) for k in keys)
    n_inj = sum(injected.values())
    n_got = sum(swarm_codes.values())
    if unsent:
        check(n_got <= n_inj <= n_got + unsent,
              "error answers: %d injected, %d seen by the swarm (a restart left %d replies unsent)"
              % (n_inj, n_got, unsent))
    else:
        check(exact, "error answers per operation and status: %d injected, %d seen by the swarm%s"
              % (n_inj, n_got, "" if exact else " " + str(sorted(
                  (k, swarm_codes.get(k, 0), injected.get(k, 0)) for k in keys
                  if swarm_codes.get(k, 0) != injected.get(k, 0)))))
    for code in sorted(codes):
        r = retries("http_%d" % code)
        n = sum(v for (op, c), v in swarm_codes.items() if c == code)
        check(r <= n, "http_%d retries (%d) never exceed the %d answers" % (code, r, n))

    # --- resets ----------------------------------------------------------------------------
    resets = faults.get("totals", {}).get("reset", {}).get("injected", 0)
    if cell in ("resets", "all"):
        check(resets > 0, "resets were injected (%d)" % resets)
    if proto == "h2":
        seen = transport("reset")
        what = "resets: %d injected, %d RST_STREAM errors seen" % (resets, seen)
    else:
        seen = transport("closed") + retries("conn_closed_before_response")
        what = ("resets: %d injected, %d closed connections seen (%d errors + %d re-sends)"
                % (resets, seen, transport("closed"), retries("conn_closed_before_response")))
    if lost_by_restart or restarts.get("count", 0):
        # the restart's closes come on top (see the module comment)
        check(seen >= resets, what + " (restarts add their own)")
    else:
        check(seen == resets, what)

    # --- GOAWAY ------------------------------------------------------------------------------
    goaways = faults.get("goaway", {}).get("injected", 0)
    # (With restarts every 5 s, HTTP/1.1 connections rarely live to their
    # 50th request: all-together over HTTP/1.1 may send none.)
    if cell == "goaway" or (cell == "all" and proto == "h2"):
        check(goaways > 0, "GOAWAYs were sent (%d)" % goaways)
    # Over h2 the emulator also counts the GOAWAYs it sent for other reasons
    # (an idle or too slow connection, a protocol error): every one the swarm
    # received must be one of those, once per connection as the swarm counts.
    sent = goaways
    if proto == "h2":
        sent = int(metric_sum(metrics, "emulator_server_goaway_connections_total"))
        check(sent >= goaways, "GOAWAY connections (%d) include the injected GOAWAYs (%d)"
              % (sent, goaways))
    why = ("" if sent == goaways else
           " (%d injected; idle closes %d, header timeouts %d)"
           % (goaways, metric_sum(metrics, "emulator_server_idle_h2_closed_total"),
              metric_sum(metrics, "emulator_server_header_timeouts_total")))
    if not restarts.get("count", 0):
        check(tot.get("goaways", 0) == sent,
              "GOAWAYs: %d sent, %d received%s" % (sent, tot.get("goaways", 0), why))
    else:
        check(tot.get("goaways", 0) >= goaways,
              "GOAWAYs: %d sent, %d received (restarts may close with one too)"
              % (goaways, tot.get("goaways", 0)))

    # --- restarts ------------------------------------------------------------------------------
    if cell in ("restarts", "all"):
        check(restarts.get("count", 0) > 0, "restarts happened (%d)" % restarts.get("count", 0))
        failed = (transport("closed") + transport("reset") + transport("goaway")
                  + retries("conn_closed_before_response") + retries("not_sent")
                  + retries("goaway") + retries("refused_stream"))
        check(failed >= lost_by_restart + (resets if cell == "all" else 0),
              "restarts: the emulator lost %d exchanges, the swarm saw %d failed or re-sent"
              % (lost_by_restart, failed))

    # --- everything else: no error the emulator did not cause ---------------------------
    others = sum(n for e in eps.values() for name, n in e.get("transport_errors", {}).items()
                 if name not in ("closed", "reset", "goaway"))
    check(others == 0, "no transport error the faults did not cause (%d)" % others)
    if not restarts.get("count", 0):
        stray = transport("goaway") + transport("closed" if proto == "h2" else "reset")
        check(stray == 0, "no %s error without restarts (%d)"
              % ("closed or goaway" if proto == "h2" else "reset or goaway", stray))
    unexpected = 0
    which = []
    for op, e in eps.items():
        for code, n in e.get("status_codes", {}).items():
            c = int(code)
            # The API generation probe's 405 (or 404) is its answer, not an error.
            if op == "api_generation_probe" and c in (404, 405):
                continue
            if c >= 400 and c not in codes and c != 409:
                unexpected += n
                which.append("%s %d x%d" % (op, c, n))
    check(unexpected == 0, "no HTTP error the faults did not cause (%d%s)"
          % (unexpected, ": " + ", ".join(which) if which else ""))
    if cell in ("latency", "tails"):
        check(tot["errors"] == 0, "latency only: no error (%d)" % tot["errors"])
        lat = faults.get("totals", {}).get("latency", {}).get("injected", 0)
        check(lat > 0, "latency faults reached the client (%d)" % lat)

    # Every request the emulator answered (or reset) is one the swarm
    # counted: a call, or a re-send after a connection closed before the
    # answer (the emulator saw that request, the swarm counts it as a retry).
    # Restarts: replies the emulator lost are in neither count.
    emu_requests = metric_sum(metrics, "emulator_requests_total")
    if not restarts.get("count", 0):
        want = tot["requests"] + retries("conn_closed_before_response")
        check(emu_requests == want,
              "requests: the emulator answered %d, the swarm counted %d calls + %d re-sends"
              % (emu_requests, tot["requests"], retries("conn_closed_before_response")))
    print("info: swarm requests %d, errors %d, retries %d; emulator requests %d, faults %s, "
          "restart %s, goaways %d" % (tot["requests"], tot["errors"], tot.get("retries", 0),
                                      emu_requests, json.dumps(faults.get("totals", {})),
                                      json.dumps(restarts), goaways))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
