package main

import (
	"math"
	"regexp"
	"strconv"
	"testing"

	"transformers/chapters/internal/effect"
	"transformers/chapters/internal/golden"
	"transformers/chapters/internal/part2/part2test"
)

var tiny = []string{"-from-scratch", "-corpus-bytes", "20000", "-base-steps", "3", "-sft-steps", "2", "-d-model", "16", "-layers", "1", "-held", "3",
	"-rm-steps", "2", "-updates", "2", "-dpo-steps", "3", "-log-every", "1", "-n", "2"}

func TestRun(t *testing.T) {
	for _, extra := range [][]string{nil, {"-mean"}} {
		out := part2test.RunTest(t, run, append(append([]string{}, tiny...), extra...), "dpo.png")
		golden.Contains(t, out, "rewards/chosen", "rewards/accuracies", "best-of-2 (RM, T = 0.4)", "best: ", "PPO (greedy)", "DPO (greedy)")
		m := regexp.MustCompile(`DPO loss (\S+), ln 2 = \S+; rewards/margins (\S+)`).FindSubmatch(out)
		if m == nil {
			t.Fatal("no step-zero line")
		}
		if x, _ := strconv.ParseFloat(string(m[1]), 64); math.Abs(x-math.Ln2) > 1e-6 {
			t.Errorf("%v: step-zero loss %v, want ln 2", extra, x)
		}
		if x, _ := strconv.ParseFloat(string(m[2]), 64); x != 0 {
			t.Errorf("%v: step-zero margin %v, want 0", extra, x)
		}
		if n := len(regexp.MustCompile(`(?m)^\s+(SFT|best|PPO|DPO).*\d+\.\d%\s+\d+\.\d%\s+\d\.\d{3}\s+(—|[+-]\d+\.\d ± \d+\.\d)\s+\d+\.\d$`).FindAll(out, -1)); n != 5 {
			t.Errorf("%v: %d comparison rows, want 5", extra, n)
		}
		// One effect line each for best-of-N, PPO and DPO against SFT.
		if rs := effect.Lines(out); len(rs) != 3 || rs[2].Before != "SFT" || rs[2].N != 3 {
			t.Errorf("%v: effect lines %+v, want 3 against SFT on 3 prompts", extra, rs)
		}
	}
}

func TestBadFlags(t *testing.T) {
	part2test.BadFlags(t, run, []string{"-dpo-steps", "0"}, []string{"-beta", "0"}, []string{"-n", "0"}, []string{"-lr", "-1"}, []string{"-temp", "-0.5"})
}
