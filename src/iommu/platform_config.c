// SPDX-License-Identifier: MIT
/*
 * IOMMUSIM_DEVICES: parsing and the devices it makes. The whole list is
 * parsed before any device is made, so a typo anywhere leaves no half of
 * what was meant.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "iommu/platform_config.h"

static pthread_once_t configure_once = PTHREAD_ONCE_INIT;
/* Written once under configure_once, read-only afterwards. */
static struct device **configured;
static uint32_t configured_count;

/* The end of the item starting at p, before sep or the end of the text. */
static size_t item_len(const char *p, const char *end, char sep)
{
	const char *q = memchr(p, sep, (size_t)(end - p));

	return (size_t)((q ? q : end) - p);
}

static int parse_option(struct platform_device_spec *out, const char *opt,
			size_t len)
{
	const char *eq = memchr(opt, '=', len);

	if (!eq)
		return -EINVAL;
	return intel_iommu_config_set(&out->vtd, opt, (size_t)(eq - opt),
				      eq + 1, len - (size_t)(eq - opt) - 1);
}

int platform_parse_device_spec(const char *spec, size_t len,
			       struct platform_device_spec *out,
			       const char **bad, size_t *bad_len)
{
	const char *end = spec + len, *p = spec;
	size_t n = item_len(p, end, ',');

	*bad = p;
	*bad_len = n;
	if (n != 3 || memcmp(p, "vtd", 3))
		return -EINVAL;
	out->kind = PLATFORM_DEVICE_VTD;
	intel_iommu_config_default(&out->vtd);
	for (p += n; p < end; p += n) {
		p++; /* the ',' */
		n = item_len(p, end, ',');
		*bad = p;
		*bad_len = n;
		if (parse_option(out, p, n))
			return -EINVAL;
	}
	return 0;
}

static uint32_t count_specs(const char *list)
{
	uint32_t n = 1;

	for (const char *p = list; *p; p++)
		n += *p == ';';
	return n;
}

/* Every spec of list into specs (room for count_specs()): 0, or -EINVAL
 * after saying which item is wrong. */
static int parse_list(const char *list, struct platform_device_spec *specs)
{
	const char *end = list + strlen(list), *p = list, *bad;
	size_t n, bad_len;
	uint32_t i = 0;

	for (; p <= end; p += n + 1) {
		n = item_len(p, end, ';');
		if (!platform_parse_device_spec(p, n, &specs[i++], &bad,
						&bad_len))
			continue;
		fprintf(stderr,
			"iommusim: %s: bad device spec '%.*s' at '%.*s'; "
			"no devices configured\n",
			PLATFORM_DEVICES_ENV, (int)n, p, (int)bad_len, bad);
		return -EINVAL;
	}
	return 0;
}

static void add_devices(const struct platform_device_spec *specs,
			uint32_t count)
{
	int err;

	for (uint32_t i = 0; i < count; i++) {
		struct device *dev = intel_iommu_add_device(&specs[i].vtd, &err);

		if (!dev) {
			fprintf(stderr,
				"iommusim: %s: device %u could not be added "
				"(%s); the devices after it are missing\n",
				PLATFORM_DEVICES_ENV, i, strerror(-err));
			return;
		}
		configured[configured_count++] = dev;
	}
}

static void configure(void)
{
	const char *list = getenv(PLATFORM_DEVICES_ENV);
	struct platform_device_spec *specs;
	uint32_t count;

	if (!list || !*list)
		return;
	count = count_specs(list);
	specs = boot_calloc(count, sizeof(*specs));
	configured = boot_calloc(count, sizeof(*configured));
	if (!specs || !configured) {
		fprintf(stderr, "iommusim: %s: out of memory; no devices "
				"configured\n",
			PLATFORM_DEVICES_ENV);
		goto out_free;
	}
	if (!parse_list(list, specs))
		add_devices(specs, count);
out_free:
	free(specs);
	if (!configured_count) {
		free(configured);
		configured = NULL;
	}
}

void platform_configure(void)
{
	pthread_once(&configure_once, configure);
}

uint32_t platform_configured_count(void)
{
	platform_configure();
	return configured_count;
}

struct device *platform_get_configured_device(uint32_t n)
{
	struct device *dev;

	platform_configure();
	if (n >= configured_count)
		return NULL;
	dev = configured[n];
	get_device(dev);
	return dev;
}
