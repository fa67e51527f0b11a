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
	if err := run(&b, []string{"-steps", "4", "-batch", "4", "-dim", "16", "-depth", "1", "-prompts", "2", "-sample-steps", "2", "-w", "0,2", "-out", dir}); err != nil {
		t.Fatal(err)
	}
	golden.Contains(t, b.Bytes(),
		`"a small red circle at the top left" → [1 8 10 14 2 3 4 6]`,
		"parameters:", "(DiT ", "text encoder ",
		"w   prompts  shape colour size position all four",
		"held-out",
		"wrote "+filepath.Join(dir, "prompts.png"),
	)
	for _, f := range []string{"prompts.png", "prompt_by_seed.png"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
}

func TestBadFlags(t *testing.T) {
	for _, args := range [][]string{{"-drop", "-0.1"}, {"-w", ""}, {"-prompts", "0"}, {"-dim", "6"}} {
		var b bytes.Buffer
		if err := run(&b, args); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}
