package reason_test

import (
	"math/rand/v2"
	"strings"
	"testing"

	"transformers/reason"
)

// eager is a token stub that thinks "x" for want tokens after the last
// "<think>" or "Wait" and then proposes "</think>"; after thinking it writes
// "A:7" and stops.
func eager(want int) reason.TokenSampler {
	return reason.TokenSamplerFunc(func(text string, _ *rand.Rand) string {
		if i := strings.Index(text, "</think>"); i >= 0 {
			if strings.HasSuffix(text, "A:7") {
				return ""
			}
			return map[bool]string{true: "A:", false: "7"}[!strings.HasSuffix(text, "A:")]
		}
		last := max(strings.LastIndex(text, "<think>")+len("<think>"), strings.LastIndex(text, "Wait\n")+len("Wait\n"))
		if len(text)-last >= want {
			return "</think>"
		}
		return "x"
	})
}

func TestBudgetForcing(t *testing.T) {
	tests := []struct {
		name         string
		want         int // tokens the stub thinks before trying to stop
		b            reason.Budget
		think, waits int
		forced       bool
		thinking     string
	}{
		// No budget: the stub stops after 2 tokens.
		{"free", 2, reason.Budget{Max: 0}, 2, 0, false, "xx"},
		// Min 8: each early stop is replaced by "Wait\n" (1 token) and the
		// stub thinks 2 more: xx W xx W xx is 8 tokens, the third stop is
		// accepted: 2 Waits.
		{"min 8", 2, reason.Budget{Min: 8, MaxWaits: 10}, 8, 2, false, "xxWait\nxxWait\nxx"},
		// Min 9 needs a third Wait: 11 tokens.
		{"min 9", 2, reason.Budget{Min: 9, MaxWaits: 10}, 11, 3, false, "xxWait\nxxWait\nxxWait\nxx"},
		// The Wait cap holds: at most 1 Wait even though Min is not met.
		{"max 1 wait", 2, reason.Budget{Min: 8, MaxWaits: 1}, 5, 1, false, "xxWait\nxx"},
		// Max 3 on a stub that wants 5: thinking is cut and </think> forced.
		{"max 3", 5, reason.Budget{Max: 3}, 3, 0, true, "xxx"},
		// Both: Waits extend, then Max cuts in the middle of an extension.
		{"min 6 max 7", 2, reason.Budget{Min: 6, Max: 7, MaxWaits: 10}, 7, 2, true, "xxWait\nxxWait\nx"},
	}
	for _, tt := range tests {
		b := tt.b
		b.Wait, b.End, b.AnswerTokens = "Wait\n", "</think>", 5
		tr := b.Generate(eager(tt.want), "3+4 think\n<think>", rand.New(rand.NewPCG(1, 1)))
		if tr.ThinkTokens != tt.think || tr.WaitsInserted != tt.waits || tr.ForcedEnd != tt.forced {
			t.Errorf("%s: think %d waits %d forced %v; want %d %d %v", tt.name, tr.ThinkTokens, tr.WaitsInserted, tr.ForcedEnd, tt.think, tt.waits, tt.forced)
		}
		if want := tt.thinking + "</think>A:7"; tr.Text != want {
			t.Errorf("%s: text %q, want %q", tt.name, tr.Text, want)
		}
		if got := strings.Count(tr.Text, "Wait"); got != tr.WaitsInserted {
			t.Errorf("%s: %d Waits in the text but %d counted", tt.name, got, tr.WaitsInserted)
		}
	}
}
