package arith

import (
	"strings"
	"testing"
)

func TestThinkStopWait(t *testing.T) {
	p := Problem{A: 478, B: 365, Op: Add, Format: Think}
	tests := []struct{ got, want string }{
		{p.ThinkStop(0), "<think>\n</think>\nA:843\n"},
		{p.ThinkStop(1), "<think>\n8+5+0=13 w3 c1\n</think>\nA:843\n"},
		{p.ThinkStop(3), p.Completion()},
		{p.ThinkWait(0), "<think>\nWait\n8+5+0=13 w3 c1\n7+6+1=14 w4 c1\n4+3+1=8 w8 c0\n</think>\nA:843\n"},
		{p.ThinkWait(2), "<think>\n8+5+0=13 w3 c1\n7+6+1=14 w4 c1\nWait\n4+3+1=8 w8 c0\n</think>\nA:843\n"},
		{p.ThinkWait(3), "<think>\n8+5+0=13 w3 c1\n7+6+1=14 w4 c1\n4+3+1=8 w8 c0\nWait\n</think>\nA:843\n"},
	}
	for i, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%d: got %q, want %q", i, tt.got, tt.want)
		}
	}
	// Every variant verifies, and a Wait trace's steps (Wait dropped) are
	// exactly the gold scratchpad.
	for k := 0; k <= len(p.GoldSteps()); k++ {
		for _, c := range []string{p.ThinkStop(k), p.ThinkWait(k)} {
			if !p.Verify(c) {
				t.Errorf("k=%d: %q does not verify", k, c)
			}
		}
		if got, want := strings.Join(ParseSteps(p.ThinkWait(k)), "|"), strings.Join(p.GoldSteps(), "|"); got != want {
			t.Errorf("k=%d: Wait trace steps %q, want %q", k, got, want)
		}
		if got := len(ParseSteps(p.ThinkStop(k))); got != k {
			t.Errorf("k=%d: stopped trace has %d steps", k, got)
		}
	}
	for _, k := range []int{-1, 4} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("ThinkStop(%d) did not panic", k)
				}
			}()
			p.ThinkStop(k)
		}()
	}
}
