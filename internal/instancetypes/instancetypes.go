// Package instancetypes is the table of EC2 instance types blueprint
// supports for its node groups: vCPU, memory, architecture and max pods,
// and the kubelet reservations an EKS node of that type makes. Config
// validation, the node groups' AMI type and the simulated cluster's nodes
// (internal/simcluster) all read this one table. It is a leaf package: no
// CDK, no AWS SDK.
package instancetypes

import (
	"fmt"
	"sort"
	"strings"
)

// Arch is a CPU architecture as Kubernetes labels it (kubernetes.io/arch).
type Arch string

const (
	AMD64 Arch = "amd64"
	ARM64 Arch = "arm64"
)

// Type is one EC2 instance type.
type Type struct {
	Name      string
	VCPU      int
	MemoryMiB int64
	Arch      Arch
	// MaxPods is the VPC CNI's limit without prefix delegation:
	// ENIs × (IPv4 addresses per ENI − 1) + 2, as listed in
	// awslabs/amazon-eks-ami templates/shared/runtime/eni-max-pods.txt.
	MaxPods int
	// Kind is the family's purpose (general, memory, compute): a node group
	// mixes sizes of one kind only, so the scheduler and the autoscaler see
	// one shape of node.
	Kind Kind
}

// Kind is an instance family's purpose, from the first letter of its name
// (m general purpose, r memory optimised, c compute optimised).
type Kind string

const (
	General Kind = "general purpose"
	Memory  Kind = "memory optimised"
	Compute Kind = "compute optimised"
)

// Family is the part before the dot ("m6i" of "m6i.xlarge").
func (t Type) Family() string { f, _, _ := strings.Cut(t.Name, "."); return f }

// Reserved is what the kubelet of an EKS AL2023 node keeps back from
// capacity: kube-reserved CPU and memory and the hard memory eviction
// threshold. Allocatable = capacity − Reserved.
type Reserved struct {
	CPUMillis      int64
	MemoryMiB      int64
	EvictionMemMiB int64
}

// KubeReserved applies EKS's own formula (awslabs/amazon-eks-ami,
// nodeadm/internal/kubelet/config.go: getCPUMillicoresToReserve,
// getMemoryMebibytesToReserve, and evictionHard memory.available<100Mi;
// the same numbers as the AL2 bootstrap.sh):
//   - CPU: 6% of the first core, 1% of the second, 0.5% of the third and
//     fourth, 0.25% of every core above four;
//   - memory: 11 MiB per pod of max pods, plus 255 MiB;
//   - eviction: 100 MiB of memory.
func (t Type) KubeReserved() Reserved {
	// In tenths of a millicore so 0.25% of a core (2.5m) stays exact.
	var tenths int64
	for core := 1; core <= t.VCPU; core++ {
		switch {
		case core == 1:
			tenths += 600
		case core == 2:
			tenths += 100
		case core <= 4:
			tenths += 50
		default:
			tenths += 25
		}
	}
	return Reserved{CPUMillis: tenths / 10, MemoryMiB: 11*int64(t.MaxPods) + 255, EvictionMemMiB: 100}
}

// AllocatableCPUMillis and AllocatableMemoryMiB are what the scheduler may
// place on a node of this type.
func (t Type) AllocatableCPUMillis() int64 {
	return int64(t.VCPU)*1000 - t.KubeReserved().CPUMillis
}

func (t Type) AllocatableMemoryMiB() int64 {
	r := t.KubeReserved()
	return t.MemoryMiB - r.MemoryMiB - r.EvictionMemMiB
}

// table: vCPU and memory from the EC2 instance type pages (docs.aws.amazon.com
// /ec2/latest/instancetypes/gp.html, mo.html, co.html); max pods from
// eni-max-pods.txt (see Type.MaxPods). xlarge and 2xlarge: 4 ENIs × 15 IPs
// → 58; large: 3 × 10 → 29; 4xlarge: 8 × 30 → 234.
var table = func() map[string]Type {
	m := map[string]Type{}
	type size struct {
		name    string
		vcpu    int
		maxPods int
	}
	add := func(arch Arch, families []string, sizes []size, gibPerVCPU int64) {
		kind := map[int64]Kind{4: General, 8: Memory, 2: Compute}[gibPerVCPU]
		for _, f := range families {
			for _, s := range sizes {
				name := f + "." + s.name
				m[name] = Type{Name: name, VCPU: s.vcpu, MemoryMiB: int64(s.vcpu) * gibPerVCPU * 1024, Arch: arch, MaxPods: s.maxPods, Kind: kind}
			}
		}
	}
	sizes := []size{
		{"large", 2, 29},
		{"xlarge", 4, 58},
		{"2xlarge", 8, 58},
		{"4xlarge", 16, 234},
	}
	// General purpose: 4 GiB per vCPU.
	add(AMD64, []string{"m5", "m5a", "m5d", "m6i", "m6a", "m6id", "m7i", "m7a"}, sizes, 4)
	add(ARM64, []string{"m6g", "m6gd", "m7g", "m7gd", "m8g"}, sizes, 4)
	// Memory optimised: 8 GiB per vCPU.
	add(AMD64, []string{"r5", "r5a", "r5d", "r5n", "r6i", "r6a", "r6id", "r7i", "r7a"}, sizes, 8)
	add(ARM64, []string{"r6g", "r6gd", "r7g", "r7gd", "r8g"}, sizes, 8)
	// Compute optimised: 2 GiB per vCPU.
	add(AMD64, []string{"c5", "c5a", "c6i", "c6a", "c7i", "c7a"}, sizes, 2)
	add(ARM64, []string{"c6g", "c7g", "c8g"}, sizes, 2)
	return m
}()

// Lookup returns the named type.
func Lookup(name string) (Type, bool) {
	t, ok := table[name]
	return t, ok
}

// Names lists every supported type, sorted.
func Names() []string {
	out := make([]string, 0, len(table))
	for n := range table {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// MustLookup is Lookup for types validation has already accepted.
func MustLookup(name string) Type {
	t, ok := Lookup(name)
	if !ok {
		panic(fmt.Sprintf("instancetypes: %q is not in the table; config validation should have rejected it", name))
	}
	return t
}
