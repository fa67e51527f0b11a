package main

import (
	"regexp"
	"strconv"
	"testing"

	"transformers/chapters/internal/effect"
	"transformers/chapters/internal/golden"
	"transformers/chapters/internal/part2/part2test"
	"transformers/reason/countdown"
)

func TestRun(t *testing.T) {
	out := part2test.RunTest(t, run, []string{"-steps", "5", "-batch", "4", "-train", "50", "-label", "5", "-per", "2", "-prm-steps", "3", "-test", "4", "-max-n", "4", "-d-model", "16", "-layers", "1", "-cache", ""}, "best-of-n.png", "over-optimisation.png")
	golden.Contains(t, out, "Accuracy of the top-ranked candidate against N", "headline: N = 1 → 4")
	if rs := effect.Lines(out); len(rs) != 2 || rs[0].N != 4 {
		t.Errorf("effect lines %+v, want 2 over 4 held-out items", rs)
	}
	// The verifier's accuracy never falls with N and no scorer beats it.
	rows := regexp.MustCompile(`(?m)^\s+(\d+)\s+([\d.]+) ([\d.]+) %\s+([\d.]+) %\s+([\d.]+) %\s+([\d.]+) %`).FindAllSubmatch(out, -1)
	if len(rows) != 3 {
		t.Fatalf("%d rows, want 3:\n%s", len(rows), out)
	}
	prev := -1.0
	for _, r := range rows {
		v, _ := strconv.ParseFloat(string(r[3]), 64)
		if v < prev {
			t.Errorf("N=%s: verifier %v below %v", r[1], v, prev)
		}
		prev = v
		for _, c := range r[4:] {
			if x, _ := strconv.ParseFloat(string(c), 64); x > v {
				t.Errorf("N=%s: a scorer reaches %v, above the verifier's %v", r[1], x, v)
			}
		}
	}
}

func TestFlawed(t *testing.T) {
	p := countdown.Problem{Numbers: []int{2, 3, 7}, Target: 27}
	for _, c := range []struct {
		lines []string
		want  float64
	}{
		{[]string{"7+2=9", "9*3=27", "A:27"}, 1 + 1.0/3},
		{[]string{"9*3=27", "A:27"}, 1.5}, // 9 was never available: the flaw
		{[]string{"7*3=21", "21+2=23", "A:27"}, 0},
		{[]string{"9*3=28", "A:27"}, 0},
		{nil, 0},
	} {
		if got := flawed(p, c.lines); got != c.want {
			t.Errorf("flawed(%v) = %v, want %v", c.lines, got, c.want)
		}
	}
}

func TestBadFlags(t *testing.T) {
	part2test.BadFlags(t, run, []string{"-steps", "0"}, []string{"-max-n", "3"}, []string{"-count", "1"}, []string{"-temp", "0"}, []string{"-per", "0"}, []string{"-prm-lr", "-1"})
}
