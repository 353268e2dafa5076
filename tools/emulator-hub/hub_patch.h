/*
 * hub_patch: the three patch formats of the Kubernetes API on jansson
 * documents: JSON merge patch (RFC 7386, application/merge-patch+json),
 * JSON patch (RFC 6902, application/json-patch+json) and the subset of
 * strategic merge patch (application/strategic-merge-patch+json) that
 * kubectl sends for the built-in kinds the hub serves: maps merge, lists
 * replace except metadata.finalizers (merged as a set) and
 * metadata.ownerReferences (merged by uid), with the $patch, $retainKeys,
 * $deleteFromPrimitiveList and $setElementOrder directives. No I/O.
 */
#ifndef HUB_PATCH_H
#define HUB_PATCH_H

#include <jansson.h>
#include <stddef.h>

/* Applies merge patch |patch| to |*doc| (replaced when the patch is not an
 * object). Never fails (aborts on OOM). */
void hub_patch_merge(json_t **doc, const json_t *patch);

/* Applies JSON patch |ops| (an array) to |*doc|. Returns 0; SW_ERR_PARSE when
 * |ops| is not a valid patch document (400); SW_ERR_STATE when an operation
 * cannot apply (missing path, failed test: 422), with a message in |err|.
 * |*doc| may be partly changed on error: apply to a copy. */
int hub_patch_json(json_t **doc, const json_t *ops, char *err, size_t errlen);

/* Applies strategic merge patch |patch| (an object) to |*doc|. Returns 0 or
 * SW_ERR_PARSE with a message in |err| (bad directive). */
int hub_patch_strategic(json_t **doc, const json_t *patch, char *err, size_t errlen);

#endif
