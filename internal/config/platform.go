package config

// Platform configures the in-cluster software (Helm releases).
// Owned by the in-cluster platform work; filled in there.
type Platform struct{}

func (p *Platform) setDefaults(c *Config) {}

func (p *Platform) validate(v *validator, c *Config) {}
