package main

import (
	"regexp"
	"strconv"
	"testing"

	"transformers/chapters/internal/effect"
	"transformers/chapters/internal/golden"
	"transformers/chapters/internal/part2/part2test"
)

var tiny = []string{"-from-scratch", "-corpus-bytes", "20000", "-base-steps", "3", "-sft-steps", "2", "-d-model", "16", "-layers", "1", "-held", "3", "-rm-steps", "2", "-updates", "2", "-log-every", "1"}

func TestRun(t *testing.T) {
	out := part2test.RunTest(t, run, tiny, "ppo.png", "reward-hacking.png")
	if rs := effect.Lines(out); len(rs) != 1 || rs[0].N < 1 {
		t.Errorf("effect lines %+v, want one", rs)
	}
	golden.Contains(t, out, "objective/scores", "policy/clipfrac_avg", "val/ratio", "Reward hacking", "biased RM score")
	// Step zero: ratio 1, nothing clipped, no KL.
	m := regexp.MustCompile(`val/ratio (\S+)  policy/clipfrac_avg (\S+)  policy/approxkl_avg (\S+)  objective/kl (\S+)`).FindSubmatch(out)
	if m == nil {
		t.Fatal("no step-zero line")
	}
	want := []float64{1, 0, 0, 0}
	for i, w := range want {
		if x, _ := strconv.ParseFloat(string(m[i+1]), 64); x != w {
			t.Errorf("step zero statistic %d = %v, want %v", i, x, w)
		}
	}
	// Two updates logged, with every column.
	if n := len(regexp.MustCompile(`(?m)^\s+[12](\s+-?\d+\.\d{3}){9}\s+\d+\.\d$`).FindAll(out, -1)); n != 2 {
		t.Errorf("%d update rows, want 2", n)
	}
}

func TestBadFlags(t *testing.T) {
	part2test.BadFlags(t, run, []string{"-updates", "0"}, []string{"-kl", "-1"}, []string{"-hack-kl", "0"}, []string{"-hack-lr", "0"}, []string{"-rm-steps", "0"})
}
