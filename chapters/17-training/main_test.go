package main

import (
	"regexp"
	"strconv"
	"testing"

	"transformers/chapters/internal/golden"
	"transformers/chapters/internal/part2/part2test"
)

func TestRun(t *testing.T) {
	out := part2test.RunTest(t, run, []string{"-steps", "12", "-batch", "4", "-warmup", "3", "-eval-every", "6", "-corpus-bytes", "20000", "-d-model", "32", "-layers", "1"}, "loss.png")
	golden.Contains(t, out, "Gradient accumulation is exact", "Before training: a sample", "After training: a sample", "model.safetensors")
	m := regexp.MustCompile(`max \|gradient difference\| over \d+ numbers: ([\d.e+-]+)`).FindSubmatch(out)
	if m == nil {
		t.Fatal("no accumulation line")
	}
	if d, _ := strconv.ParseFloat(string(m[1]), 64); d > 1e-6 {
		t.Errorf("accumulated gradient differs by %v", d)
	}
	// The schedule read back from the run equals nn.WarmupCosine on every row.
	for _, r := range regexp.MustCompile(`(?m)^\s+\d+ (\S+)\s+(\S+)$`).FindAllSubmatch(out, -1) {
		if string(r[1]) != string(r[2]) {
			t.Errorf("schedule row: used %s, WarmupCosine %s", r[1], r[2])
		}
	}
}

func TestBadFlags(t *testing.T) {
	part2test.BadFlags(t, run, []string{"-steps", "0"}, []string{"-d-model", "30"}, []string{"-lr", "-1"}, []string{"-accum", "0"})
}
