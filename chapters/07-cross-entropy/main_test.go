package main

import (
	"testing"

	"transformers/chapters/internal/part1/part1test"
)

func TestChapter(t *testing.T) {
	part1test.Run(t, run, "logits row 0 [6] = 0.3362, -0.1025, -0.0514, -0.0053, 0.2907, 0.0848", "mean cross-entropy:             1.8299", "baseline ln 6 (uniform guess):  1.7918", "perplexity e^loss:              6.23")
}
