package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"transformers/chapters/internal/golden"
)

func TestRunTiny(t *testing.T) {
	dir := t.TempDir()
	var b bytes.Buffer
	if err := run(&b, []string{"-steps", "4", "-batch", "4", "-dim", "16", "-depth", "1", "-per-class", "1", "-sample-steps", "2", "-w", "0,1", "-out", dir}); err != nil {
		t.Fatal(err)
	}
	golden.Contains(t, b.Bytes(),
		"classes: 9 (shape, colour) pairs seen in training",
		"label 12 is the null class",
		"Training with labels dropped 10 % of the time",
		"w   shape found shape right colour right both right",
		"wrote "+filepath.Join(dir, "guidance.png"),
	)
	if _, err := os.Stat(filepath.Join(dir, "guidance.png")); err != nil {
		t.Error(err)
	}
}

func TestBadFlags(t *testing.T) {
	for _, args := range [][]string{{"-drop", "1"}, {"-w", "1,x"}, {"-w", "-1"}, {"-steps", "0"}} {
		var b bytes.Buffer
		if err := run(&b, args); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}
