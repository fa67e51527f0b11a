package main

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"transformers/chapters/internal/effect"
	"transformers/chapters/internal/golden"
	"transformers/chapters/internal/part2/part2test"
)

var tiny = []string{"-digits", "1", "-train", "40", "-test", "8", "-sft-steps", "250", "-sft-batch", "8", "-d-model", "16", "-layers", "1",
	"-steps", "4", "-prompts", "2", "-group", "4", "-eval-k", "2", "-log-every", "2"}

// logRows parses the GRPO table: step, reward, frac_reward_zero_std,
// length, truncated, kl, clip_ratio, loss.
func logRows(t *testing.T, out []byte) [][]float64 {
	t.Helper()
	var rows [][]float64
	re := regexp.MustCompile(`(?m)^\s+(\d+)((?:\s+-?\d+\.\d+){7})\s*$`)
	for _, m := range re.FindAllSubmatch(out, -1) {
		row := []float64{}
		v, _ := strconv.Atoi(string(m[1]))
		row = append(row, float64(v))
		for _, f := range strings.Fields(string(m[2])) {
			x, err := strconv.ParseFloat(f, 64)
			if err != nil {
				t.Fatal(err)
			}
			row = append(row, x)
		}
		rows = append(rows, row)
	}
	return rows
}

func TestRun(t *testing.T) {
	for _, args := range [][]string{
		append(tiny, "-updates", "1", "-kl", "k3", "-agg", "seq"),
		append(tiny, "-updates", "1", "-kl", "k1", "-agg", "token", "-format", "steps", "-beta", "0"),
	} {
		out := part2test.RunTest(t, run, args, "reward.png", "kl.png", "length.png")
		golden.Contains(t, out, "frac_reward_zero_std", "Held-out accuracy before and after GRPO", "SFT + GRPO", "went wrong → right", "headline: held-out greedy accuracy")
		if rs := effect.Lines(out); len(rs) != 1 || rs[0].N != 8 {
			t.Errorf("effect lines %+v, want 1 over 8 held-out items", rs)
		}
		rows := logRows(t, out)
		// Printed steps: 1, every 2nd, and the last.
		var steps []int
		for _, r := range rows {
			steps = append(steps, int(r[0]))
		}
		if len(steps) != 3 || steps[0] != 1 || steps[1] != 2 || steps[2] != 4 {
			t.Fatalf("%v: logged steps %v, want [1 2 4]\n%s", args, steps, out)
		}
		for _, r := range rows {
			reward, zero, length, trunc, kl, clip := r[1], r[2], r[3], r[4], r[5], r[6]
			// 2 prompts × 4 samples: the reward is a multiple of 1/8 and the
			// zero-std fraction a multiple of 1/2; with every sample right
			// or every sample wrong, every group has zero std.
			if math.Abs(reward*8-math.Round(reward*8)) > 0.01 || reward < 0 || reward > 1 {
				t.Errorf("%v: reward %v is not k/8", args, reward)
			}
			if zero != 0 && zero != 0.5 && zero != 1 {
				t.Errorf("%v: frac_reward_zero_std %v is not 0, 1/2 or 1", args, zero)
			}
			if (reward == 0 || reward == 1) && zero != 1 {
				t.Errorf("%v: reward %v but frac_reward_zero_std %v", args, reward, zero)
			}
			if length < 1 || trunc < 0 || trunc > 1 {
				t.Errorf("%v: length %v, truncated %v", args, length, trunc)
			}
			// One update per batch: the old policy is the policy, ratio 1.
			if clip != 0 {
				t.Errorf("%v: clip_ratio %v with one update per batch", args, clip)
			}
			// Step 1: the policy is still the reference.
			if r[0] == 1 && kl != 0 {
				t.Errorf("%v: KL %v at step 1, want 0", args, kl)
			}
		}
	}
}

// TestRunSeveralUpdates: with μ = 3 the later updates on the same samples
// see ratios ≠ 1. The k1 penalty's gradient (β per token) is non-zero even
// where every advantage is 0, so the policy moves whatever the rewards.
func TestRunSeveralUpdates(t *testing.T) {
	out := part2test.RunTest(t, run, append(tiny, "-updates", "3", "-lr", "0.05", "-clip", "0.01", "-kl", "k1", "-beta", "1"), "reward.png")
	clipped := false
	for _, r := range logRows(t, out) {
		clipped = clipped || r[6] > 0
	}
	if !clipped {
		t.Errorf("clip_ratio 0 on every step with 3 updates, lr 0.05 and clip 0.01:\n%s", out)
	}
}

func TestBadFlags(t *testing.T) {
	part2test.BadFlags(t, run, []string{"-kl", "k4"}, []string{"-agg", "sentence"}, []string{"-group", "1"}, []string{"-prompts", "0"},
		[]string{"-steps", "0"}, []string{"-updates", "0"}, []string{"-clip", "0"}, []string{"-clip", "1.5"}, []string{"-beta", "-0.1"},
		[]string{"-lr", "0"}, []string{"-temperature", "0"}, []string{"-format", "think"}, []string{"-digits", "7"}, []string{"-sft-steps", "0"},
		[]string{"-d-model", "30"}, []string{"-eval-k", "0"})
}
