package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"testing"

	"transformers/chapters/internal/golden"
)

var tiny = []string{"-steps", "30", "-batch", "64", "-hidden", "16", "-depth", "2", "-samples", "200", "-sample-steps", "5", "-img-steps", "3", "-img-batch", "4", "-img-hidden", "16"}

func TestRunTiny(t *testing.T) {
	dir := t.TempDir()
	var b bytes.Buffer
	if err := run(&b, append(tiny, "-out", dir)); err != nil {
		t.Fatal(err)
	}
	golden.Contains(t, b.Bytes(),
		"The straight path x_t = (1−t)·data + t·noise",
		"  0.00 ", "  1.00 ",
		"data vs data (floor)", "noise vs data (ceiling)", "model, euler", "model, rk4",
		"parameters:", "time per step",
		"wrote "+filepath.Join(dir, "points_moons.png"),
		"checker finds a shape in:",
	)
	for _, f := range []string{"points_moons.png", "images.png", "images_sampling.gif"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
}

// Same seed, same numbers, whatever GOMAXPROCS: the loss tables and the
// distances of two runs agree byte for byte.
func TestDeterministic(t *testing.T) {
	losses := regexp.MustCompile(`(?m)^\s+\d+\s+\d+\.\d{4}\s+\d\.\d{5}$|model, \w+ +\d+ +\d+ \d\.\d{4}`)
	var outs [2]string
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for i := range outs {
		runtime.GOMAXPROCS(1 + 3*i)
		var b bytes.Buffer
		if err := run(&b, append(tiny, "-out", t.TempDir(), "-data", "gaussians")); err != nil {
			t.Fatal(err)
		}
		outs[i] = joinAll(losses.FindAllString(b.String(), -1))
	}
	if outs[0] == "" || outs[0] != outs[1] {
		t.Errorf("loss tables differ between runs with the same seed:\n%s\n---\n%s", outs[0], outs[1])
	}
}

func joinAll(xs []string) string {
	s := ""
	for _, x := range xs {
		s += x + "\n"
	}
	return s
}

func TestBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"-steps", "0"}, {"-data", "mnist"}, {"-solver", "dopri"}, {"-t", "cosine"}, {"-lr", "-1"}, {"-seed", "x"},
	} {
		var b bytes.Buffer
		if err := run(&b, args); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}
