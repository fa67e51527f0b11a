// Package golden holds chapter outputs still: a chapter's test runs it and
// compares every byte with testdata/golden.txt, so no refactor silently
// changes what a reader sees. After an intended change, regenerate with
//
//	go test ./chapters/... -update
package golden

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files with the current output")

// Check compares got with the file at path (normally "testdata/golden.txt"),
// or rewrites the file when the test runs with -update.
func Check(t *testing.T, got []byte, path string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if bytes.Equal(got, want) {
		return
	}
	g, w := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			t.Fatalf("output differs from %s at line %d:\n got: %q\nwant: %q\n(run go test -update after an intended change)", path, i+1, gl, wl)
		}
	}
}

// Contains fails the test unless every wanted line appears in got, so the
// numbers a chapter promises are held even if the golden file is rewritten.
func Contains(t *testing.T, got []byte, wanted ...string) {
	t.Helper()
	for _, w := range wanted {
		if !bytes.Contains(got, []byte(w)) {
			t.Errorf("output lacks %q", w)
		}
	}
}
