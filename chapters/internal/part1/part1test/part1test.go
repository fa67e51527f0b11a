// Package part1test holds the test every Part 1 chapter runs: its default
// output against testdata/golden.txt and the book's numbers, then -seed.
package part1test

import (
	"bytes"
	"io"
	"testing"

	"transformers/chapters/internal/golden"
)

// Run runs a chapter with its defaults, requires every wanted line and the
// golden file to match, then checks that -seed 7 says it is not the book's
// seed and that a malformed -seed is an error.
func Run(t *testing.T, run func(io.Writer, []string) error, wanted ...string) {
	t.Helper()
	var b bytes.Buffer
	if err := run(&b, nil); err != nil {
		t.Fatal(err)
	}
	golden.Contains(t, b.Bytes(), wanted...)
	golden.Check(t, b.Bytes(), "testdata/golden.txt")

	b.Reset()
	if err := run(&b, []string{"-seed", "7"}); err != nil {
		t.Fatal(err)
	}
	golden.Contains(t, b.Bytes(), "not the book's seed")
	if err := run(&b, []string{"-seed", "x"}); err == nil {
		t.Error("a bad -seed value gave no error")
	}
}
