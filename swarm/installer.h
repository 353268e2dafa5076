/*
 * installer: the emulated assisted-installer of one host, started once by
 * the `install` step (protocol/README.md §3.2, §5.3): reports the per-role
 * stage sequence with the real installer's progress_info (bootstrap, master,
 * worker, single-node), downloads bootstrap.ign / the host ignition, writes
 * "Writing image to disk NN%" every write_image_step_pct, waits where the
 * real one waits (bootstrap: two other masters rebooted, reporting Joined
 * for them; workers: two masters Done via `GET .../hosts?role=master`),
 * uploads host logs (A4) and finally reports Rebooting, after which the host
 * goes silent. Stage reports are sequential and fire-and-forget (errors and
 * 409s are counted by the stats and do not stop it).
 *
 * Also owns the host logs upload sequence (A4) used by the `logs-gather` step.
 */
#ifndef SWARM_INSTALLER_H
#define SWARM_INSTALLER_H

#include <stdint.h>
#include "agent.h"
#include "as_model.h"

struct swarm_cluster;
struct rt_call;
struct sw_resp;

/* Starts the installer of host |a| in role |role| (AS_ROLE_*). Does nothing
 * when one already ran. */
void installer_start(struct agent *a, enum as_stage_role role);
/* Stops and frees host |a|'s installer (stop-installation, cluster over).
 * Requests in flight complete without effect. NULL-safe on a->inst. */
void installer_stop(struct agent *a);
/* Runs the A4 host logs upload (logs-progress requested, multipart upload,
 * completed) unless one is already running for |a|. */
void installer_host_logs(struct agent *a);
/* Reports stage |st| with |info| ("" = omitted) for host |idx| of |cl| on
 * behalf of another component (bootstrap's Joined, controller's Joined/Done).
 * |done| (may be NULL) runs once with the outcome, from the loop, as for
 * rt_call_send(). Returns 0, or SW_ERR_INVALID when |idx| is not a host of
 * |cl| (then nothing is sent and |done| is not called). */
int installer_report_stage(struct swarm_cluster *cl, unsigned idx, int on_host_link,
                           enum as_stage st, const char *info,
                           void (*done)(struct rt_call *c, int err, const char *msg,
                                        struct sw_resp *resp),
                           uint64_t aux);

#endif
