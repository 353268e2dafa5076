#include "inventory.h"

#include <stdio.h>
#include "sw_xalloc.h"

/* 32 GiB and a realistic "usable" figure (kernel reservations). */
#define INV_MEM_PHYS 34359738368ull
#define INV_MEM_USABLE 33285996544ull
#define INV_DISK_BYTES 214748364800ull

int inventory_disk_id(uint64_t serial, char *out, size_t len)
{
	return snprintf(out, len, "/dev/disk/by-id/wwn-0x5000c500%08x", (unsigned)(serial & 0xffffffffu));
}

char *inventory_build(const struct inventory_host *h, size_t *len)
{
	char disk_id[64];
	const char *arch = h->cpu_arch && *h->cpu_arch ? h->cpu_arch : "x86_64";
	unsigned ser = (unsigned)(h->serial & 0xffffffffu);
	char *buf;
	int n;
	size_t cap = 3072;

	inventory_disk_id(h->serial, disk_id, sizeof(disk_id));
	for (;;) {
		buf = xmalloc(cap);
		n = snprintf(buf, cap,
			"{\"hostname\":\"%s\","
			"\"bmc_address\":\"0.0.0.0\",\"bmc_v6address\":\"::/0\","
			"\"cpu\":{\"count\":16,\"frequency\":2400,\"architecture\":\"%s\","
			"\"model_name\":\"Intel(R) Xeon(R) Gold 6230 CPU @ 2.10GHz\","
			"\"flags\":[\"fpu\",\"vme\",\"de\",\"pse\",\"tsc\",\"msr\",\"pae\",\"mce\",\"cx8\","
			"\"apic\",\"sse\",\"sse2\",\"ssse3\",\"sse4_1\",\"sse4_2\",\"avx\",\"avx2\",\"vmx\",\"aes\"]},"
			"\"memory\":{\"physical_bytes\":%llu,\"usable_bytes\":%llu,"
			"\"physical_bytes_method\":\"dmidecode\"},"
			"\"disks\":[{\"id\":\"%s\",\"by_id\":\"%s\",\"name\":\"sda\",\"path\":\"/dev/sda\","
			"\"by_path\":\"/dev/disk/by-path/pci-0000:00:05.0-scsi-0:0:0:0\","
			"\"hctl\":\"0:0:0:0\",\"drive_type\":\"SSD\",\"size_bytes\":%llu,"
			"\"bootable\":true,\"removable\":false,\"is_installation_media\":false,"
			"\"model\":\"SSD 860 EVO\",\"vendor\":\"ATA\",\"serial\":\"S3Z%08X\","
			"\"wwn\":\"0x5000c500%08x\",\"smart\":\"\",\"has_uuid\":false,"
			"\"installation_eligibility\":{\"eligible\":true,\"not_eligible_reasons\":[]}}],"
			"\"interfaces\":[{\"name\":\"" INVENTORY_IFACE "\",\"type\":\"physical\","
			"\"mac_address\":\"%s\",\"ipv4_addresses\":[\"%s/%u\"],\"ipv6_addresses\":[],"
			"\"flags\":[\"up\",\"broadcast\",\"multicast\"],\"has_carrier\":true,\"mtu\":1500,"
			"\"speed_mbps\":10000,\"vendor\":\"0x1af4\",\"product\":\"0x0001\",\"biosdevname\":\"\","
			"\"client_id\":\"\"}],"
			"\"routes\":[{\"interface\":\"" INVENTORY_IFACE "\",\"destination\":\"0.0.0.0\","
			"\"gateway\":\"%s\",\"family\":2,\"metric\":100},"
			"{\"interface\":\"" INVENTORY_IFACE "\",\"destination\":\"%s\",\"gateway\":\"\","
			"\"family\":2,\"metric\":100}],"
			"\"system_vendor\":{\"manufacturer\":\"Red Hat\",\"product_name\":\"KVM\","
			"\"serial_number\":\"%08x\",\"virtual\":true},"
			"\"boot\":{\"current_boot_mode\":\"uefi\",\"secure_boot_state\":\"NotSupported\","
			"\"command_line\":\"BOOT_IMAGE=/images/pxeboot/vmlinuz coreos.liveiso=rhcos ignition.firstboot ignition.platform.id=metal\"},"
			"\"gpus\":[],\"tpm_version\":\"none\"}",
			h->hostname, arch, INV_MEM_PHYS, INV_MEM_USABLE, disk_id, disk_id,
			INV_DISK_BYTES, ser, ser, h->mac, h->ip, h->prefix, h->gateway, h->net_addr, ser);
		if (n >= 0 && (size_t)n < cap)
			break;
		free(buf);
		if (n < 0)
			n = 0;
		cap = (size_t)n + 1;
	}
	if (len)
		*len = (size_t)n;
	return buf;
}
