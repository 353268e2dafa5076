/*
 * emu_opmeta: what the swagger says about each operation's request, besides
 * its body schema (emu_schema.h): the media types it produces and consumes
 * (the real service negotiates them, protocol/README.md §1.1) and its path,
 * query, header and form parameters with their types, formats, enums and
 * whether they are required. Generated into emu_opmeta.c by
 * `gen_schema.py --ops` (committed), in the swagger's operation order, which
 * is the order of the route table (emu_routes.h): emu_op_metas[i] describes
 * routes[i]. Also holds the content negotiation of the service's framework
 * (go-openapi runtime), as pure functions. No allocation, no I/O.
 */
#ifndef EMU_OPMETA_H
#define EMU_OPMETA_H

#include <stddef.h>

enum emu_param_in { EMU_IN_PATH, EMU_IN_QUERY, EMU_IN_HEADER, EMU_IN_BODY, EMU_IN_FORM };

enum emu_param_type {
	EMU_PT_STRING, EMU_PT_INTEGER, EMU_PT_NUMBER, EMU_PT_BOOLEAN, EMU_PT_ARRAY, EMU_PT_FILE,
	EMU_PT_OBJECT, /* a body (schema) parameter */
};

struct emu_param_meta {
	const char *name;
	enum emu_param_in in;
	enum emu_param_type type;
	enum emu_param_type item_type;     /* arrays: the items' type */
	int required;
	const char *format;                /* "uuid", "mac", ... or NULL */
	const char *item_format;           /* arrays: the items' format, or NULL */
	const char *const *enums;          /* NULL-terminated allowed values, or NULL */
	const char *const *item_enums;     /* arrays: allowed item values, or NULL */
	const char *collection;            /* arrays: "csv" or "multi"; NULL otherwise */
	const char *schema;                /* body: the definition name, or NULL */
};

struct emu_op_meta {
	const char *operation;             /* operationId */
	const char *method;
	const char *path;                  /* template under the base path */
	const char *const *produces;       /* NULL-terminated */
	const char *const *consumes;       /* NULL-terminated */
	const struct emu_param_meta *params;
	size_t nparams;
};

extern const struct emu_op_meta emu_op_metas[];
extern const size_t emu_op_nmetas;

/* The metadata of operationId |name|, or NULL. */
const struct emu_op_meta *emu_op_meta_find(const char *name);

/* Content negotiation outcome (go-openapi runtime's BindValidRequest). */
enum emu_negotiate {
	EMU_NEG_OK = 0,
	EMU_NEG_BAD_CONTENT_TYPE = 400,    /* Content-Type does not parse (mime.ParseMediaType) */
	EMU_NEG_NOT_ACCEPTABLE = 406,      /* no produced type matches Accept */
	EMU_NEG_UNSUPPORTED = 415,         /* the body's type is not one the operation consumes */
};

/*
 * Negotiates one request the way the service's framework does, after
 * authentication and before its parameters are bound:
 *  - only when the request has a body (|has_body|): its Content-Type, absent
 *    meaning application/octet-stream, must parse as a media type (else 400
 *    "parsing Content-Type header from "X" failed, because mime: ...") and be
 *    one of |op|'s consumes, compared without parameters and case-insensitively,
 *    or match a wildcard "type/" + "*" there, or the full wildcard (else 415 "unsupported media type
 *    "T", only [A B] are allowed");
 *  - then Accept (|accept|, all Accept field values joined by ", ", NULL when
 *    absent) against |op|'s produces, as its NegotiateContentType does: no
 *    Accept (or nothing parseable in it) takes the first produced type;
 *    entries with q=0 never match; at equal q an exact (case-sensitive) match
 *    beats "type/" + "*", which beats the full wildcard; a request with a body falls back
 *    to its own media type when nothing matches, so only bodiless requests
 *    get 406 "unsupported media type requested, only [A] are available".
 * Writes the framework's message into |msg| (empty when EMU_NEG_OK).
 */
enum emu_negotiate emu_op_negotiate(const struct emu_op_meta *op, const char *content_type,
                                    int has_body, const char *accept, char *msg, size_t msglen);

/*
 * Go's mime.ParseMediaType, reduced to what negotiation needs: copies the
 * lower-cased "type/subtype" of |v| into |mt| (|mtlen| bytes). Returns 0, or
 * -1 with Go's reason ("mime: no media type", "mime: expected slash after
 * first token", "mime: expected token after slash", "mime: unexpected content
 * after media subtype", "mime: invalid media parameter", "mime: duplicate
 * parameter name") in |why|.
 */
int emu_mime_parse(const char *v, char *mt, size_t mtlen, const char **why);

#endif
