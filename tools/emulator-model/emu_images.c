/*
 * emu_images: release and OS images and what the service derives from them
 * (see emu_images.h). The lookups follow the two generations' version
 * handlers: October 2023 searched an in-memory list (exact openshift_version,
 * then major.minor), today's service queries its release table (exact
 * version for x.y.z, the latest of x.y otherwise).
 */
#include "emu_images.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sw_err.h"

#define REL(v, arch, tag, dflt)                                                                   \
	"{\"openshift_version\":\"" v "\",\"cpu_architecture\":\"" arch "\",\"cpu_architectures\":[\"" \
	arch "\"],\"url\":\"quay.io/openshift-release-dev/ocp-release:" v ".0-" tag "\",\"version\":\"" \
	v ".0\"" dflt "}"
#define OS(v, rhcos, arch, tag)                                                                   \
	"{\"openshift_version\":\"" v "\",\"cpu_architecture\":\"" arch "\",\"url\":\"https://mirror." \
	"openshift.com/pub/openshift-v4/" tag "/dependencies/rhcos/" v "/latest/rhcos-live." tag     \
	".iso\",\"version\":\"" rhcos "\"}"
#define BOTH_REL(v) REL(v, "x86_64", "x86_64", "") "," REL(v, "arm64", "aarch64", "")
#define BOTH_OS(v, r) OS(v, r, "x86_64", "x86_64") "," OS(v, r, "arm64", "aarch64")

const char emu_images_default_release[] =
	"[" BOTH_REL("4.13") "," BOTH_REL("4.14") "," BOTH_REL("4.15") "," BOTH_REL("4.16") ","
	BOTH_REL("4.17") "," BOTH_REL("4.18") "," BOTH_REL("4.19") "," BOTH_REL("4.20") ","
	BOTH_REL("4.21") "," REL("4.22", "x86_64", "x86_64", ",\"default\":true") ","
	REL("4.22", "arm64", "aarch64", "") "]";

const char emu_images_default_os[] =
	"[" BOTH_OS("4.13", "413.92.202307260246-0") "," BOTH_OS("4.14", "414.92.202310210434-0") ","
	BOTH_OS("4.15", "415.92.202402201450-0") "," BOTH_OS("4.16", "416.94.202406251923-0") ","
	BOTH_OS("4.17", "417.94.202410090854-0") "," BOTH_OS("4.18", "418.94.202502100215-0") ","
	BOTH_OS("4.19", "9.6.20250523-0") "," BOTH_OS("4.20", "9.6.20251015-0") ","
	BOTH_OS("4.21", "9.6.20260210-0") "," BOTH_OS("4.22", "9.6.20260601-0") "]";

/* Copies string member |key| of |o| into |out|; returns -1 when absent or empty. */
static int member(json_t *o, const char *key, char *out, size_t len)
{
	const char *s = json_string_value(json_object_get(o, key));
	if (!s || !*s)
		return -1;
	snprintf(out, len, "%s", s);
	return 0;
}

/* The service's NormalizeCPUArchitecture: aarch64 is arm64, empty is x86_64. */
static const char *norm_arch(const char *a)
{
	if (!a || !*a)
		return "x86_64";
	if (!strcmp(a, "aarch64"))
		return "arm64";
	return a;
}

/* Normalises the architecture in |a| in place. */
static void set_norm_arch(char *a, size_t len)
{
	char tmp[16];
	snprintf(tmp, sizeof(tmp), "%s", norm_arch(a));
	snprintf(a, len, "%s", tmp);
}

static json_t *parse_array(const char *text, const char *what, char *err, size_t errlen)
{
	json_error_t je;
	json_t *a = json_loads(text, 0, &je);
	if (!a) {
		snprintf(err, errlen, "%s: not JSON: %s (line %d, column %d)", what, je.text, je.line,
		         je.column);
		return NULL;
	}
	if (!json_is_array(a)) {
		json_decref(a);
		snprintf(err, errlen, "%s: expected a JSON array of objects", what);
		return NULL;
	}
	return a;
}

int emu_images_load(struct emu_images *im, const char *release_json, const char *os_json,
                    char *err, size_t errlen)
{
	json_t *ra, *oa, *e;
	size_t i;
	memset(im, 0, sizeof(*im));
	ra = parse_array(release_json ? release_json : emu_images_default_release, "release images",
	                 err, errlen);
	if (!ra)
		return SW_ERR_INVALID;
	oa = parse_array(os_json ? os_json : emu_images_default_os, "OS images", err, errlen);
	if (!oa) {
		json_decref(ra);
		return SW_ERR_INVALID;
	}
	im->rel = calloc(json_array_size(ra) ? json_array_size(ra) : 1, sizeof(*im->rel));
	im->os = calloc(json_array_size(oa) ? json_array_size(oa) : 1, sizeof(*im->os));
	if (!im->rel || !im->os) {
		json_decref(ra);
		json_decref(oa);
		emu_images_free(im);
		return SW_ERR_NOMEM;
	}
	json_array_foreach(ra, i, e) {
		struct emu_release_image *r = &im->rel[im->nrel];
		static const char *const req[] = {"cpu_architecture", "openshift_version", "url", "version"};
		char *dst[] = {r->cpu_architecture, r->openshift_version, r->url, r->version};
		size_t dl[] = {sizeof(r->cpu_architecture), sizeof(r->openshift_version), sizeof(r->url),
		               sizeof(r->version)};
		if (!json_is_object(e)) {
			snprintf(err, errlen, "release images[%zu]: expected an object", i);
			goto bad;
		}
		for (int k = 0; k < 4; k++)
			if (member(e, req[k], dst[k], dl[k]) < 0) {
				snprintf(err, errlen, "release images[%zu]: Missing value in ReleaseImage for "
				         "'%s' field", i, req[k]);
				goto bad;
			}
		set_norm_arch(r->cpu_architecture, sizeof(r->cpu_architecture));
		json_t *archs = json_object_get(e, "cpu_architectures"), *a;
		size_t k;
		json_array_foreach(archs, k, a) {
			if (json_is_string(a) && r->n_archs < EMU_IMAGE_ARCHS)
				snprintf(r->cpu_architectures[r->n_archs++], sizeof(r->cpu_architectures[0]),
				         "%s", norm_arch(json_string_value(a)));
		}
		/* Entries with the single field only get it as their list. */
		if (!r->n_archs)
			snprintf(r->cpu_architectures[r->n_archs++], sizeof(r->cpu_architectures[0]), "%s",
			         r->cpu_architecture);
		r->is_default = json_is_true(json_object_get(e, "default"));
		member(e, "support_level", r->support_level, sizeof(r->support_level));
		im->nrel++;
	}
	json_array_foreach(oa, i, e) {
		struct emu_os_image *o = &im->os[im->nos];
		if (!json_is_object(e) || member(e, "openshift_version", o->openshift_version,
		                                 sizeof(o->openshift_version)) < 0) {
			snprintf(err, errlen, "OS images[%zu]: Missing openshift_version in OsImage", i);
			goto bad;
		}
		if (member(e, "url", o->url, sizeof(o->url)) < 0 ||
		    member(e, "version", o->version, sizeof(o->version)) < 0 ||
		    member(e, "cpu_architecture", o->cpu_architecture, sizeof(o->cpu_architecture)) < 0) {
			snprintf(err, errlen, "OS images[%zu]: Missing value in OSImage for '%s' field "
			         "(openshift version: %s)", i,
			         !o->url[0] ? "url" : !o->version[0] ? "version" : "cpu_architecture",
			         o->openshift_version);
			goto bad;
		}
		set_norm_arch(o->cpu_architecture, sizeof(o->cpu_architecture));
		im->nos++;
	}
	json_decref(ra);
	json_decref(oa);
	return 0;
bad:
	json_decref(ra);
	json_decref(oa);
	emu_images_free(im);
	return SW_ERR_INVALID;
}

void emu_images_free(struct emu_images *im)
{
	if (!im)
		return;
	free(im->rel);
	free(im->os);
	memset(im, 0, sizeof(*im));
}

/* ---- versions --------------------------------------------------------------------------- */

struct ver {
	long seg[3];
	int nseg;
	int pre;             /* has a "-..." prerelease part */
};

/* "4", "4.16", "4.16.3", "4.16.0-rc.1", "v4.16": returns 0 or -1. */
static int ver_parse(const char *s, struct ver *v)
{
	memset(v, 0, sizeof(*v));
	if (!s)
		return -1;
	if (*s == 'v')
		s++;
	while (*s >= '0' && *s <= '9' && v->nseg < 3) {
		char *end;
		v->seg[v->nseg++] = strtol(s, &end, 10);
		s = end;
		if (*s != '.')
			break;
		s++;
		if (!(*s >= '0' && *s <= '9'))
			return -1;
	}
	if (!v->nseg)
		return -1;
	if (*s == '-' || *s == '+') {
		v->pre = *s == '-';
		return s[1] ? 0 : -1;
	}
	return *s ? -1 : 0;
}

static int ver_cmp(const struct ver *a, const struct ver *b)
{
	for (int i = 0; i < 3; i++) {
		long x = i < a->nseg ? a->seg[i] : 0, y = i < b->nseg ? b->seg[i] : 0;
		if (x != y)
			return x < y ? -1 : 1;
	}
	return (b->pre ? 1 : 0) - (a->pre ? 1 : 0); /* a prerelease sorts before the release */
}

/* "major.minor" of |s| into |out|; -1 when it does not parse. */
static int major_minor(const char *s, char *out, size_t len)
{
	struct ver v;
	if (ver_parse(s, &v) < 0)
		return -1;
	snprintf(out, len, "%ld.%ld", v.seg[0], v.nseg > 1 ? v.seg[1] : 0L);
	return 0;
}

static int rel_has_arch(const struct emu_release_image *r, const char *arch)
{
	for (unsigned i = 0; i < r->n_archs; i++)
		if (!strcmp(r->cpu_architectures[i], arch))
			return 1;
	return !strcmp(r->cpu_architecture, arch);
}

static const char *support_level(const struct emu_release_image *r)
{
	if (r->support_level[0])
		return r->support_level;
	if (strstr(r->version, "-fc") || strstr(r->version, "-rc") || strstr(r->version, "nightly"))
		return "beta";
	return "production";
}

/* GetOsImage: exact openshift_version, then x.y, then the latest x.y.z of x.y. */
static const struct emu_os_image *os_image(const struct emu_images *im, const char *version,
                                           const char *arch, char *why, size_t whylen)
{
	const struct emu_os_image *best = NULL;
	struct ver bv, v;
	char mm[32], omm[32];
	int any = 0;
	arch = norm_arch(arch);
	for (size_t i = 0; i < im->nos; i++)
		any |= !strcmp(im->os[i].cpu_architecture, arch);
	if (!any) {
		snprintf(why, whylen, "The requested CPU architecture (%s) isn't specified in OS images list",
		         arch);
		return NULL;
	}
	for (size_t i = 0; i < im->nos; i++)
		if (!strcmp(im->os[i].cpu_architecture, arch) &&
		    !strcmp(im->os[i].openshift_version, version))
			return &im->os[i];
	if (major_minor(version, mm, sizeof(mm)) < 0) {
		snprintf(why, whylen, "Malformed version: %s", version);
		return NULL;
	}
	for (size_t i = 0; i < im->nos; i++)
		if (!strcmp(im->os[i].cpu_architecture, arch) && !strcmp(im->os[i].openshift_version, mm))
			return &im->os[i];
	for (size_t i = 0; i < im->nos; i++) {
		const struct emu_os_image *o = &im->os[i];
		if (strcmp(o->cpu_architecture, arch) || major_minor(o->openshift_version, omm,
		                                                      sizeof(omm)) < 0 || strcmp(omm, mm))
			continue;
		ver_parse(o->openshift_version, &v);
		if (!best || ver_cmp(&v, &bv) > 0) {
			best = o;
			bv = v;
		}
	}
	if (!best)
		snprintf(why, whylen, "The requested OS image for version (%s) and CPU architecture (%s) "
		         "isn't specified in OS images list", version, arch);
	return best;
}

const struct emu_release_image *emu_images_for_cluster(const struct emu_images *im,
                                                       const char *version, const char *arch,
                                                       int gen2023, char *why, size_t whylen)
{
	const struct emu_release_image *r = NULL;
	char inner[256] = "", mm[32], rmm[40];
	const char *a = norm_arch(arch);
	struct ver v, bv;
	version = version ? version : "";
	if (gen2023) {
		int any = 0;
		for (size_t i = 0; i < im->nrel; i++)
			any |= rel_has_arch(&im->rel[i], a);
		if (!any)
			snprintf(inner, sizeof(inner), "The requested CPU architecture (%s) isn't specified in "
			         "release images list", a);
		for (size_t i = 0; any && !r && i < im->nrel; i++)
			if (rel_has_arch(&im->rel[i], a) && !strcmp(im->rel[i].openshift_version, version))
				r = &im->rel[i];
		if (any && !r && major_minor(version, mm, sizeof(mm)) < 0)
			snprintf(inner, sizeof(inner), "Malformed version: %s", version);
		else
			for (size_t i = 0; any && !r && i < im->nrel; i++) {
				snprintf(rmm, sizeof(rmm), "%s", im->rel[i].openshift_version);
				char *multi = strstr(rmm, "-multi");
				if (multi && !multi[6])
					*multi = '\0';
				if (rel_has_arch(&im->rel[i], a) && !strcmp(rmm, mm))
					r = &im->rel[i];
			}
		if (any && !r && !inner[0])
			snprintf(inner, sizeof(inner), "The requested release image for version (%s) and CPU "
			         "architecture (%s) isn't specified in release images list", version, a);
	} else {
		int fmt = ver_parse(version, &v) == 0 ? v.nseg : 0;
		if (fmt < 2) {
			snprintf(inner, sizeof(inner), "invalid openshiftVersion '%s'. Expected format: "
			         "'major.minor' or 'major.minor.patch', optionally followed by a prerelease "
			         "identifier", version);
		} else if (fmt == 3) {
			for (size_t i = 0; !r && i < im->nrel; i++)
				if (rel_has_arch(&im->rel[i], a) && !strcmp(im->rel[i].version, version))
					r = &im->rel[i];
		} else {
			/* the latest of x.y, a released one before a beta */
			for (size_t i = 0; i < im->nrel; i++) {
				const struct emu_release_image *c = &im->rel[i];
				if (!rel_has_arch(c, a) || strcmp(c->openshift_version, version) ||
				    ver_parse(c->version, &v) < 0)
					continue;
				int cbeta = !strcmp(support_level(c), "beta");
				int rbeta = r && !strcmp(support_level(r), "beta");
				if (!r || (rbeta && !cbeta) || (rbeta == cbeta && ver_cmp(&v, &bv) > 0)) {
					r = c;
					bv = v;
				}
			}
		}
		if (!r && !inner[0])
			snprintf(inner, sizeof(inner), "no release image found for openshiftVersion: '%s' and "
			         "CPU architecture '%s'", version, a);
	}
	if (!r) {
		snprintf(why, whylen, "Openshift version %s for CPU architecture %s is not supported: %s",
		         version, arch && *arch ? arch : "x86_64", inner);
		return NULL;
	}
	if (gen2023 && !strcmp(support_level(r), "maintenance")) {
		snprintf(why, whylen, "Openshift version %s support level is: maintenance, and can't be "
		         "used for creating a new cluster", version);
		return NULL;
	}
	if (r->n_archs == 1 && !os_image(im, r->openshift_version, r->cpu_architectures[0], inner,
	                                 sizeof(inner))) {
		snprintf(why, whylen, "No OS images are available for version %s and architecture %s",
		         r->openshift_version, r->cpu_architectures[0]);
		return NULL;
	}
	return r;
}

const struct emu_os_image *emu_images_for_infraenv(const struct emu_images *im,
                                                   const char *version, const char *arch,
                                                   char *why, size_t whylen)
{
	char inner[256];
	const struct emu_os_image *o = NULL;
	if (!version || !*version) {
		/* the latest OS image of the architecture */
		struct ver v, bv;
		for (size_t i = 0; i < im->nos; i++) {
			if (strcmp(im->os[i].cpu_architecture, norm_arch(arch)) ||
			    ver_parse(im->os[i].openshift_version, &v) < 0)
				continue;
			if (!o || ver_cmp(&v, &bv) > 0) {
				o = &im->os[i];
				bv = v;
			}
		}
		if (!o)
			snprintf(why, whylen, "No OS images are available");
		return o;
	}
	o = os_image(im, version, arch, inner, sizeof(inner));
	if (!o)
		snprintf(why, whylen, "No OS image for Openshift version %s and architecture %s: %s",
		         version, arch && *arch ? arch : "x86_64", inner);
	return o;
}

json_t *emu_images_versions_json(const struct emu_images *im, int gen2023)
{
	json_t *out = json_object();
	char why[256];
	if (!out)
		return NULL;
	for (size_t i = 0; i < im->nrel; i++) {
		const struct emu_release_image *r = &im->rel[i];
		for (unsigned k = 0; k < r->n_archs; k++) {
			const char *arch = r->cpu_architectures[k];
			char display[64];
			/* a version and architecture are offered only with an OS image */
			if (!os_image(im, gen2023 ? r->openshift_version : r->version, arch, why, sizeof(why)))
				continue;
			snprintf(display, sizeof(display), "%s%s", r->version,
			         r->n_archs > 1 && !strstr(r->version, "-multi") ? "-multi" : "");
			const char *key = gen2023 ? r->openshift_version : display;
			json_t *e = json_object_get(out, key);
			if (!e) {
				e = json_pack("{s:s,s:s,s:[s]}", "display_name", display, "support_level",
				              support_level(r), "cpu_architectures", arch);
				if (!e || json_object_set_new(out, key, e) < 0) {
					json_decref(out);
					return NULL;
				}
			} else {
				json_t *archs = json_object_get(e, "cpu_architectures"), *x;
				size_t j;
				int dup = 0;
				json_array_foreach(archs, j, x) {
					dup |= !strcmp(json_string_value(x), arch);
				}
				if (!dup)
					json_array_append_new(archs, json_string(arch));
			}
			if (r->is_default)
				json_object_set_new(e, "default", json_true());
		}
	}
	return out;
}
