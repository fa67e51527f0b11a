package main

import (
	"testing"

	"transformers/chapters/internal/golden"
	"transformers/chapters/internal/part2/part2test"
)

func TestRun(t *testing.T) {
	out := part2test.RunTest(t, run, []string{"-time-t", "8"}, "heads.png")
	golden.Contains(t, out,
		"max |separate − fused| over q, k and v: 0.00e+00",
		"merge(split(x)) = x exactly? true",
		"   16 4   4                  1024                               1024   1024",
		"  256 8  32                262144                             262144 262144")
}

func TestBadFlags(t *testing.T) {
	part2test.BadFlags(t, run, []string{"-heads", "3"}, []string{"-c", "0"}, []string{"-t", "-1"})
}
