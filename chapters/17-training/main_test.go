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
	golden.Contains(t, out, "Gradient accumulation is exact", "Before training: a sample", "After training: a sample", "model.safetensors", "whitespace-separated words are words of the corpus", "Against the shipped base")
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

func TestWordRate(t *testing.T) {
	set := CorpusWords(`One day, Mia met Tom. "Where do you live?" asked Mia's dog.`)
	cases := []struct {
		sample       string
		known, total int
	}{
		{"One day, Mia met Tom.", 5, 5},
		{`"Where do you lave?" asked Mia's`, 5, 6},
		{"Mia's dgo met . Tom", 3, 4},
		{"", 0, 0},
	}
	for _, c := range cases {
		k, n, _ := WordRate(c.sample, set)
		if k != c.known || n != c.total {
			t.Errorf("WordRate(%q) = %d of %d, want %d of %d", c.sample, k, n, c.known, c.total)
		}
	}
}
