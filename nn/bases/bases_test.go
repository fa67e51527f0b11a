package bases

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestShippedManifests checks every base shipped under testdata/bases against
// its manifest: the file exists, its size and SHA-256 match, and the manifest
// says how it was made.
func TestShippedManifests(t *testing.T) {
	root, err := Root()
	if err != nil {
		t.Fatal(err)
	}
	names, err := List(root)
	if err != nil {
		t.Fatal(err)
	}
	var total int64
	for _, name := range names {
		m, _, err := Verify(filepath.Join(root, Folder, name), "test")
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		total += m.Bytes
		if m.Name != name || m.Command == "" || m.Steps <= 0 || m.Tokens <= 0 || len(m.Curve) == 0 || m.WallSeconds <= 0 {
			t.Errorf("%s: incomplete manifest: name %q command %q steps %d tokens %d curve %d wall %v",
				name, m.Name, m.Command, m.Steps, m.Tokens, len(m.Curve), m.WallSeconds)
		}
	}
	if total > 25<<20 {
		t.Errorf("shipped bases total %d bytes, over the 25 MB budget", total)
	}
}

func TestVerifyRefusesBadFiles(t *testing.T) {
	dir := t.TempDir()
	weights := filepath.Join(dir, "w.bin")
	if err := os.WriteFile(weights, []byte("weights of a tiny model"), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := Finish(dir, Manifest{Name: "tiny", File: "w.bin", Command: "make it"})
	if err != nil {
		t.Fatal(err)
	}
	if _, path, err := Verify(dir, "make it"); err != nil || path != weights {
		t.Fatalf("Verify of a good base: %q, %v", path, err)
	}
	cases := []struct {
		name  string
		write func()
		want  string
	}{
		{"changed byte", func() { os.WriteFile(weights, []byte("weights of a tiny modem"), 0o644) }, "sha256"},
		{"truncated", func() { os.WriteFile(weights, []byte("weights"), 0o644) }, "truncated"},
		{"missing", func() { os.Remove(weights) }, "missing"},
	}
	for _, c := range cases {
		c.write()
		_, _, err := Verify(dir, "make it")
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "make it") {
			t.Errorf("%s: got %v, want an error with %q and the rebuild command", c.name, err, c.want)
		}
	}
	if m.SHA256 == "" || m.Bytes != 23 {
		t.Errorf("Finish: sha %q bytes %d", m.SHA256, m.Bytes)
	}
	if _, _, err := Verify(t.TempDir(), "make it"); err == nil {
		t.Error("Verify of a folder without a manifest succeeded")
	}
}

func TestMatches(t *testing.T) {
	want := []Point{{1, 5.5}, {2, 4.25}}
	if err := Matches(want, []Point{{1, 5.5}, {2, 4.25}, {3, 4}}); err != nil {
		t.Error(err)
	}
	bumped := []Point{{1, 5.5}, {2, 4.250000000000001}}
	if err := Matches(want, bumped); err == nil || !strings.Contains(err.Error(), "point 1") {
		t.Errorf("one ulp off: %v", err)
	}
	if err := Matches(want, want[:1]); err == nil {
		t.Error("short re-run accepted")
	}
}
