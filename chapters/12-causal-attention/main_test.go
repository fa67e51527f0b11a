package main

import (
	"regexp"
	"strconv"
	"testing"

	"transformers/chapters/internal/golden"
	"transformers/chapters/internal/part2/part2test"
)

func TestRun(t *testing.T) {
	out := part2test.RunTest(t, run, []string{"-samples", "4000"}, "weights.png")
	golden.Contains(t, out, "O[0] = V[0] exactly? true", "Var(q·k/√d)")
	// Scaled variance near 1 at every width, unscaled near d.
	rows := regexp.MustCompile(`(?m)^\s+(\d+)\s+([\d.]+)\s+([\d.]+)\s`).FindAllSubmatch(out, -1)
	if len(rows) != 5 {
		t.Fatalf("found %d variance rows", len(rows))
	}
	for _, r := range rows {
		d, _ := strconv.ParseFloat(string(r[1]), 64)
		raw, _ := strconv.ParseFloat(string(r[2]), 64)
		scaled, _ := strconv.ParseFloat(string(r[3]), 64)
		if scaled < 0.9 || scaled > 1.1 || raw < 0.9*d || raw > 1.1*d {
			t.Errorf("d=%v: Var(q·k) %v, scaled %v", d, raw, scaled)
		}
	}
	// The fused kernel's rounding may change with the engine; its agreement is
	// checked here and masked in the golden file.
	diff := regexp.MustCompile(`causal\)\| = (\S+) over`)
	m := diff.FindSubmatch(out)
	if m == nil {
		t.Fatal("no fused-attention check line")
	}
	if d, _ := strconv.ParseFloat(string(m[1]), 64); d > 1e-5 {
		t.Errorf("hand-made attention differs from the fused op by %v", d)
	}
	golden.Check(t, diff.ReplaceAll(out, []byte("causal)| = ROUNDING over")), "testdata/golden.txt")
}

func TestBadFlags(t *testing.T) {
	part2test.BadFlags(t, run, []string{"-t", "0"}, []string{"-d", "0"}, []string{"-samples", "1"}, []string{"-x"})
}
