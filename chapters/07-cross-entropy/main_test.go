package main

import (
	"bytes"
	"testing"

	"transformers/chapters/internal/golden"
)

func TestGolden(t *testing.T) {
	var b bytes.Buffer
	if err := run(&b, nil); err != nil {
		t.Fatal(err)
	}
	golden.Contains(t, b.Bytes(), "logits row 0 [6] = 0.3362, -0.1025, -0.0514, -0.0053, 0.2907, 0.0848", "mean cross-entropy:             1.8299", "baseline ln 6 (uniform guess):  1.7918", "perplexity e^loss:              6.23")
	golden.Check(t, b.Bytes(), "testdata/golden.txt")
}

func TestSeedFlag(t *testing.T) {
	var b bytes.Buffer
	if err := run(&b, []string{"-seed", "7"}); err != nil {
		t.Fatal(err)
	}
	golden.Contains(t, b.Bytes(), "not the book's seed")
	if err := run(&b, []string{"-seed", "x"}); err == nil {
		t.Error("a bad -seed value gave no error")
	}
}
