/*
 * emu_images: the OpenShift versions the emulated service offers, configured
 * the way a real deployment configures them: its RELEASE_IMAGES and
 * OS_IMAGES JSON (the same arrays as the service's environment variables).
 * Parses and checks them (the service's own "Missing value" rules), and
 * answers what the service derives from them per API generation
 * (protocol/README.md §3.4, §8): GET /v2/openshift-versions, the release
 * image of a cluster registration (or its 400 message), the OS image of an
 * infra-env registration. Pure data; no I/O.
 */
#ifndef EMU_IMAGES_H
#define EMU_IMAGES_H

#include <stddef.h>
#include <jansson.h>

#define EMU_IMAGE_ARCHS 4

struct emu_release_image {
	char openshift_version[32];    /* "4.16" (or "4.16-multi") */
	char version[48];              /* "4.16.0" */
	char url[200];
	char cpu_architecture[16];
	char cpu_architectures[EMU_IMAGE_ARCHS][16];
	unsigned n_archs;
	int is_default;
	char support_level[16];        /* "" = derived: beta for -rc/-fc/nightly, else production */
};

struct emu_os_image {
	char openshift_version[32];
	char cpu_architecture[16];
	char url[200];
	char version[48];
};

struct emu_images {
	struct emu_release_image *rel;
	size_t nrel;
	struct emu_os_image *os;
	size_t nos;
};

/* The defaults: x86_64 and arm64 release and OS images of OpenShift 4.13 to
 * 4.22 (4.22 the default), every one of them production. */
extern const char emu_images_default_release[];
extern const char emu_images_default_os[];

/*
 * Loads |release_json| and |os_json| (JSON arrays as in RELEASE_IMAGES and
 * OS_IMAGES; NULL = the defaults) into |im|. Returns 0, SW_ERR_NOMEM, or
 * SW_ERR_INVALID with a message in |err| naming the array, the entry and
 * the field ("release images[2]: Missing value in ReleaseImage for 'url' field").
 * Frees: emu_images_free().
 */
int emu_images_load(struct emu_images *im, const char *release_json, const char *os_json,
                    char *err, size_t errlen);
void emu_images_free(struct emu_images *im);

/*
 * The release image a cluster registration with |version| and |arch| (""
 * = x86_64) gets in generation 2023 (|gen2023|) or the current one, or
 * NULL with the service's 400 reason in |why| ("Openshift version 4.12 for
 * CPU architecture x86_64 is not supported: ..."; 2023 also refuses
 * maintenance versions; both refuse a version without an OS image).
 */
const struct emu_release_image *emu_images_for_cluster(const struct emu_images *im,
                                                       const char *version, const char *arch,
                                                       int gen2023, char *why, size_t whylen);

/* The OS image an infra-env of |version| ("" = the latest) and |arch| boots,
 * or NULL with the service's 400 reason in |why|. */
const struct emu_os_image *emu_images_for_infraenv(const struct emu_images *im,
                                                   const char *version, const char *arch,
                                                   char *why, size_t whylen);

/* The body of GET /v2/openshift-versions: keyed by openshift_version (2023)
 * or by release version (current), each with display_name, support_level,
 * cpu_architectures and default; only versions with an OS image. New
 * reference, or NULL on OOM. */
json_t *emu_images_versions_json(const struct emu_images *im, int gen2023);

#endif
