package main

import (
	"regexp"
	"strconv"
	"testing"

	"transformers/chapters/internal/golden"
	"transformers/chapters/internal/part2/part2test"
)

func TestRun(t *testing.T) {
	out := part2test.RunTest(t, run, []string{"-steps", "5", "-batch", "4", "-train", "50", "-test", "4", "-samples", "4", "-k", "2", "-d-model", "16", "-layers", "1"}, "solve-rate.png")
	golden.Contains(t, out, "Sampling whole solutions", "tree, breadth-first", "tree, depth-first", "headline: one sample solves")
	// Sampling N whole solutions costs exactly N model calls per puzzle.
	for _, r := range regexp.MustCompile(`sample until verified N = (\d+)\s+[\d.]+ %\s+([\d.]+)`).FindAllSubmatch(out, -1) {
		n, _ := strconv.ParseFloat(string(r[1]), 64)
		c, _ := strconv.ParseFloat(string(r[2]), 64)
		if n != c {
			t.Errorf("N = %v costs %v calls", n, c)
		}
	}
	// Depth-first search never exceeds its proposal budget (samples × k = 8).
	m := regexp.MustCompile(`tree, depth-first\s+≤ 8 proposals\s+[\d.]+ %\s+([\d.]+)`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("no depth-first row:\n%s", out)
	}
	if c, _ := strconv.ParseFloat(string(m[1]), 64); c > 8+2 {
		t.Errorf("depth-first used %v proposals per puzzle, budget 8 (+ one expansion of k = 2)", c)
	}
}

func TestBadFlags(t *testing.T) {
	part2test.BadFlags(t, run, []string{"-steps", "0"}, []string{"-count", "1"}, []string{"-samples", "3"}, []string{"-k", "0"}, []string{"-temp", "-1"}, []string{"-target-max", "5"}, []string{"-steps", "0"})
}
