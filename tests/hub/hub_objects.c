#include "hub_objects.h"

#include <stdio.h>
#include <string.h>

json_t *hubobj_namespace(const char *name)
{
	return json_pack("{s:s,s:s,s:{s:s}}", "apiVersion", "v1", "kind", "Namespace", "metadata", "name", name);
}

json_t *hubobj_secret(const char *ns, const char *name)
{
	return json_pack("{s:s,s:s,s:{s:s,s:s},s:s,s:{s:s,s:s}}", "apiVersion", "v1", "kind", "Secret",
	                 "metadata", "name", name, "namespace", ns, "type", "Opaque", "data", "username",
	                 "YWRtaW4=", "password", "cGFzc3dvcmQ=");
}

static void mac_of(unsigned idx, unsigned nic, char out[18])
{
	snprintf(out, 18, "02:%02x:%02x:%02x:%02x:%02x", nic, (idx >> 24) & 0xff, (idx >> 16) & 0xff,
	         (idx >> 8) & 0xff, idx & 0xff);
}

static json_t *hardware(unsigned idx)
{
	char mac0[18], mac1[18], ip[32], host[32];
	mac_of(idx, 0, mac0);
	mac_of(idx, 1, mac1);
	snprintf(ip, sizeof(ip), "10.123.%u.%u", ((idx + 1) >> 8) & 0xff, (idx + 1) & 0xff);
	snprintf(host, sizeof(host), "host-%u", idx);
	return json_pack(
	    "{s:{s:s,s:s,s:s},s:{s:{s:s,s:s,s:s}},s:i,"
	    "s:[{s:s,s:s,s:s,s:s,s:i,s:b,s:i},{s:s,s:s,s:s,s:s,s:i,s:b,s:i}],"
	    "s:[{s:s,s:s,s:I,s:b,s:s,s:s,s:s,s:s,s:s}],"
	    "s:{s:s,s:s,s:i,s:f,s:[sssssss]},s:s}",
	    "systemVendor", "manufacturer", "Red Hat", "productName", "KVM (RHEL 7.6.0 PC (i440FX + PIIX, 1996))",
	    "serialNumber", "d4f2cbb8-6b1e-4a2d-9a57-c0ffee000001",
	    "firmware", "bios", "date", "04/01/2014", "vendor", "SeaBIOS", "version", "1.15.0-1.el9",
	    "ramMebibytes", 32768,
	    "nics", "name", "enp1s0", "model", "0x1af4 0x0001", "mac", mac0, "ip", ip, "speedGbps", 10,
	    "pxe", 1, "vlanId", 0,
	    "name", "enp2s0", "model", "0x1af4 0x0001", "mac", mac1, "ip", "", "speedGbps", 10, "pxe", 0,
	    "vlanId", 0,
	    "storage", "name", "/dev/vda", "rotational", "false", "sizeBytes", (json_int_t)128849018880ll,
	    "rotational", 0, "vendor", "0x1af4", "model", "QEMU HARDDISK", "serialNumber", "drive-scsi0-0-0-0",
	    "hctl", "0:0:0:0", "wwn", "0x50014ee2b5a1c3d4",
	    "cpu", "arch", "x86_64", "model", "Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz", "count", 16,
	    "clockMegahertz", 2000.0, "flags", "fpu", "vme", "de", "pse", "tsc", "msr", "vmx",
	    "hostname", host);
}

json_t *hubobj_bmh(const char *ns, const char *name, unsigned idx, int with_status)
{
	char mac[18], iso[256];
	mac_of(idx, 0, mac);
	snprintf(iso, sizeof(iso), "https://assisted-image-service.example.com/byapikey/eyJhbGciOiJFUzI1NiIs"
	         "InR5cCI6IkpXVCJ9.eyJpbmZyYV9lbnZfaWQiOiI%08x/4.16/x86_64/minimal.iso", idx);
	json_t *hw = hardware(idx);
	char *hwtext = json_dumps(hw, JSON_COMPACT);
	json_t *o = json_pack(
	    "{s:s,s:s,s:{s:s,s:s,s:{s:s,s:s,s:s,s:s},s:{s:s,s:s},s:[s]},"
	    "s:{s:b,s:s,s:{s:s,s:s,s:b},s:s,s:{s:s,s:s},s:s}}",
	    "apiVersion", "metal3.io/v1alpha1", "kind", "BareMetalHost",
	    "metadata", "name", name, "namespace", ns,
	    "annotations", "bmac.agent-install.openshift.io/role", idx % 4 ? "worker" : "master",
	    "inspect.metal3.io", "disabled", "inspect.metal3.io/hardwaredetails", hwtext,
	    "bmac.agent-install.openshift.io/hostname", "",
	    "labels", "infraenvs.agent-install.openshift.io", ns, "cluster.open-cluster-management.io/backup", "true",
	    "finalizers", "bmac.agent-install.openshift.io/deprovision",
	    "spec", "online", 1, "bootMACAddress", mac,
	    "bmc", "address", "redfish-virtualmedia://192.168.111.1:8000/redfish/v1/Systems/swarm",
	    "credentialsName", "bmc-secret", "disableCertificateVerification", 1,
	    "automatedCleaningMode", "disabled",
	    "image", "url", iso, "format", "live-iso",
	    "bootMode", "UEFI");
	free(hwtext);
	if (with_status) {
		json_t *st = json_pack(
		    "{s:i,s:s,s:s,s:b,s:i,s:s,s:{s:s,s:s,s:{s:s,s:s},s:s},s:{s:{s:s,s:s},s:s},"
		    "s:{s:{s:s,s:s},s:{s:s,s:s},s:{s:s,s:s}},s:s}",
		    "errorCount", 0, "errorMessage", "", "operationalStatus", "OK", "poweredOn", 1,
		    "provisioningFailCount", 0, "hardwareProfile", "unknown",
		    "provisioning", "ID", "2b5e3c0a-7f1d-4c61-9e27-6d5b1a0c0001", "state", "provisioned",
		    "image", "url", iso, "format", "live-iso", "bootMode", "UEFI",
		    "goodCredentials", "credentials", "name", "bmc-secret", "namespace", ns, "credentialsVersion", "12345",
		    "operationHistory", "register", "start", "2026-11-29T10:00:00Z", "end", "2026-11-29T10:00:05Z",
		    "inspect", "start", "2026-11-29T10:00:05Z", "end", "2026-11-29T10:00:06Z",
		    "provision", "start", "2026-11-29T10:01:00Z", "end", "2026-11-29T10:02:00Z",
		    "lastUpdated", "2026-11-29T10:02:00Z");
		json_object_set_new(st, "hardware", hw);
		json_object_set_new(o, "status", st);
	} else {
		json_decref(hw);
	}
	return o;
}

static json_t *condition(const char *type, const char *status, const char *reason, const char *msg)
{
	return json_pack("{s:s,s:s,s:s,s:s,s:s}", "type", type, "status", status, "reason", reason,
	                 "message", msg, "lastTransitionTime", "2026-11-29T10:05:00Z");
}

json_t *hubobj_agent(const char *ns, unsigned idx, int with_status)
{
	char name[40], mac0[18], mac1[18], host[32], ip[40];
	snprintf(name, sizeof(name), "%08x-6b1e-4a2d-9a57-c0ffee%06x", idx, idx & 0xffffff);
	mac_of(idx, 0, mac0);
	mac_of(idx, 1, mac1);
	snprintf(host, sizeof(host), "host-%u", idx);
	snprintf(ip, sizeof(ip), "10.123.%u.%u/16", ((idx + 1) >> 8) & 0xff, (idx + 1) & 0xff);
	json_t *o = json_pack(
	    "{s:s,s:s,s:{s:s,s:s,s:{s:s,s:s,s:s}},s:{s:b,s:{s:s,s:s},s:s,s:s,s:s}}",
	    "apiVersion", "agent-install.openshift.io/v1beta1", "kind", "Agent",
	    "metadata", "name", name, "namespace", ns,
	    "labels", "infraenvs.agent-install.openshift.io", ns, "agent-install.openshift.io/bmh", host,
	    "agent-install.openshift.io/clusterdeployment-namespace", ns,
	    "spec", "approved", 1, "clusterDeploymentName", "name", ns, "namespace", ns,
	    "role", idx % 4 ? "worker" : "master", "hostname", host, "installation_disk_id", "/dev/disk/by-id/wwn-0x50014ee2b5a1c3d4");
	if (!with_status)
		return o;
	json_t *inv = json_pack(
	    "{s:s,s:{s:s,s:s,s:s},s:{s:s,s:s,s:i,s:i,s:[sssss]},s:{s:I,s:I},"
	    "s:[{s:s,s:s,s:[s],s:[],s:s,s:i,s:[s]},{s:s,s:s,s:[],s:[],s:s,s:i,s:[s]}],"
	    "s:[{s:s,s:s,s:s,s:I,s:b,s:s,s:s,s:s,s:{s:b,s:[]}}],s:s}",
	    "hostname", host,
	    "systemVendor", "manufacturer", "Red Hat", "productName", "KVM", "serialNumber", name,
	    "cpu", "architecture", "x86_64", "modelName", "Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz",
	    "count", 16, "clockMegahertz", 2000, "flags", "fpu", "vme", "vmx", "sse4_2", "avx2",
	    "memory", "physicalBytes", (json_int_t)34359738368ll, "usableBytes", (json_int_t)33325109248ll,
	    "interfaces", "name", "enp1s0", "macAddress", mac0, "ipV4Addresses", ip, "ipV6Addresses",
	    "vendor", "0x1af4", "speedMbps", 10000, "flags", "up",
	    "name", "enp2s0", "macAddress", mac1, "ipV4Addresses", "ipV6Addresses", "vendor", "0x1af4",
	    "speedMbps", 10000, "flags", "up",
	    "disks", "id", "/dev/disk/by-id/wwn-0x50014ee2b5a1c3d4", "name", "vda", "path", "/dev/vda",
	    "sizeBytes", (json_int_t)128849018880ll, "bootable", 1, "driveType", "HDD", "vendor", "0x1af4",
	    "serial", "drive-scsi0-0-0-0", "installationEligibility", "eligible", 1, "notEligibleReasons",
	    "bmcAddress", "0.0.0.0");
	json_t *conds = json_array();
	json_array_append_new(conds, condition("SpecSynced", "True", "SyncOK", "The Spec has been successfully applied"));
	json_array_append_new(conds, condition("Connected", "True", "AgentIsConnected", "The agent's connection to the installation service is unimpaired"));
	json_array_append_new(conds, condition("RequirementsMet", "True", "AgentAlreadyInstalling", "The agent cannot begin the installation because it has already started"));
	json_array_append_new(conds, condition("Validated", "True", "ValidationsPassing", "The agent's validations are passing"));
	json_array_append_new(conds, condition("Installed", "False", "InstallationInProgress", "The installation is in progress: Host is installing"));
	json_array_append_new(conds, condition("Bound", "True", "Bound", "The agent is bound to a cluster deployment"));
	json_t *vals = json_object();
	static const char *const hv[] = {"connected", "has-inventory", "has-min-cpu-cores", "has-min-memory",
	                                 "has-min-valid-disks", "has-cpu-cores-for-role", "has-memory-for-role",
	                                 "hostname-unique", "hostname-valid", "belongs-to-machine-cidr",
	                                 "ntp-synced", "container-images-available", NULL};
	json_t *hw = json_array(), *net = json_array();
	for (size_t i = 0; hv[i]; i++) {
		char msg[128];
		snprintf(msg, sizeof(msg), "Validation %s of host %s passed", hv[i], host);
		json_array_append_new(i < 7 ? hw : net, json_pack("{s:s,s:s,s:s}", "id", hv[i], "status", "success",
		                                                  "message", msg));
	}
	json_object_set_new(vals, "hardware", hw);
	json_object_set_new(vals, "network", net);
	json_t *st = json_pack(
	    "{s:o,s:o,s:s,s:b,s:{s:s,s:s,s:i,s:[sssss],s:s,s:s},s:{s:s,s:s,s:s,s:s},s:o,s:[{s:s,s:s}]}",
	    "inventory", inv, "conditions", conds, "role", idx % 4 ? "worker" : "master", "bootstrap", idx % 4 == 0,
	    "progress", "currentStage", "Writing image to disk", "progressInfo", "45%", "installationPercentage", 45,
	    "progressStages", "Starting installation", "Installing", "Writing image to disk", "Rebooting", "Done",
	    "stageStartTime", "2026-11-29T10:06:00Z", "stageUpdateTime", "2026-11-29T10:07:00Z",
	    "debugInfo", "eventsURL", "https://assisted-service.example.com/api/assisted-install/v2/events?host_id=x",
	    "logsURL", "", "state", "installing-in-progress", "stateInfo", "Host is installing",
	    "validationsInfo", vals,
	    "ntpSources", "sourceName", "clock.example.com", "sourceState", "synced");
	json_object_set_new(o, "status", st);
	return o;
}
