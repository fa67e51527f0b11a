package main

import (
	"testing"

	"transformers/chapters/internal/golden"
	"transformers/chapters/internal/part2/part2test"
)

func TestRun(t *testing.T) {
	out := part2test.RunTest(t, run, []string{"-layers", "6", "-d", "16", "-t", "8", "-batch", "2"}, "grad_norms.png")
	golden.Contains(t, out,
		"pre-LN, sub-layers silenced:   max |block(x) − x| = 0.00e+00",
		"(check: this forward pass equals gpt.Model.Forward to 0.00e+00)",
		"first/last",
		"pre-LN + residual:     the gradient reaches block 0")
}

func TestBadFlags(t *testing.T) {
	part2test.BadFlags(t, run, []string{"-layers", "0"}, []string{"-d", "10"})
}
