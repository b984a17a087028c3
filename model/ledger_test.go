package model_test

import (
	"testing"

	"github.com/drainsim/drainsim/model"
)

// TestEveryDropReasonHasACause: each drop reason declares the causes it
// can have (a reason added without them would be owed to nobody, and
// no-loss-under-drain could not judge it), and DropNone has none.
func TestEveryDropReasonHasACause(t *testing.T) {
	if model.DropNone.Causes() != 0 {
		t.Errorf("DropNone has causes %b", model.DropNone.Causes())
	}
	for r := model.DropSlowConsumer; r <= model.DropReadLoopDead; r++ {
		if r.Causes() == 0 {
			t.Errorf("drop reason %s declares no cause", r)
		}
	}
	for c, want := range map[model.DropCause]string{model.CauseDrain: "drain", model.CauseApplication: "application",
		model.CauseFault: "fault", model.CauseServer: "server", model.CauseRunEnd: "run_end", 99: "cause(99)"} {
		if c.String() != want {
			t.Errorf("DropCause(%d) = %q, want %q", c, c.String(), want)
		}
	}
}
