package main

import (
	"testing"

	"transformers/chapters/internal/golden"
	"transformers/chapters/internal/part2/part2test"
)

func TestRun(t *testing.T) {
	out := part2test.RunTest(t, run, nil, "sinusoidal.png")
	golden.Contains(t, out,
		"     0 2^(−2) 0.2500",
		"     1 2^(−4) 0.0625",
		"     2 2^(−6) 0.0156",
		"     3 2^(−8) 0.0039",
		"rows equal: true",
		"  ALiBi      added to the scores          0           0.00e+00 0.00e+00 true")
	golden.Check(t, out, "testdata/golden.txt")
}

func TestBadFlags(t *testing.T) {
	part2test.BadFlags(t, run, []string{"-d", "7"}, []string{"-context", "2"}, []string{"-heads", "0"}, []string{"-rope-base", "1"}, []string{"-seed", "x"}, []string{"-nope"})
}
