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
	golden.Contains(t, b.Bytes(), "X[0] [16] = 0.1473, 0.1281, 0.1995, -0.0465, 0.2125, -0.1338, -0.0829, -0.0638, 0.0722, 0.1183, 0.1193, 0.0937, -0.1594, -0.0402, 0.1124, -0.2064")
	golden.Check(t, b.Bytes(), "testdata/golden.txt")
}

func TestSeedFlag(t *testing.T) {
	var b bytes.Buffer
	if err := run(&b, []string{"-seed", "7"}); err != nil {
		t.Fatal(err)
	}
	golden.Contains(t, b.Bytes(), "not the book's seed")
	if bytes.Contains(b.Bytes(), []byte("0.1473, 0.1281")) {
		t.Error("-seed 7 printed the seed-42 embeddings")
	}
	if err := run(&b, []string{"-seed", "x"}); err == nil {
		t.Error("a bad -seed value gave no error")
	}
}
