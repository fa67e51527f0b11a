package effect

import (
	"bytes"
	"math"
	"strings"
	"testing"
)

func TestPaired(t *testing.T) {
	tests := []struct {
		name          string
		before, after []float64
		gain, se      float64
	}{
		// d = 1, 1, 1: no spread, so no uncertainty.
		{"constant shift", []float64{1, 2, 3}, []float64{2, 3, 4}, 1, 0},
		// d = 0, 2: mean 1, sd √2, SE √2/√2 = 1.
		{"two items", []float64{0, 0}, []float64{0, 2}, 1, 1},
		// d = −1, 1, 0, 0: mean 0, sd √(2/3), SE √(2/3)/2.
		{"no gain", []float64{1, 0, 5, 5}, []float64{0, 1, 5, 5}, 0, math.Sqrt(2.0/3) / 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Paired(tt.name, "a", "b", tt.before, tt.after)
			if math.Abs(r.Gain-tt.gain) > 1e-12 || math.Abs(r.SE-tt.se) > 1e-12 || r.N != len(tt.before) {
				t.Errorf("gain %g ± %g (n %d), want %g ± %g (n %d)", r.Gain, r.SE, r.N, tt.gain, tt.se, len(tt.before))
			}
		})
	}
}

func TestRates(t *testing.T) {
	// 3 of 4 right after, 1 of 4 before: +50 points.
	r := Rates("acc", "base", "tuned", []bool{true, false, false, false}, []bool{true, true, true, false})
	if r.MeanBefore != 25 || r.MeanAfter != 75 || r.Gain != 50 {
		t.Errorf("%+v", r)
	}
}

func TestPairedPanicsOnMismatch(t *testing.T) {
	defer func() {
		if v := recover(); v == nil || !strings.Contains(v.(string), "2 items before, 1 after") {
			t.Errorf("panic %v", v)
		}
	}()
	Paired("x", "a", "b", []float64{1, 2}, []float64{1})
}

func TestPrintParse(t *testing.T) {
	want := Result{Name: "GRPO: held-out greedy accuracy (%)", Before: "SFT", After: "SFT + GRPO", N: 500, MeanBefore: 52, MeanAfter: 67.4, Gain: 15.4, SE: 2.5}
	var b bytes.Buffer
	want.Print(&b)
	got, ok := Parse(strings.TrimSpace(b.String()))
	if !ok || got != want {
		t.Fatalf("Parse(%q) = %+v, %v; want %+v", b.String(), got, ok, want)
	}
	neg := Result{Name: "x", Before: "a", After: "b", N: 3, MeanBefore: 1, MeanAfter: -2, Gain: -3, SE: 0.5}
	b.Reset()
	neg.Print(&b)
	if got, ok := Parse(strings.TrimSpace(b.String())); !ok || got != neg {
		t.Errorf("negative: %+v %v", got, ok)
	}
	if _, ok := Parse("headline: something else"); ok {
		t.Error("parsed a line Print did not write")
	}
}

func TestLines(t *testing.T) {
	var b bytes.Buffer
	b.WriteString("a table\n")
	Rates("first", "a", "b", []bool{false, true}, []bool{true, true}).Print(&b)
	b.WriteString("effect | not one of ours\n")
	Rates("second", "a", "b", []bool{true}, []bool{false}).Print(&b)
	rs := Lines(b.Bytes())
	if len(rs) != 2 || rs[0].Name != "first" || rs[0].Gain != 50 || rs[1].Name != "second" || rs[1].Gain != -100 {
		t.Errorf("Lines = %+v", rs)
	}
}
