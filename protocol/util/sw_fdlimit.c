/*
 * sw_fdlimit: see sw_fdlimit.h. fs.nr_open bounds what even root may set;
 * asking for more would fail the whole setrlimit(), so |want| is capped
 * first and the message says so.
 */
#include "sw_fdlimit.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "sw_err.h"

/* The kernel's ceiling for RLIMIT_NOFILE, or 0 when unknown. */
static uint64_t nr_open(void)
{
	FILE *f = fopen("/proc/sys/fs/nr_open", "r");
	unsigned long long v = 0;

	if (!f)
		return 0;
	if (fscanf(f, "%llu", &v) != 1)
		v = 0;
	fclose(f);
	return v;
}

static uint64_t lim_val(rlim_t r)
{
	return r == RLIM_INFINITY ? UINT64_MAX : (uint64_t)r;
}

int sw_fdlimit_raise(uint64_t want, struct sw_fdlimit *lim, char *msg, size_t msglen)
{
	struct rlimit rl;
	uint64_t ceiling = nr_open(), asked = want;
	char capped[96] = "";
	int hard_err = 0;

	memset(lim, 0, sizeof(*lim));
	if (msglen)
		msg[0] = '\0';
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
		snprintf(msg, msglen, "cannot read the descriptor limit: %s", strerror(errno));
		return SW_ERR_IO;
	}
	lim->soft = lim->soft_before = lim_val(rl.rlim_cur);
	lim->hard = lim->hard_before = lim_val(rl.rlim_max);
	if (ceiling && want > ceiling) {
		snprintf(capped, sizeof(capped), " (the kernel's fs.nr_open caps it at %llu)",
		         (unsigned long long)ceiling);
		want = ceiling;
	}
	lim->want = want;
	if (lim->soft >= want && !capped[0])
		return 0;
	if (lim->hard < want) {
		struct rlimit nl = {(rlim_t)want, (rlim_t)want};
		if (setrlimit(RLIMIT_NOFILE, &nl) == 0)
			lim->soft = lim->hard = want;
		else
			hard_err = errno;
	}
	if (lim->soft < want) {
		struct rlimit nl = {(rlim_t)(lim->hard < want ? lim->hard : want), rl.rlim_max};
		if (lim->soft < (uint64_t)nl.rlim_cur && setrlimit(RLIMIT_NOFILE, &nl) == 0)
			lim->soft = (uint64_t)nl.rlim_cur;
	}
	if (lim->soft >= want) {
		if (lim->hard != lim->hard_before)
			snprintf(msg, msglen, "descriptor limit raised from %llu to %llu, hard limit from "
			         "%llu (privileged)%s", (unsigned long long)lim->soft_before,
			         (unsigned long long)lim->soft, (unsigned long long)lim->hard_before, capped);
		else if (lim->soft != lim->soft_before)
			snprintf(msg, msglen, "descriptor limit raised from %llu to %llu%s",
			         (unsigned long long)lim->soft_before, (unsigned long long)lim->soft, capped);
		else
			snprintf(msg, msglen, "descriptor limit %llu%s", (unsigned long long)lim->soft,
			         capped);
		return asked > want ? SW_ERR_STATE : 0;
	}
	snprintf(msg, msglen, "descriptor limit: %llu wanted, %llu possible: the hard limit is %llu "
	         "and raising it needs root or CAP_SYS_RESOURCE (%s)%s",
	         (unsigned long long)want, (unsigned long long)lim->soft,
	         (unsigned long long)lim->hard, hard_err ? strerror(hard_err) : "not attempted", capped);
	return SW_ERR_STATE;
}
