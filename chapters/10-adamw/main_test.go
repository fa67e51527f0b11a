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
	golden.Contains(t, b.Bytes(), "loss fell from 1.8299 to 0.0316")
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

func TestBadFlags(t *testing.T) {
	for _, args := range [][]string{{"-steps", "0"}, {"-lr", "-1"}, {"-every", "0"}, {"-nope"}} {
		var b bytes.Buffer
		if err := run(&b, args); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}
