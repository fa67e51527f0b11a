package main

import (
	"testing"

	"transformers/chapters/internal/golden"
	"transformers/chapters/internal/part2/part2test"
)

func TestRun(t *testing.T) {
	out := part2test.RunTest(t, run, []string{"-steps", "20", "-c", "12"}, "activations.png", "mlp_vs_swiglu.png")
	golden.Contains(t, out,
		"h = 8C/3 = 32.00, rounded to 32",
		"GELU MLP total             hidden 48  1152",
		"SwiGLU   total             hidden 32  1152",
		"difference 0 parameters (0.00%)",
		"lower test error on this task:")
}

func TestBadFlags(t *testing.T) {
	part2test.BadFlags(t, run, []string{"-steps", "0"}, []string{"-lr", "0"}, []string{"-c", "-3"})
}
