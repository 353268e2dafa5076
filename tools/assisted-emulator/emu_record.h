/*
 * emu_record: the --record file: one JSON object per line per answered API
 * exchange (method, path, query, operation, status, request Content-Type
 * and Accept, request and response bodies, fault), appended as exchanges complete, for the conformance test
 * (tests/emulator/conformance). JSON bodies are kept verbatim as strings;
 * other bodies (multipart, octet-stream) are recorded by length only.
 * Writes through stdio with a large buffer: meant for tests, not for
 * 100k-host runs.
 */
#ifndef EMU_RECORD_H
#define EMU_RECORD_H

#include <stddef.h>

struct emu_record;

struct emu_record_entry {
	const char *method, *path, *query;
	const char *operation;      /* operationId or "unknown" */
	int status;                 /* 0 = reset */
	const char *fault;          /* NULL, "error" or "reset" */
	const char *auth_scheme;    /* scheme that authenticated, or NULL */
	const char *proto;          /* "h2", "h2c", "http/1.1" */
	const char *req_ctype;      /* may be NULL */
	const char *req_accept;     /* the request's Accept, may be NULL */
	const void *req_body;
	size_t req_len;
	const char *resp_ctype;     /* may be NULL */
	const void *resp_body;
	size_t resp_len;
};

/* Opens |path| for appending. Returns NULL and a message in |err| on failure.
 * Frees: emu_record_close(). */
struct emu_record *emu_record_open(const char *path, char *err, size_t errlen);
/* Flushes, closes and frees |*rp|; sets it to NULL. NULL-safe. */
void emu_record_close(struct emu_record **rp);

/* Appends one line. Returns 0, SW_ERR_NOMEM, or SW_ERR_IO when the write failed
 * (recording then stops: later calls return SW_ERR_IO at once). */
int emu_record_write(struct emu_record *r, const struct emu_record_entry *e);

/* Flushes buffered lines to the file. Returns 0 or SW_ERR_IO. */
int emu_record_flush(struct emu_record *r);

#endif
