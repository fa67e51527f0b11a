package main

import (
	"reflect"
	"regexp"
	"strconv"
	"testing"

	"transformers/chapters/internal/effect"
	"transformers/chapters/internal/golden"
	"transformers/chapters/internal/part2/part2test"
)

func TestRun(t *testing.T) {
	out := part2test.RunTest(t, run, []string{"-steps", "4", "-batch", "4", "-train", "40", "-test", "4", "-max-k", "4", "-d-model", "16", "-layers", "1", "-digits", "2"}, "self-consistency.png")
	golden.Contains(t, out, "Accuracy against samples per problem", "direct maj@k", "headline: majority vote over 4 samples")
	if rs := effect.Lines(out); len(rs) != 2 || rs[0].N != 4 {
		t.Errorf("effect lines %+v, want 2 over 4 held-out items", rs)
	}
	// pass@k never decreases with k and is at least maj@k.
	rows := regexp.MustCompile(`(?m)^\s+(\d+)\s+([\d.]+) %\s+([\d.]+) %\s+([\d.]+) %\s+([\d.]+) %$`).FindAllSubmatch(out, -1)
	if len(rows) != 3 {
		t.Fatalf("%d table rows, want 3 (k = 1, 2, 4):\n%s", len(rows), out)
	}
	prev := []float64{-1, -1}
	for _, r := range rows {
		v := make([]float64, 4)
		for i := range v {
			v[i], _ = strconv.ParseFloat(string(r[i+2]), 64)
		}
		for f := range 2 {
			if v[2*f+1] < prev[f] || v[2*f+1] < v[2*f] {
				t.Errorf("row k=%s: pass@k %v below maj@k %v or the previous pass %v", r[1], v[2*f+1], v[2*f], prev[f])
			}
			prev[f] = v[2*f+1]
		}
	}
}

func TestTally(t *testing.T) {
	got := tally([]string{"1", "2", "2", "x", "1", "3"}, []bool{true, true, true, false, true, true})
	want := []vote{{"1", 2}, {"2", 2}, {"3", 1}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("tally = %v, want %v", got, want)
	}
}

func TestBadFlags(t *testing.T) {
	part2test.BadFlags(t, run, []string{"-steps", "0"}, []string{"-max-k", "3"}, []string{"-temp", "0"}, []string{"-digits", "7"}, []string{"-lr", "0"})
}
