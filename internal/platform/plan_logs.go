package platform

import (
	"fmt"

	"github.com/sqletl/blueprint/internal/config"
	"github.com/sqletl/blueprint/internal/stackreg"
)

// PlanLogGroup is one log group a stack creates, with what happens to it
// on `down`.
type PlanLogGroup struct {
	stackreg.LogGroup
	StackName     string `json:"stackName"`
	RetentionDays int    `json:"retentionDays"`
	OnDown        string `json:"onDown"`
}

func planLogGroups(cfg *config.Config, reg *stackreg.Registry, external bool) []PlanLogGroup {
	onDown := "deleted with its stack"
	if cfg.Cluster.KeepLogs {
		onDown = "kept (cluster.keepLogs); deleted by down --delete-data"
	}
	var out []PlanLogGroup
	for _, g := range stackreg.LogGroups(cfg) {
		s := reg.Stack(g.Stack)
		if external && s.NeedsCluster {
			continue
		}
		out = append(out, PlanLogGroup{LogGroup: g, StackName: s.Name, RetentionDays: cfg.Cluster.LogRetentionDays, OnDown: onDown})
	}
	return out
}

// String is the plan line of g.
func (g PlanLogGroup) String() string {
	return fmt.Sprintf("%-44s %-18s %3d days  %s; %s", g.Name, g.StackName, g.RetentionDays, g.For, g.OnDown)
}
