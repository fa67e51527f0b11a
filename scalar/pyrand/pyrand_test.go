package pyrand

import (
	"bufio"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
)

// Values printed by CPython 3 for the same calls.
func TestRandomMatchesCPython(t *testing.T) {
	r := New(42)
	want := []float64{0.6394267984578837, 0.025010755222666936, 0.27502931836911926}
	for i, w := range want {
		if got := r.Random(); got != w {
			t.Errorf("random() #%d = %.17g, want %.17g", i, got, w)
		}
	}
}

func TestGaussMatchesCPython(t *testing.T) {
	r := New(42)
	want := []float64{-0.14409032957792836, -0.1729036003315193, -0.11131586156766246, 0.7019837250988631}
	for i, w := range want {
		if got := r.Gauss(0, 1); got != w {
			t.Errorf("gauss(0,1) #%d = %.17g, want %.17g", i, got, w)
		}
	}
}

// TestLongStream replays testdata/pyrand/stream.txt, written by CPython via
// testdata/pyrand/gen.py: every value must be bit-identical.
func TestLongStream(t *testing.T) {
	f, err := os.Open("../../testdata/pyrand/stream.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var (
		r        *Rand
		lastSeed int64 = -1
		lastKind string
		checked  int
		ulp      int
	)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		seed, _ := strconv.ParseInt(fields[0], 10, 64)
		want, err := strconv.ParseFloat(fields[2], 64)
		if err != nil {
			t.Fatal(err)
		}
		if seed != lastSeed || fields[1] != lastKind {
			r = New(seed)
			lastSeed, lastKind = seed, fields[1]
		}
		var got float64
		switch fields[1] {
		case "random":
			got = r.Random()
		case "gauss":
			got = r.Gauss(0, 1)
		case "gauss01":
			got = r.Gauss(0, 0.1)
		}
		checked++
		if got == want {
			continue
		}
		// random() must always be exact. gauss() calls the C library's sin,
		// cos and log, which glibc rounds to within one ulp but not always
		// to nearest; we round correctly, so a rare difference in the last
		// bits (at most two ulps: a product of two values within two ulps) is
		// allowed there and counted.
		if fields[1] == "random" || math.Abs(got-want) > 2*math.Abs(math.Nextafter(want, 0)-want) {
			t.Fatalf("seed %d %s #%d: got %.17g want %.17g", seed, fields[1], checked, got, want)
		}
		ulp++
	}
	if checked < 10000 {
		t.Fatalf("only %d values checked", checked)
	}
	if ulp*200 > checked {
		t.Fatalf("%d of %d values differ in the last bit: more than 0.5%%", ulp, checked)
	}
	t.Logf("%d values checked, %d exact, %d within two ulps", checked, checked-ulp, ulp)
}

func TestExactMathNearGo(t *testing.T) {
	for _, x := range []float64{1e-300, 0.1, 0.5, 0.7, 1, 1.5, 3, 1e10} {
		if got, want := exactLog(x), math.Log(x); math.Abs(got-want) > 3e-16*math.Abs(want) {
			t.Errorf("exactLog(%g) = %.17g, math.Log = %.17g", x, got, want)
		}
	}
	for x := 0.0; x < 2*math.Pi; x += 0.37 {
		s, c := exactSinCos(x)
		if math.Abs(s-math.Sin(x)) > 3e-16 || math.Abs(c-math.Cos(x)) > 3e-16 {
			t.Errorf("exactSinCos(%g) = %g, %g; math gives %g, %g", x, s, c, math.Sin(x), math.Cos(x))
		}
	}
}
