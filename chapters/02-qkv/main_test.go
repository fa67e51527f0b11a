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
	golden.Contains(t, b.Bytes(), "Q[0][0][0] = ")
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
