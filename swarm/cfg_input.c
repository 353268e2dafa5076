/*
 * cfg_input: bounded, non-blocking reads of configuration files and the
 * YAML pre-scan (see cfg_input.h).
 */
#include "cfg_input.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "sw_err.h"

static const char *file_kind(mode_t m)
{
	if (S_ISFIFO(m))
		return "a FIFO";
	if (S_ISDIR(m))
		return "a directory";
	if (S_ISCHR(m))
		return "a character device";
	if (S_ISBLK(m))
		return "a block device";
	if (S_ISSOCK(m))
		return "a socket";
	return "not a plain file";
}

/* Opens |path| for reading without blocking (a FIFO without a writer would
 * block open() itself) and refuses what is not a regular file. Returns the
 * descriptor (blocking again) or -1 with |err| set. */
static int open_regular(const char *path, char *err, size_t errlen)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);

	if (fd < 0) {
		snprintf(err, errlen, "cannot open: %s", strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0) {
		snprintf(err, errlen, "cannot open: %s", strerror(errno));
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "not a regular file (%s)", file_kind(st.st_mode));
		close(fd);
		return -1;
	}
	/* Regular files ignore O_NONBLOCK; cleared all the same. */
	int fl = fcntl(fd, F_GETFL);
	if (fl >= 0)
		(void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	return fd;
}

int cfg_input_check_file(const char *path, char *err, size_t errlen)
{
	int fd = open_regular(path, err, errlen);

	if (fd < 0)
		return SW_ERR_INVALID;
	close(fd);
	return 0;
}

int cfg_input_read(const char *path, size_t cap, char **out, size_t *len, char *err, size_t errlen)
{
	size_t size = 0, alloc = 64 * 1024;
	char *buf;
	int fd = open_regular(path, err, errlen);

	*out = NULL;
	*len = 0;
	if (fd < 0)
		return SW_ERR_INVALID;
	buf = malloc(alloc + 1);
	if (!buf) {
		close(fd);
		return SW_ERR_NOMEM;
	}
	for (;;) {
		if (size == alloc) {
			if (alloc > cap) {
				free(buf);
				close(fd);
				snprintf(err, errlen, "larger than %zu bytes", cap);
				return SW_ERR_TOO_BIG;
			}
			size_t nalloc = alloc * 2 > cap + 1 ? cap + 1 : alloc * 2;
			char *nb = realloc(buf, nalloc + 1);
			if (!nb) {
				free(buf);
				close(fd);
				return SW_ERR_NOMEM;
			}
			buf = nb;
			alloc = nalloc;
		}
		ssize_t got = read(fd, buf + size, alloc - size);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			snprintf(err, errlen, "read error: %s", strerror(errno));
			free(buf);
			close(fd);
			return SW_ERR_IO;
		}
		if (got == 0)
			break;
		size += (size_t)got;
	}
	close(fd);
	if (size > cap) {
		free(buf);
		snprintf(err, errlen, "larger than %zu bytes", cap);
		return SW_ERR_TOO_BIG;
	}
	buf[size] = '\0';
	*out = buf;
	*len = size;
	return 0;
}

static int at_mark(char *err, size_t errlen, const char *path, const yaml_mark_t *m, const char *what)
{
	snprintf(err, errlen, "%s:%u:%u: %s", path, (unsigned)m->line + 1, (unsigned)m->column + 1, what);
	return SW_ERR_INVALID;
}

int cfg_input_yaml_check(const char *path, const char *data, size_t len, char *err, size_t errlen)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	unsigned depth = 0, docs = 0;
	size_t nodes = 0;
	int rv = 0, done = 0;
	char what[160];

	/* libyaml refuses control bytes too, but always "at 1:1": find the
	 * first one (YAML allows tab, LF and CR only) and say where it is. */
	for (size_t i = 0, line = 1, col = 1; i < len; i++, col++) {
		unsigned char ch = (unsigned char)data[i];
		if (ch == '\n') {
			line++;
			col = 0;
		} else if ((ch < 0x20 && ch != '\t' && ch != '\r') || ch == 0x7f) {
			snprintf(err, errlen, "%s:%zu:%zu: a control character (0x%02x) in the file", path,
			         line, col, ch);
			return SW_ERR_PARSE;
		}
	}
	if (!yaml_parser_initialize(&parser))
		return SW_ERR_NOMEM;
	yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);
	while (!done && rv == 0) {
		if (!yaml_parser_parse(&parser, &ev)) {
			if (parser.error == YAML_MEMORY_ERROR) {
				rv = SW_ERR_NOMEM;
				break;
			}
			snprintf(err, errlen, "%s:%u:%u: YAML syntax error: %s%s%s", path,
			         (unsigned)parser.problem_mark.line + 1,
			         (unsigned)parser.problem_mark.column + 1,
			         parser.problem ? parser.problem : "unknown", parser.context ? " " : "",
			         parser.context ? parser.context : "");
			rv = SW_ERR_PARSE;
			break;
		}
		switch (ev.type) {
		case YAML_DOCUMENT_START_EVENT:
			if (++docs > 1)
				rv = at_mark(err, errlen, path, &ev.start_mark,
				             "a second YAML document: a plan or service config is one document");
			break;
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			nodes++;
			if (++depth > CFG_INPUT_MAX_DEPTH) {
				snprintf(what, sizeof(what), "nested deeper than %d levels (lists and mappings)",
				         CFG_INPUT_MAX_DEPTH);
				rv = at_mark(err, errlen, path, &ev.start_mark, what);
			}
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			depth--;
			break;
		case YAML_SCALAR_EVENT:
			nodes++;
			if (memchr(ev.data.scalar.value, '\0', ev.data.scalar.length)) {
				snprintf(what, sizeof(what), "a NUL character in a value (byte %zu of it)",
				         (size_t)((const unsigned char *)memchr(ev.data.scalar.value, '\0',
				                                                ev.data.scalar.length) -
				                  ev.data.scalar.value) + 1);
				rv = at_mark(err, errlen, path, &ev.start_mark, what);
			}
			break;
		case YAML_ALIAS_EVENT:
			nodes++;
			break;
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		case YAML_NO_EVENT:
		case YAML_STREAM_START_EVENT:
		case YAML_DOCUMENT_END_EVENT:
		default:
			break;
		}
		if (rv == 0 && nodes > CFG_INPUT_MAX_NODES) {
			snprintf(what, sizeof(what), "more than %d YAML nodes (values, lists and mappings)",
			         CFG_INPUT_MAX_NODES);
			rv = at_mark(err, errlen, path, &ev.start_mark, what);
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	return rv;
}
