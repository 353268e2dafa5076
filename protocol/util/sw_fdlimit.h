/*
 * sw_fdlimit: raising the open-descriptor limit (RLIMIT_NOFILE) to what a
 * run needs, as far as the process may: the soft limit up to the hard
 * limit always; the hard limit too when the process is privileged (root or
 * CAP_SYS_RESOURCE), up to the kernel's fs.nr_open. Used by the swarm (one
 * descriptor per dedicated connection) and the emulator (one per accepted
 * connection).
 */
#ifndef SW_FDLIMIT_H
#define SW_FDLIMIT_H

#include <stddef.h>
#include <stdint.h>

struct sw_fdlimit {
	uint64_t want;                      /* asked for (capped at fs.nr_open) */
	uint64_t soft_before, hard_before;
	uint64_t soft, hard;                /* in effect after the call */
};

/*
 * Raises the soft limit to |want| descriptors (never lowers either limit),
 * raising the hard limit first when it is below |want| and the process may.
 * Fills |lim| and, when the limits changed or fall short, writes one line
 * into |msg| (|msglen| bytes; "" otherwise) saying what was raised, or what
 * could not be and why (privilege, fs.nr_open). Returns 0 when the soft
 * limit is now at least |want|, SW_ERR_STATE when it stays below (|lim|->soft
 * says how far it got), or SW_ERR_IO when the limits cannot be read.
 */
int sw_fdlimit_raise(uint64_t want, struct sw_fdlimit *lim, char *msg, size_t msglen);

#endif
