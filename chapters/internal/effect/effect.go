// Package effect measures a chapter's headline effect: a score before and
// after a technique on the same held-out items, the paired difference of the
// means and its standard error,
//
//	d_i = after_i − before_i,   gain = mean(d),   SE = sd(d) / √n,
//
// with sd the sample standard deviation (n − 1). Pairing removes the
// spread between items, which both arms share, so a gain of a few points
// on a few hundred items can be told from noise. Print writes one line in a
// fixed form that chapters/effects reads back from each chapter's output
// over several seeds.
package effect

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// Result is one paired measurement.
type Result struct {
	Name          string  // what is measured, e.g. "GRPO: held-out greedy accuracy (%)"
	Before, After string  // the two arms, e.g. "SFT", "SFT + GRPO"
	N             int     // paired items
	MeanBefore    float64 // mean score of the first arm
	MeanAfter     float64 // and of the second
	Gain          float64 // mean of after − before
	SE            float64 // its standard error: sd(after − before)/√n
}

// Paired measures after against before, item by item. It panics if the
// slices differ in length or are empty: the pairing is the point.
func Paired(name, beforeName, afterName string, before, after []float64) Result {
	if len(before) != len(after) || len(before) == 0 {
		panic(fmt.Sprintf("effect.Paired %q: %d items before, %d after", name, len(before), len(after)))
	}
	n := float64(len(before))
	r := Result{Name: name, Before: beforeName, After: afterName, N: len(before)}
	for i := range before {
		r.MeanBefore += before[i] / n
		r.MeanAfter += after[i] / n
		r.Gain += (after[i] - before[i]) / n
	}
	if len(before) > 1 {
		ss := 0.0
		for i := range before {
			d := after[i] - before[i] - r.Gain
			ss += d * d
		}
		r.SE = math.Sqrt(ss/(n-1)) / math.Sqrt(n)
	}
	return r
}

// Rates is Paired for right/wrong outcomes, in percentage points: each item
// scores 100 when right and 0 when wrong.
func Rates(name, beforeName, afterName string, before, after []bool) Result {
	return Paired(name, beforeName, afterName, points(before), points(after))
}

func points(b []bool) []float64 {
	out := make([]float64, len(b))
	for i, ok := range b {
		if ok {
			out[i] = 100
		}
	}
	return out
}

// Print writes r as one line:
//
//	effect | GRPO: held-out greedy accuracy (%) | SFT 52.00 → SFT + GRPO 67.40 | gain +15.40 ± 2.50 (paired SE) | n 500
func (r Result) Print(w io.Writer) {
	fmt.Fprintf(w, "effect | %s | %s %.2f → %s %.2f | gain %+.2f ± %.2f (paired SE) | n %d\n",
		r.Name, r.Before, r.MeanBefore, r.After, r.MeanAfter, r.Gain, r.SE, r.N)
}

var line = regexp.MustCompile(`^effect \| (.+?) \| (.+?) (-?[0-9.]+) → (.+?) (-?[0-9.]+) \| gain ([+-][0-9.]+) ± ([0-9.]+) \(paired SE\) \| n ([0-9]+)$`)

// Parse reads back a line Print wrote; ok is false for any other line.
func Parse(s string) (r Result, ok bool) {
	m := line.FindStringSubmatch(s)
	if m == nil {
		return Result{}, false
	}
	f := func(s string) float64 { v, _ := strconv.ParseFloat(s, 64); return v }
	n, _ := strconv.Atoi(m[8])
	return Result{Name: m[1], Before: m[2], MeanBefore: f(m[3]), After: m[4], MeanAfter: f(m[5]), Gain: f(m[6]), SE: f(m[7]), N: n}, true
}

// Lines returns every effect line in a program's output, in order.
func Lines(out []byte) []Result {
	var rs []Result
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if r, ok := Parse(strings.TrimSpace(sc.Text())); ok {
			rs = append(rs, r)
		}
	}
	return rs
}
