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
	if err := run(&b, []string{"-ae-steps", "3", "-ae-hidden", "8", "-steps", "3", "-dim", "16", "-batch", "4", "-per-class", "1", "-sample-steps", "2", "-out", dir}); err != nil {
		t.Fatal(err)
	}
	golden.Contains(t, b.Bytes(),
		"latent:      [6, 6, 8] = 288 numbers (6× fewer)",
		"seen combinations", "held-out combinations", " dB",
		"latent scale (std of μ over the 256 seen images):",
		"pixels       4", "latents      4",
		"wrote "+filepath.Join(dir, "reconstructions.png"),
	)
	for _, f := range []string{"reconstructions.png", "samples.png"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
}

func TestBadFlags(t *testing.T) {
	for _, args := range [][]string{{"-ae-steps", "0"}, {"-beta", "-1"}, {"-lr", "0"}, {"-dim", "10"}} {
		var b bytes.Buffer
		if err := run(&b, args); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}
