/*
 * cfg_input: the bounds on what the configuration loader reads, before any
 * YAML is built: files must be regular files (a FIFO, a device or a
 * directory given as plan, service config, pull secret, CA or client
 * certificate is refused at once instead of blocking the run for ever), at
 * most a given size, and a YAML text must be one document of at most
 * CFG_INPUT_MAX_NODES nodes nested at most CFG_INPUT_MAX_DEPTH deep, with
 * no NUL character in any scalar, nor a control byte in the text (libyaml's document loader takes time that
 * grows with the square of the nesting depth, and a NUL would cut a name
 * short). The YAML check streams libyaml events and stops at the first
 * excess, so a hostile file costs little. Errors name PATH (and LINE:COL).
 */
#ifndef SWARM_CFG_INPUT_H
#define SWARM_CFG_INPUT_H

#include <stddef.h>

#define CFG_INPUT_MAX_DEPTH 32         /* nested mappings and lists */
#define CFG_INPUT_MAX_NODES 200000     /* scalars, mappings, lists and aliases */

/*
 * Reads all of |path| (at most |cap| bytes) into a new NUL-terminated
 * buffer |*out| of |*len| bytes (the caller frees it). The file is opened
 * non-blocking and checked with fstat() before any read. Returns 0, or
 * SW_ERR_INVALID (cannot open: |err| has "cannot open: <reason>"; not a
 * regular file: "not a regular file (a FIFO)" or the kind), SW_ERR_TOO_BIG
 * (|err| "larger than CAP bytes"), SW_ERR_IO or SW_ERR_NOMEM. |err| holds
 * the reason without the path.
 */
int cfg_input_read(const char *path, size_t cap, char **out, size_t *len, char *err, size_t errlen);

/*
 * Checks that |path| names a regular file that can be opened for reading,
 * without blocking (for files another library opens: CA bundle, client
 * certificate and key). Returns 0, or SW_ERR_INVALID with the reason in
 * |err| as cfg_input_read() words it.
 */
int cfg_input_check_file(const char *path, char *err, size_t errlen);

/*
 * Streams the YAML text |data| (|len| bytes) of file |path| through
 * libyaml's event parser and refuses: a control byte other than tab, LF
 * and CR ("PATH:L:C: a control character (0x1b) in the file"), a syntax
 * error ("PATH:L:C: YAML syntax error: ..."), a second document, nesting deeper than
 * CFG_INPUT_MAX_DEPTH, more than CFG_INPUT_MAX_NODES nodes, a scalar with a
 * NUL character (the "\0" escape). Returns 0, SW_ERR_PARSE (control byte, syntax), SW_ERR_INVALID (a limit;
 * |err| starts "PATH:LINE:COL: ") or SW_ERR_NOMEM.
 */
int cfg_input_yaml_check(const char *path, const char *data, size_t len, char *err, size_t errlen);

#endif
