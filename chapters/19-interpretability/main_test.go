package main

import (
	"testing"

	"transformers/chapters/internal/golden"
	"transformers/chapters/internal/part2/part2test"
)

func TestRun(t *testing.T) {
	out := part2test.RunTest(t, run, []string{"-steps", "4", "-every", "2", "-batch", "8", "-eval", "16"},
		"induction_training.png", "attention_maps.png", "logit_lens.png")
	golden.Contains(t, out,
		"ours 100992, the book 101632: difference 640 = 2 layers × (c_fc bias 256 + c_proj bias 64)",
		"induction head: ", "previous-token head: ",
		"first occurrence (1 … p−1)", "repeats (p+1 …)",
		"embeddings", "after block 1", "head removed", "without the induction head")
}

func TestBadFlags(t *testing.T) {
	part2test.BadFlags(t, run, []string{"-steps", "0"}, []string{"-lr", "0"}, []string{"-eval", "0"}, []string{"-every", "-1"})
}
