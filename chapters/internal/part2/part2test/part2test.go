// Package part2test runs Part 2 chapter programs in tests: a temporary picture
// folder, checks that the pictures decode, and bad-flag cases.
package part2test

import (
	"bytes"
	"io"
	"path/filepath"
	"testing"

	"transformers/chapters/internal/part2"
)

// RunTest runs a chapter's run function with args plus -out in a temporary
// folder, fails the test on an error, checks that every named picture was
// written there and decodes as a PNG, and returns the output with the
// folder's path replaced by "OUT".
func RunTest(t *testing.T, run func(io.Writer, []string) error, args []string, pictures ...string) []byte {
	t.Helper()
	dir := t.TempDir()
	var b bytes.Buffer
	if err := run(&b, append(args, "-out", dir)); err != nil {
		t.Fatalf("%v: %v\n%s", args, err, b.String())
	}
	for _, p := range pictures {
		if w, h, err := part2.PNGSize(filepath.Join(dir, p)); err != nil || w < 16 || h < 16 {
			t.Errorf("picture %s: %dx%d, %v", p, w, h, err)
		}
		if !bytes.Contains(b.Bytes(), []byte("wrote "+filepath.Join(dir, p))) && !bytes.Contains(b.Bytes(), []byte(filepath.Join(dir, p))) {
			t.Errorf("output does not print the path of %s", p)
		}
	}
	return bytes.ReplaceAll(b.Bytes(), []byte(dir), []byte("OUT"))
}

// BadFlags checks that run rejects every argument list.
func BadFlags(t *testing.T, run func(io.Writer, []string) error, cases ...[]string) {
	t.Helper()
	for _, args := range cases {
		var b bytes.Buffer
		if err := run(&b, append(args, "-out", t.TempDir())); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}
