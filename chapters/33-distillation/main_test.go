package main

import (
	"regexp"
	"strconv"
	"testing"

	"transformers/chapters/internal/effect"
	"transformers/chapters/internal/golden"
	"transformers/chapters/internal/part2/part2test"
)

var tiny = []string{"-digits", "1", "-labelled", "40", "-pool", "30", "-test", "10", "-samples", "3",
	"-teacher-layers", "1", "-teacher-d-model", "32", "-teacher-steps", "150", "-layers", "1", "-d-model", "8", "-steps", "5", "-batch", "8"}

func atoi(t *testing.T, b []byte) int {
	t.Helper()
	v, err := strconv.Atoi(string(b))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestRun(t *testing.T) {
	out := part2test.RunTest(t, run, tiny, "loss.png")
	golden.Contains(t, out, "Rejection sampling", "Held-out accuracy, greedy decoding", "headline:")
	if rs := effect.Lines(out); len(rs) != 1 || rs[0].N != 10 {
		t.Errorf("effect lines %+v, want 1 over 10 held-out problems", rs)
	}
	// Every row of the results table is there, with its parameter count.
	for _, row := range []string{"teacher", "A distilled", "B baseline", "C reference", "D unfiltered"} {
		if !regexp.MustCompile(`(?m)^  ` + row + `\s.*\s\d+×\d+\s+\d+\s`).Match(out) {
			t.Errorf("no table row %q:\n%s", row, out)
		}
	}
	// Rejection sampling: 30 problems × 3 samples; kept ≤ distinct ≤ sampled, kept ≤ verified.
	m := regexp.MustCompile(`sampled:\s+(\d+) traces[^\n]*\n\s+verified:\s+(\d+)[^\n]*\n\s+distinct:\s+(\d+)[^\n]*\n\s+kept:\s+(\d+) distinct verified traces, covering (\d+) of 30`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("no rejection-sampling counts:\n%s", out)
	}
	sampled, verified, distinct, kept, covered := atoi(t, m[1]), atoi(t, m[2]), atoi(t, m[3]), atoi(t, m[4]), atoi(t, m[5])
	if sampled != 90 || kept > verified || kept > distinct || distinct > sampled || covered > kept || covered < 1 {
		t.Errorf("sampled %d verified %d distinct %d kept %d covered %d", sampled, verified, distinct, kept, covered)
	}
	// The A-against-B table accounts for every held-out problem.
	d := regexp.MustCompile(`B right\s+(\d+)\s+(\d+)\n\s+B wrong\s+(\d+)\s+(\d+)`).FindSubmatch(out)
	if d == nil {
		t.Fatalf("no comparison table:\n%s", out)
	}
	if n := atoi(t, d[1]) + atoi(t, d[2]) + atoi(t, d[3]) + atoi(t, d[4]); n != 10 {
		t.Errorf("comparison table sums to %d, want 10", n)
	}
}

func TestBadFlags(t *testing.T) {
	part2test.BadFlags(t, run, []string{"-steps", "0"}, []string{"-d-model", "30"}, []string{"-teacher-d-model", "30"}, []string{"-lr", "-1"},
		[]string{"-teacher-lr", "0"}, []string{"-digits", "0"}, []string{"-digits", "6"}, []string{"-op", "div"}, []string{"-op", "mul", "-digits", "4"},
		[]string{"-samples", "0"}, []string{"-temperature", "-1"}, []string{"-test", "0"}, []string{"-pool", "0"})
}
