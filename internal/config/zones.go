package config

import "encoding/json"

// networkFields is Network without its methods, for marshalling.
type networkFields Network

// MarshalYAML leaves out placeholder zones: printed and read back, a
// defaulted config must still let `up` pick the account's zones.
func (n Network) MarshalYAML() (any, error) { return n.printable(), nil }

// MarshalJSON: see MarshalYAML.
func (n Network) MarshalJSON() ([]byte, error) { return json.Marshal(n.printable()) }

func (n Network) printable() networkFields {
	p := networkFields(n)
	if n.zonesDefaulted {
		p.AvailabilityZones = nil
	}
	return p
}
