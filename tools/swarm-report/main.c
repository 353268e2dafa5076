/*
 * swarm-report: command line (see rp.h and README "Report").
 *   swarm-report [--format html|markdown|junit] [-o FILE] RESULTS.json [MORE.json ...]
 * Output goes to FILE through a temporary file renamed into place (stdout
 * without -o). Exit codes: enum rp_exit.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rp.h"

#ifndef SWARM_VERSION
#define SWARM_VERSION "0.0.0"
#endif

static void usage(FILE *out)
{
	fprintf(out,
	        "Usage: swarm-report [OPTIONS] RESULTS.json [MORE.json ...]\n"
	        "\n"
	        "Renders swarm results files (schema_version %d) as one self-contained HTML page\n"
	        "of SVG charts (no JavaScript, no external assets), a Markdown summary or JUnit XML.\n"
	        "Two or more files are compared side by side (A, B, ...).\n"
	        "\n"
	        "Options:\n"
	        "  -o, --output FILE    write here (default: standard output)\n"
	        "  -f, --format FORMAT  html (default), markdown or junit\n"
	        "  -h, --help           show this help and exit\n"
	        "  -V, --version        show the version and exit\n"
	        "\n"
	        "Exit codes:\n"
	        "  0  written\n"
	        "  2  usage error\n"
	        "  3  a file cannot be read or is not JSON (e.g. truncated)\n"
	        "  4  a results file of another schema_version\n"
	        "  5  not a swarm results file (or a malformed member)\n"
	        "  6  the output cannot be written\n", RP_SCHEMA_VERSION);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"output", required_argument, NULL, 'o'},
		{"format", required_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	const char *out = NULL, *format = "html";
	struct rp_run runs[RP_MAX_FILES];
	size_t n = 0;
	char err[1024], tmp[4096];
	int code = RP_EXIT_OK;
	opterr = 0;
	for (;;) {
		int c = getopt_long(argc, argv, "o:f:hV", longopts, NULL);
		if (c == -1)
			break;
		switch (c) {
		case 'o':
			out = optarg;
			break;
		case 'f':
			format = optarg;
			break;
		case 'h':
			usage(stdout);
			return RP_EXIT_OK;
		case 'V':
			printf("swarm-report %s (results schema_version %d)\n", SWARM_VERSION, RP_SCHEMA_VERSION);
			return RP_EXIT_OK;
		default:
			fprintf(stderr, "swarm-report: option '%s' is unknown or needs an argument\n"
			        "Try 'swarm-report --help' for more information.\n", argv[optind - 1]);
			return RP_EXIT_USAGE;
		}
	}
	int (*render)(FILE *, struct rp_run *, size_t) = NULL;
	if (!strcmp(format, "html"))
		render = rp_html;
	else if (!strcmp(format, "markdown") || !strcmp(format, "md"))
		render = rp_markdown;
	else if (!strcmp(format, "junit"))
		render = rp_junit;
	else {
		fprintf(stderr, "swarm-report: --format: expected html, markdown or junit, got '%s'\n", format);
		return RP_EXIT_USAGE;
	}
	int nfiles = argc - optind;
	if (nfiles < 1 || nfiles > RP_MAX_FILES) {
		fprintf(stderr, "swarm-report: expected 1 to %d results files, got %d\n"
		        "Try 'swarm-report --help' for more information.\n", RP_MAX_FILES, nfiles);
		return RP_EXIT_USAGE;
	}
	for (int i = 0; i < nfiles; i++) {
		int rv = rp_load(&runs[n], argv[optind + i], (char)('A' + i), err, sizeof(err));
		if (rv != RP_EXIT_OK) {
			fprintf(stderr, "swarm-report: %s\n", err);
			rp_run_free(&runs[n]);
			code = rv;
			goto done;
		}
		n++;
	}
	FILE *f = stdout;
	if (out) {
		snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", out, (long)getpid());
		f = fopen(tmp, "w");
		if (!f) {
			fprintf(stderr, "swarm-report: %s: cannot write: %s\n", tmp, strerror(errno));
			code = RP_EXIT_OUTPUT;
			goto done;
		}
	}
	int rv = render(f, runs, n);
	if (out) {
		if (fclose(f) != 0)
			rv = -1;
		if (rv == 0 && rename(tmp, out) != 0)
			rv = -1;
		if (rv != 0) {
			fprintf(stderr, "swarm-report: %s: cannot write: %s\n", out, strerror(errno ? errno : EIO));
			unlink(tmp);
		}
	} else if (fflush(stdout) != 0) {
		rv = -1;
	}
	if (rv != 0)
		code = RP_EXIT_OUTPUT;
done:
	for (size_t i = 0; i < n; i++)
		rp_run_free(&runs[i]);
	return code;
}
