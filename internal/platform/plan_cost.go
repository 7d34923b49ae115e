package platform

import (
	"github.com/sqletl/blueprint/internal/assembly"
	"github.com/sqletl/blueprint/internal/cost"
)

// planCost estimates the monthly cost from the synthesized templates and
// the config. A failure to estimate is reported in the estimate, not as
// a failed plan: the checks are what plan gates on.
func (o *PlanOptions) planCost(asm *assembly.Assembly) *cost.Estimate {
	if o.Cost == nil {
		return nil
	}
	e, err := cost.ForPlan(o.Config, asm, *o.Cost)
	if err != nil {
		return &cost.Estimate{Region: o.Config.Region, Currency: "USD", Unavailable: err.Error()}
	}
	return e
}
