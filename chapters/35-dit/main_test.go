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
	if err := run(&b, []string{"-steps", "4", "-batch", "4", "-dim", "16", "-depth", "1", "-samples", "2", "-sample-steps", "3", "-out", dir}); err != nil {
		t.Fatal(err)
	}
	golden.Contains(t, b.Bytes(),
		"12×12 patches, flattened              [4, 432]",
		"untrained max |v|:  0.0000",
		"parameters:", "time per step", "time per sample:", "checker reads one clean shape in:",
		"wrote "+filepath.Join(dir, "samples.png"),
	)
	for _, f := range []string{"samples.png", "denoising.png", "sampling.gif"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
}

func TestBadFlags(t *testing.T) {
	for _, args := range [][]string{{"-steps", "0"}, {"-patch", "5"}, {"-dim", "30", "-heads", "4"}, {"-t", "x"}, {"-lr", "0"}} {
		var b bytes.Buffer
		if err := run(&b, args); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}
