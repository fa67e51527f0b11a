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
	out := part2test.RunTest(t, run, []string{"-steps", "5", "-batch", "4", "-train", "50", "-test", "4", "-puzzles", "3", "-iters", "1,3", "-k", "2", "-d-model", "16", "-layers", "1", "-cache", ""}, "solve-rate.png")
	golden.Contains(t, out, "MCTS with PUCT", "oracle value is the exact solvability", "fresh first steps are all dead ends", "headline: at 3 iterations")
	if rs := effect.Lines(out); len(rs) != 1 || rs[0].N != 3 {
		t.Errorf("effect lines %+v, want 1 over 3 held-out items", rs)
	}
	rows := regexp.MustCompile(`(?m)^\s+(\d+)\s+([\d.]+) %\s+([\d.]+)\s+([\d.]+) %\s+(\d+)\s+([\d.]+) %\s+([\d.]+)\s+([\d.]+) %\s+(\d+)`).FindAllSubmatch(out, -1)
	if len(rows) != 2 {
		t.Fatalf("%d rows, want 2:\n%s", len(rows), out)
	}
	f := func(b []byte) float64 { x, _ := strconv.ParseFloat(string(b), 64); return x }
	for _, r := range rows {
		it := f(r[1])
		// Each iteration expands at most one node with K = 2 proposals and,
		// with rollouts, adds at most depth (5) rollout steps; the oracle
		// value adds no model calls.
		if c := f(r[3]); c < 1 || c > it*(2+5) {
			t.Errorf("%v iterations, rollout value: %v calls per puzzle", it, c)
		}
		if c := f(r[7]); c < 1 || c > it*2 {
			t.Errorf("%v iterations, oracle value: %v calls per puzzle, more than K per iteration", it, c)
		}
		// Best-of-N is run at the MCTS row's calls, rounded.
		for _, p := range [][2]int{{3, 5}, {7, 9}} {
			if c, n := f(r[p[0]]), f(r[p[1]]); n != max(1, float64(int(c+0.5))) {
				t.Errorf("%v iterations: best-of-N uses N = %v for %v MCTS calls", it, n, c)
			}
		}
	}
}

func TestParseIters(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []int
		ok   bool
	}{
		{"2,4,8", []int{2, 4, 8}, true},
		{" 1 , 3", []int{1, 3}, true},
		{"4,2", nil, false},
		{"0,2", nil, false},
		{"a", nil, false},
		{"", nil, false},
	} {
		got, err := parseIters(c.in)
		if (err == nil) != c.ok || len(got) != len(c.want) {
			t.Errorf("parseIters(%q) = %v, %v", c.in, got, err)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("parseIters(%q) = %v, want %v", c.in, got, c.want)
			}
		}
	}
}

func TestBadFlags(t *testing.T) {
	part2test.BadFlags(t, run, []string{"-steps", "0"}, []string{"-k", "0"}, []string{"-puzzles", "0"}, []string{"-iters", "4,2"}, []string{"-c", "-1"}, []string{"-temp", "-1"}, []string{"-count", "1"})
}
