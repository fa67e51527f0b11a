package main

import (
	"reflect"
	"regexp"
	"strconv"
	"testing"

	"transformers/chapters/internal/golden"
	"transformers/chapters/internal/part2/part2test"
	"transformers/reason/countdown"
)

func TestRun(t *testing.T) {
	out := part2test.RunTest(t, run, []string{"-steps", "5", "-batch", "4", "-train", "50", "-label", "5", "-per", "2", "-rollouts", "2", "-prm-steps", "3", "-test", "4", "-n", "2", "-d-model", "16", "-layers", "1", "-cache", ""})
	golden.Contains(t, out, "PRM on oracle labels", "PRM on Monte-Carlo labels", "ORM on the final verdict only", "exact verifier (ceiling)", "weakest line (min)", "last line only")
	// Nothing ranks above the exact verifier.
	ceil := regexp.MustCompile(`exact verifier \(ceiling\)\s+—\s+([\d.]+) %`).FindSubmatch(out)
	if ceil == nil {
		t.Fatalf("no ceiling row:\n%s", out)
	}
	c, _ := strconv.ParseFloat(string(ceil[1]), 64)
	rows := regexp.MustCompile(`(?m)^\s+(?:PRM|ORM).*(?:weakest line \(min\)|last line only)\s+([\d.]+) %$`).FindAllSubmatch(out, -1)
	if len(rows) != 6 {
		t.Errorf("%d ranking rows, want 6", len(rows))
	}
	for _, r := range rows {
		if v, _ := strconv.ParseFloat(string(r[1]), 64); v > c {
			t.Errorf("a scorer solves %s %%, above the verifier's %s %%", r[1], ceil[1])
		}
	}
}

func TestOracle(t *testing.T) {
	p := countdown.Problem{Numbers: []int{2, 3, 7}, Target: 27}
	for _, c := range []struct {
		lines []string
		want  []float64
	}{
		{[]string{"7+2=9", "9*3=27", "A:27"}, []float64{1, 1, 1}},
		{[]string{"7*3=21", "21+2=23", "A:27"}, []float64{0, 0, 0}},
		{[]string{"7+2=9", "9*4=36"}, []float64{1, 0}},
	} {
		if got := oracle(p, c.lines); !reflect.DeepEqual(got, c.want) {
			t.Errorf("oracle(%v) = %v, want %v", c.lines, got, c.want)
		}
		if got, want := first(c.want), len(c.want); c.want[0] == 1 && c.want[len(c.want)-1] == 1 && got != want {
			t.Errorf("first(%v) = %d, want %d", c.want, got, want)
		}
	}
	if first([]float64{0.9, 0.4, 0.8}) != 1 {
		t.Error("first misses a low score")
	}
}

func TestBadFlags(t *testing.T) {
	part2test.BadFlags(t, run, []string{"-steps", "0"}, []string{"-n", "0"}, []string{"-rollouts", "0"}, []string{"-temp", "0"}, []string{"-d-model", "30"}, []string{"-prm-lr", "0"}, []string{"-prm-batch", "0"})
}
