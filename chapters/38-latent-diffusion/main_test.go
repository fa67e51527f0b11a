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
	if err := run(&b, []string{"-from-scratch", "-ae-steps", "3", "-ae-hidden", "8", "-steps", "3", "-dim", "16", "-batch", "4", "-per-class", "1", "-sample-steps", "2", "-out", dir}); err != nil {
		t.Fatal(err)
	}
	golden.Contains(t, b.Bytes(),
		"[6, 6, 8] = 288 numbers (6× fewer)",
		"seen combinations", "held-out combinations", " dB",
		"latent scale (std of μ over 256 seen images):",
		"pixels ", "latents ",
		"wrote "+filepath.Join(dir, "reconstructions.png"),
	)
	for _, f := range []string{"reconstructions.png", "samples.png"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
}

// TestShippedBase runs the default path: the shipped autoencoder (hash
// verified) and, beside the two short DiTs, the shipped latent DiT's row.
func TestShippedBase(t *testing.T) {
	dir := t.TempDir()
	var b bytes.Buffer
	if err := run(&b, []string{"-steps", "2", "-dim", "16", "-batch", "4", "-per-class", "1", "-sample-steps", "2", "-out", dir}); err != nil {
		t.Fatal(err)
	}
	golden.Contains(t, b.Bytes(), "the shipped shapes-latent base, sha256 ", "verified", "latents, base (", "rows 5–6: the shipped latent DiT")
	if bytes.Contains(b.Bytes(), []byte("mean loss")) {
		t.Error("the shipped autoencoder was trained again")
	}
}

func TestBadFlags(t *testing.T) {
	for _, args := range [][]string{{"-from-scratch", "-ae-steps", "0"}, {"-from-scratch", "-beta", "-1"}, {"-lr", "0"}, {"-dim", "10"}, {"-ae-steps", "100"}} {
		var b bytes.Buffer
		if err := run(&b, args); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}
