package main

import (
	"bytes"
	"testing"

	"transformers/chapters/internal/golden"
)

func TestGolden(t *testing.T) {
	var b bytes.Buffer
	dir := t.TempDir()
	if err := run(&b, []string{"-out", dir}); err != nil {
		t.Fatal(err)
	}
	golden.Contains(t, b.Bytes(), "loss fell from 1.8299 to 0.0316")
	// The picture's path changes with the temporary folder: hold the rest.
	golden.Check(t, bytes.ReplaceAll(b.Bytes(), []byte(dir), []byte("OUT")), "testdata/golden.txt")
}

func TestSeedFlag(t *testing.T) {
	var b bytes.Buffer
	if err := run(&b, []string{"-seed", "7", "-out", t.TempDir()}); err != nil {
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
