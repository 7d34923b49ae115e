package helmrelease

import (
	"testing"

	"github.com/sqletl/blueprint/internal/platform"
	"github.com/sqletl/blueprint/internal/stackreg"
)

// The volumes that hold users' data are found by down: the StorageClass
// (rendered from blueprint's chart) has the EBS CSI driver tag every
// volume it provisions with the deployment (tagSpecification_<n>,
// aws-ebs-csi-driver docs/tagging.md), both the hub database's claim and
// the users' home claims use that class, and the hub database's claim is
// the one down's ClaimData names (rendered from the real z2jh chart).
func TestUsersVolumesCarryTheDeploymentTag(t *testing.T) {
	const cfgYAML = "name: vt\n"
	var class map[string]any
	for _, o := range renderedObjects(t, cfgYAML, PlatformRelease) {
		if o["kind"] == "StorageClass" {
			class = o
		}
	}
	params, _ := class["parameters"].(map[string]any)
	if params["tagSpecification_1"] != stackreg.DeploymentTag+"=vt" {
		t.Errorf("StorageClass parameters %v, want tagSpecification_1: %s=vt", params, stackreg.DeploymentTag)
	}
	md, _ := class["metadata"].(map[string]any)
	if md["name"] != platform.HomeStorageClass {
		t.Errorf("StorageClass %v, want %s (what up's restored volumes name)", md["name"], platform.HomeStorageClass)
	}
	hubDB := false
	for _, o := range renderedObjects(t, cfgYAML, JupyterHubRelease) {
		md, _ := o["metadata"].(map[string]any)
		if o["kind"] != "PersistentVolumeClaim" {
			continue
		}
		spec, _ := o["spec"].(map[string]any)
		data, _ := platform.ClaimData("jupyter/" + md["name"].(string))
		if data == platform.DataHubDatabase && spec["storageClassName"] == platform.HomeStorageClass {
			hubDB = true
		}
	}
	if !hubDB {
		t.Error("the z2jh chart renders no hub database claim that down recognises, in the tagged StorageClass")
	}
	vals := hubChartValues(t, cfgYAML)
	su, _ := vals["singleuser"].(map[string]any)
	st, _ := su["storage"].(map[string]any)
	dyn, _ := st["dynamic"].(map[string]any)
	if dyn["storageClass"] != platform.HomeStorageClass {
		t.Errorf("home claims use storage class %v, want %s", dyn["storageClass"], platform.HomeStorageClass)
	}
	if tpl := dyn["pvcNameTemplate"]; tpl != nil && tpl != "" {
		t.Errorf("pvcNameTemplate is set (%v); down's ClaimData assumes KubeSpawner's default claim-{user_server}", tpl)
	}
}
