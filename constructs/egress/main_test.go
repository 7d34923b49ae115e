package egress_test

import (
	"testing"

	"github.com/sqletl/blueprint/internal/cdktest"
)

// TestMain ends jsii's kernel after the tests, and with it its temporary
// directory.
func TestMain(m *testing.M) { cdktest.Main(m) }
