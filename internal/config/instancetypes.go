package config

import "github.com/sqletl/blueprint/internal/instancetypes"

// checkGroupShape reports a node group whose (individually supported)
// instance types mix architectures or family kinds: one managed node group
// has one AMI, and AmiType follows from the architecture, so such a list
// would only fail at deploy time. Unknown types are reported per entry.
func checkGroupShape(v *validator, field string, types []string) {
	var known []string
	for _, t := range types {
		if _, ok := instancetypes.Lookup(t); ok {
			known = append(known, t)
		}
	}
	if len(known) < 2 {
		return
	}
	if err := instancetypes.CheckGroup(known); err != nil {
		v.add(field, "%s", err)
	}
}
