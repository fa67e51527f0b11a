package show

import (
	"bytes"
	"math"
	"os"
	"testing"
)

func ExampleMatrix() {
	Matrix(os.Stdout, "W", [][]float64{{1, -0.5}, {0.25, 2}}, []string{"a", "bb"}, []string{"x", "y"}, 2)
	// Output:
	// W [2×2]
	//           x     y
	//   a    1.00 -0.50
	//   bb   0.25  2.00
}

func TestMatrixAligned(t *testing.T) {
	var b bytes.Buffer
	Matrix(&b, "W", [][]float64{{1, -0.5}, {0.25, math.Inf(-1)}}, []string{"a", "bb"}, []string{"x", "y"}, 2)
	want := "W [2×2]\n          x     y\n  a    1.00 -0.50\n  bb   0.25  -Inf\n"
	if b.String() != want {
		t.Errorf("got\n%q\nwant\n%q", b.String(), want)
	}
}

func TestNum(t *testing.T) {
	for _, tc := range []struct {
		x    float64
		d    int
		want string
	}{{-0.00001, 4, "0.0000"}, {-0.5, 1, "-0.5"}, {1.23456, 4, "1.2346"}, {math.Inf(-1), 4, "-Inf"}} {
		if got := Num(tc.x, tc.d); got != tc.want {
			t.Errorf("Num(%v, %d) = %q, want %q", tc.x, tc.d, got, tc.want)
		}
	}
}
