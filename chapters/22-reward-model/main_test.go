package main

import (
	"regexp"
	"strconv"
	"testing"

	"transformers/chapters/internal/effect"
	"transformers/chapters/internal/golden"
	"transformers/chapters/internal/part2/part2test"
)

var tiny = []string{"-from-scratch", "-corpus-bytes", "20000", "-base-steps", "4", "-sft-steps", "2", "-d-model", "16", "-layers", "1", "-held", "4", "-rm-steps", "3"}

func TestRun(t *testing.T) {
	out := part2test.RunTest(t, run, tiny, "reward-model.png")
	if rs := effect.Lines(out); len(rs) != 1 || rs[0].N < 1 {
		t.Errorf("effect lines %+v, want one", rs)
	}
	golden.Contains(t, out, "Preference pairs", "Bradley–Terry loss", "RM step    3/3")
	m := regexp.MustCompile(`difference (\S+)\)`).FindSubmatch(out)
	if m == nil {
		t.Fatal("no padding line")
	}
	if d, _ := strconv.ParseFloat(string(m[1]), 64); d > 1e-5 {
		t.Errorf("padding changes the reward by %v", d)
	}
	// The held-out pairs: all, then each axis.
	for _, row := range []string{`all\s+\d+`, `correct\s+\d+`, `concise\s+\d+`} {
		if !regexp.MustCompile(`(?m)^\s+` + row + `\s+\d+\.\d%\s+-?\d+\.\d{3}\s+\d+\.\d{4}\s+\d+\.\d%`).Match(out) {
			t.Errorf("no row %s", row)
		}
	}
}

func TestBadFlags(t *testing.T) {
	part2test.BadFlags(t, run, []string{"-rm-steps", "0"}, []string{"-layers", "0"}, []string{"-seed", "x"})
}
