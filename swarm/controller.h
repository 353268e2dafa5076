/*
 * controller: the emulated assisted-installer-controller of one cluster
 * (protocol/README.md §3.3, §6.3), started once the bootstrap (or the single
 * node) reported Rebooting: waits for the cluster (C1), reports Joined then
 * Done for every rebooted host (C3), polls until `finalizing` (C4), walks the
 * finalizing stages (C5), reports every monitored operator available
 * (C6/C7), uploads the ingress CA (C8), completes the installation (C9),
 * uploads its logs (C10) and watches the cluster until it is installed,
 * failed or cancelled (C11).
 */
#ifndef SWARM_CONTROLLER_H
#define SWARM_CONTROLLER_H

struct swarm_cluster;

/* Starts |cl|'s controller (once; later calls do nothing). */
void controller_start(struct swarm_cluster *cl);
/* Stops and frees |cl|'s controller; calls in flight complete without effect. NULL-safe. */
void controller_stop(struct swarm_cluster *cl);
/* Returns 1 when the controller saw the cluster end (installed/error/cancelled). */
int controller_finished(const struct swarm_cluster *cl);

#endif
