package main

import (
	"regexp"
	"strconv"
	"testing"

	"transformers/chapters/internal/effect"
	"transformers/chapters/internal/golden"
	"transformers/chapters/internal/part2/part2test"
)

func TestRun(t *testing.T) {
	out := part2test.RunTest(t, run, []string{"-steps", "4", "-batch", "4", "-train", "40", "-test", "8", "-d-model", "16", "-layers", "1", "-digits", "2"}, "loss.png")
	golden.Contains(t, out, "Held-out accuracy, greedy decoding", "direct answer", "worked steps", "Where the formats disagree", "headline: direct")
	if rs := effect.Lines(out); len(rs) != 1 || rs[0].N != 8 {
		t.Errorf("effect lines %+v, want 1 over 8 held-out items", rs)
	}
	// The disagreement table accounts for every held-out problem.
	m := regexp.MustCompile(`direct right\s+(\d+)\s+(\d+)\n\s+direct wrong\s+(\d+)\s+(\d+)`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("no disagreement table:\n%s", out)
	}
	n := 0
	for _, s := range m[1:] {
		v, _ := strconv.Atoi(string(s))
		n += v
	}
	if n != 8 {
		t.Errorf("disagreement table sums to %d, want 8", n)
	}
}

func TestBadFlags(t *testing.T) {
	part2test.BadFlags(t, run, []string{"-steps", "0"}, []string{"-d-model", "30"}, []string{"-lr", "-1"}, []string{"-digits", "0"}, []string{"-digits", "9"}, []string{"-test", "0"})
}
