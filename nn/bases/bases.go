// Package bases finds, verifies and writes the base models this project
// ships under testdata/bases: weights trained by the project's own recipes,
// each beside a manifest that records how it was made (the exact command,
// seed, steps, tokens seen, losses, wall time) and the SHA-256 of its file.
//
// A chapter that stands on a base calls Load, which refuses a missing,
// truncated or altered file with an error that says how to rebuild it. The
// manifest also keeps the first points of the recipe's loss curve, so a
// short re-run of the recipe (Matches) can check, bit for bit, that the
// shipped weights came from the code in this repository.
package bases

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"transformers/nn/safetensors"
)

// Folder is where the shipped bases live, relative to the module root.
const Folder = "testdata/bases"

// ManifestFile is the name of the manifest beside each base's weights.
const ManifestFile = "manifest.json"

// Point is one logged point of a training curve. JSON keeps a float64
// exactly (shortest round-trip form), so a re-run compares bit for bit.
type Point struct {
	Step int     `json:"step"`
	Loss float64 `json:"loss"`
}

// Manifest records how a shipped base was made.
type Manifest struct {
	Name        string            `json:"name"`       // "story"
	File        string            `json:"file"`       // weights file, relative to the manifest
	About       string            `json:"about"`      // one line for readers
	Command     string            `json:"command"`    // the exact command that rebuilds it
	Seed        uint64            `json:"seed"`       // the recipe's seed
	Steps       int               `json:"steps"`      // optimiser updates
	Tokens      int64             `json:"tokens"`     // training tokens (or samples) seen
	Params      int               `json:"params"`     // parameters in the file
	TrainLoss   float64           `json:"train_loss"` // mean training loss of the last logged steps
	ValLoss     float64           `json:"val_loss"`   // held-out loss at the end
	WallSeconds float64           `json:"wall_seconds"`
	Machine     string            `json:"machine"` // GOOS/GOARCH, cores and kernel the run used
	Settings    map[string]string `json:"settings"`
	Curve       []Point           `json:"curve"` // the first logged points, exact
	Bytes       int64             `json:"bytes"`
	SHA256      string            `json:"sha256"`
}

// Root returns the module root: the nearest folder at or above the working
// directory whose go.mod declares module transformers.
func Root() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && strings.HasPrefix(strings.TrimSpace(string(b)), "module transformers") {
			return dir, nil
		}
		up := filepath.Dir(dir)
		if up == dir {
			return "", errors.New("bases: no go.mod of module transformers at or above the working directory; run from inside the repository")
		}
		dir = up
	}
}

// Dir returns the folder of the base called name: Root()/testdata/bases/name.
func Dir(name string) (string, error) {
	root, err := Root()
	if err != nil {
		return "", err
	}
	return filepath.Join(root, Folder, name), nil
}

// ReadManifest reads dir/manifest.json.
func ReadManifest(dir string) (Manifest, error) {
	var m Manifest
	path := filepath.Join(dir, ManifestFile)
	b, err := os.ReadFile(path)
	if err != nil {
		return m, fmt.Errorf("bases: %w", err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("bases: %s: %w", path, err)
	}
	if m.File == "" || m.SHA256 == "" {
		return m, fmt.Errorf("bases: %s: no file or sha256", path)
	}
	if filepath.Base(m.File) != m.File {
		return m, fmt.Errorf("bases: %s: file %q must be a plain name in the same folder", path, m.File)
	}
	return m, nil
}

// Hash returns the hex SHA-256 and size of the file at path.
func Hash(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// Verify checks the weights beside dir's manifest against its size and
// SHA-256 and returns the manifest and the weights' path. rebuild is named in
// the error so a reader knows how to make the file again.
func Verify(dir, rebuild string) (Manifest, string, error) {
	m, err := ReadManifest(dir)
	if err != nil {
		return m, "", fmt.Errorf("%w (rebuild with: %s)", err, rebuild)
	}
	path := filepath.Join(dir, m.File)
	sum, n, err := Hash(path)
	switch {
	case err != nil:
		return m, "", fmt.Errorf("bases: %s is missing or unreadable: %v (rebuild with: %s)", path, err, rebuild)
	case n != m.Bytes:
		return m, "", fmt.Errorf("bases: %s has %d bytes, its manifest says %d: the file is truncated or replaced (rebuild with: %s)", path, n, m.Bytes, rebuild)
	case sum != m.SHA256:
		return m, "", fmt.Errorf("bases: %s has sha256 %s, its manifest says %s: the file is corrupt or was changed (rebuild with: %s)", path, sum, m.SHA256, rebuild)
	}
	return m, path, nil
}

// Load finds the shipped base called name and verifies it (see Verify).
func Load(name, rebuild string) (Manifest, string, error) {
	dir, err := Dir(name)
	if err != nil {
		return Manifest{}, "", err
	}
	return Verify(dir, rebuild)
}

// Finish fills m's size and hash from the weights already written at
// dir/m.File, and writes the manifest atomically (temp file, fsync, rename).
func Finish(dir string, m Manifest) (Manifest, error) {
	sum, n, err := Hash(filepath.Join(dir, m.File))
	if err != nil {
		return m, fmt.Errorf("bases: %w", err)
	}
	m.SHA256, m.Bytes = sum, n
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return m, err
	}
	if err := safetensors.WriteFileAtomic(filepath.Join(dir, ManifestFile), append(b, '\n')); err != nil {
		return m, fmt.Errorf("bases: %w", err)
	}
	return m, nil
}

// Matches compares a re-run's curve with the manifest's first points and
// returns an error naming the first point that differs in any bit.
func Matches(want, got []Point) error {
	if len(got) < len(want) {
		return fmt.Errorf("bases: the re-run logged %d points, the manifest has %d", len(got), len(want))
	}
	for i, w := range want {
		g := got[i]
		if g.Step != w.Step || g.Loss != w.Loss {
			return fmt.Errorf("bases: point %d differs: manifest step %d loss %s, re-run step %d loss %s",
				i, w.Step, fmtLoss(w.Loss), g.Step, fmtLoss(g.Loss))
		}
	}
	return nil
}

func fmtLoss(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }

// List returns the names of every folder under root/testdata/bases that has
// a manifest, sorted.
func List(root string) ([]string, error) {
	ents, err := os.ReadDir(filepath.Join(root, Folder))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		return nil, err
	}
	var out []string
	for _, e := range ents {
		if e.IsDir() {
			if _, err := os.Stat(filepath.Join(root, Folder, e.Name(), ManifestFile)); err == nil {
				out = append(out, e.Name())
			}
		}
	}
	return out, nil
}

// ReadManifestOf reads the manifest of the shipped base called name.
func ReadManifestOf(name string) (Manifest, error) {
	dir, err := Dir(name)
	if err != nil {
		return Manifest{}, err
	}
	return ReadManifest(dir)
}
