/* Tests of the offered OpenShift versions (emu_images.h): RELEASE_IMAGES /
 * OS_IMAGES parsing and its errors, GET /v2/openshift-versions per
 * generation, and what cluster and infra-env registrations get or the
 * service's 400 reasons (both generations' messages). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "emu_images.h"
#include "sw_err.h"

static void test_defaults(void **state)
{
	(void)state;
	struct emu_images im;
	char err[256], why[512];
	assert_int_equal(emu_images_load(&im, NULL, NULL, err, sizeof(err)), 0);
	assert_int_equal(im.nrel, 20);
	assert_int_equal(im.nos, 20);
	/* the field run's single-node 4.13 is offered */
	const struct emu_release_image *r = emu_images_for_cluster(&im, "4.13", "x86_64", 1, why,
	                                                           sizeof(why));
	assert_non_null(r);
	assert_string_equal(r->url, "quay.io/openshift-release-dev/ocp-release:4.13.0-x86_64");
	assert_non_null(emu_images_for_cluster(&im, "4.13", "", 0, why, sizeof(why)));
	assert_non_null(emu_images_for_cluster(&im, "4.16", "aarch64", 0, why, sizeof(why)));
	/* current: keys are release versions; 2023: openshift versions */
	json_t *cur = emu_images_versions_json(&im, 0), *old = emu_images_versions_json(&im, 1);
	assert_int_equal(json_object_size(cur), 10);
	assert_int_equal(json_object_size(old), 10);
	json_t *e = json_object_get(cur, "4.22.0");
	assert_non_null(e);
	assert_true(json_is_true(json_object_get(e, "default")));
	assert_string_equal(json_string_value(json_object_get(e, "support_level")), "production");
	assert_int_equal(json_array_size(json_object_get(e, "cpu_architectures")), 2);
	assert_null(json_object_get(json_object_get(cur, "4.13.0"), "default"));
	assert_non_null(json_object_get(old, "4.13"));
	assert_string_equal(json_string_value(json_object_get(json_object_get(old, "4.13"),
	                                                      "display_name")), "4.13.0");
	json_decref(cur);
	json_decref(old);
	emu_images_free(&im);
}

static void test_refusals(void **state)
{
	(void)state;
	struct emu_images im;
	char err[256], why[512];
	assert_int_equal(emu_images_load(&im, NULL, NULL, err, sizeof(err)), 0);
	assert_null(emu_images_for_cluster(&im, "4.12", "x86_64", 0, why, sizeof(why)));
	assert_string_equal(why, "Openshift version 4.12 for CPU architecture x86_64 is not supported: "
	                         "no release image found for openshiftVersion: '4.12' and CPU "
	                         "architecture 'x86_64'");
	assert_null(emu_images_for_cluster(&im, "4.12", "x86_64", 1, why, sizeof(why)));
	assert_string_equal(why, "Openshift version 4.12 for CPU architecture x86_64 is not supported: "
	                         "The requested release image for version (4.12) and CPU architecture "
	                         "(x86_64) isn't specified in release images list");
	assert_null(emu_images_for_cluster(&im, "4", "x86_64", 0, why, sizeof(why)));
	assert_non_null(strstr(why, "invalid openshiftVersion '4'"));
	assert_null(emu_images_for_cluster(&im, "4.16", "ppc64le", 1, why, sizeof(why)));
	assert_non_null(strstr(why, "The requested CPU architecture (ppc64le) isn't specified in "
	                            "release images list"));
	/* x.y.z must exist as such today; 2023 fell back to x.y */
	assert_null(emu_images_for_cluster(&im, "4.16.3", "x86_64", 0, why, sizeof(why)));
	assert_non_null(emu_images_for_cluster(&im, "4.16.3", "x86_64", 1, why, sizeof(why)));
	assert_non_null(emu_images_for_cluster(&im, "4.16.0", "x86_64", 0, why, sizeof(why)));
	/* infra-envs need an OS image */
	assert_non_null(emu_images_for_infraenv(&im, "4.16", "x86_64", why, sizeof(why)));
	assert_non_null(emu_images_for_infraenv(&im, "", "x86_64", why, sizeof(why)));
	assert_null(emu_images_for_infraenv(&im, "4.9", "x86_64", why, sizeof(why)));
	assert_string_equal(why, "No OS image for Openshift version 4.9 and architecture x86_64: The "
	                         "requested OS image for version (4.9) and CPU architecture (x86_64) "
	                         "isn't specified in OS images list");
	emu_images_free(&im);
}

static void test_configured(void **state)
{
	(void)state;
	struct emu_images im;
	char err[256], why[512];
	static const char rel[] =
		"[{\"openshift_version\":\"4.14\",\"cpu_architecture\":\"x86_64\",\"url\":\"r/a:4.14.3\","
		"\"version\":\"4.14.3\",\"support_level\":\"maintenance\"},"
		"{\"openshift_version\":\"4.15\",\"cpu_architecture\":\"x86_64\",\"url\":\"r/a:4.15.0-rc.2\","
		"\"version\":\"4.15.0-rc.2\"},"
		"{\"openshift_version\":\"4.16\",\"cpu_architecture\":\"x86_64\",\"url\":\"r/a:4.16.1\","
		"\"version\":\"4.16.1\",\"default\":true}]";
	static const char os[] =
		"[{\"openshift_version\":\"4.14\",\"cpu_architecture\":\"x86_64\",\"url\":\"o\",\"version\":\"1\"},"
		"{\"openshift_version\":\"4.15\",\"cpu_architecture\":\"x86_64\",\"url\":\"o\",\"version\":\"1\"}]";
	assert_int_equal(emu_images_load(&im, rel, os, err, sizeof(err)), 0);
	/* maintenance: refused by the 2023 generation only */
	assert_null(emu_images_for_cluster(&im, "4.14", "x86_64", 1, why, sizeof(why)));
	assert_string_equal(why, "Openshift version 4.14 support level is: maintenance, and can't be used "
	                         "for creating a new cluster");
	assert_non_null(emu_images_for_cluster(&im, "4.14", "x86_64", 0, why, sizeof(why)));
	/* a release without an OS image is neither offered nor usable */
	assert_null(emu_images_for_cluster(&im, "4.16", "x86_64", 0, why, sizeof(why)));
	assert_string_equal(why, "No OS images are available for version 4.16 and architecture x86_64");
	json_t *v = emu_images_versions_json(&im, 0);
	assert_int_equal(json_object_size(v), 2);
	assert_string_equal(json_string_value(json_object_get(json_object_get(v, "4.15.0-rc.2"),
	                                                      "support_level")), "beta");
	assert_string_equal(json_string_value(json_object_get(json_object_get(v, "4.14.3"),
	                                                      "support_level")), "maintenance");
	json_decref(v);
	emu_images_free(&im);

	assert_int_equal(emu_images_load(&im, "{}", NULL, err, sizeof(err)), SW_ERR_INVALID);
	assert_string_equal(err, "release images: expected a JSON array of objects");
	assert_int_equal(emu_images_load(&im, "[", NULL, err, sizeof(err)), SW_ERR_INVALID);
	assert_non_null(strstr(err, "release images: not JSON"));
	assert_int_equal(emu_images_load(&im, "[{\"openshift_version\":\"4.1\",\"cpu_architecture\":"
	                                      "\"x86_64\",\"version\":\"4.1.0\"}]", NULL, err,
	                                 sizeof(err)), SW_ERR_INVALID);
	assert_string_equal(err, "release images[0]: Missing value in ReleaseImage for 'url' field");
	assert_int_equal(emu_images_load(&im, NULL, "[{\"openshift_version\":\"4.1\",\"url\":\"u\","
	                                            "\"version\":\"1\"}]", err, sizeof(err)),
	                 SW_ERR_INVALID);
	assert_non_null(strstr(err, "OS images[0]: Missing value in OSImage for 'cpu_architecture'"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_configured),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
