package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runCmd(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

// trainTiny trains a very small model once for the tests that need one.
func trainTiny(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "m")
	code, out, errs := runCmd("train", "-out", dir, "-steps", "4", "-warmup", "1", "-corpus-bytes", "20000",
		"-context", "16", "-layers", "1", "-heads", "2", "-d-model", "8", "-d-ff", "16", "-batch", "2",
		"-eval-every", "2", "-eval-batches", "1", "-sample-every", "0", "-checkpoint-every", "2", "-positions", "rope")
	if code != 0 {
		t.Fatalf("train exited %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	if !strings.Contains(out, "unigram-entropy baseline") || !strings.Contains(errs, "ETA") {
		t.Errorf("train output lacks the baseline or progress:\n%s\n%s", out, errs)
	}
	for _, f := range []string{"model.safetensors", "tokenizer.json", "state.safetensors", "metrics.jsonl", "loss.png"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
	return dir
}

func TestCommands(t *testing.T) {
	dir := trainTiny(t)

	code, out, errs := runCmd("sample", "-model", dir, "-prompt", "Iris", "-n", "20", "-seed", "3")
	if code != 0 || !strings.HasPrefix(out, "Iris") {
		t.Errorf("sample: %d %q %q", code, out, errs)
	}
	_, out2, _ := runCmd("sample", "-model", dir, "-prompt", "Iris", "-n", "20", "-seed", "3")
	if out2 != out {
		t.Errorf("same seed, different samples: %q vs %q", out, out2)
	}

	code, out, errs = runCmd("logits", "-model", dir, "-tokens", "1,20,30")
	var lg struct {
		Tokens []int
		Logits [][]float32
	}
	if code != 0 || json.Unmarshal([]byte(out), &lg) != nil || len(lg.Logits) != 3 || len(lg.Tokens) != 3 {
		t.Errorf("logits: %d %q %q", code, out, errs)
	}
	code, out, _ = runCmd("logits", "-model", dir, "-prompt", "Ben")
	if code != 0 || !strings.Contains(out, `"logits"`) {
		t.Errorf("logits -prompt: %d %q", code, out)
	}

	code, out, _ = runCmd("inspect", "-model", dir)
	for _, want := range []string{`"positions": "rope"`, "attention", "h.0.attn.c_attn.weight", "total"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("inspect output lacks %q:\n%s", want, out)
		}
	}

	// Resume from the step-4 checkpoint, asking for 6 steps in all.
	code, out, errs = runCmd("train", "-out", dir, "-resume", "-steps", "6", "-warmup", "1", "-corpus-bytes", "20000",
		"-context", "16", "-layers", "1", "-heads", "2", "-d-model", "8", "-d-ff", "16", "-batch", "2",
		"-eval-every", "2", "-eval-batches", "1", "-sample-every", "0", "-positions", "rope")
	if code != 0 || !strings.Contains(errs, "step     6/6") {
		t.Errorf("resume: %d\n%s\n%s", code, out, errs)
	}
}

// TestBadInput: every mistake gives one line naming it and exit status 2.
func TestBadInput(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope")
	tests := []struct {
		args []string
		want string
	}{
		{[]string{}, "usage"},
		{[]string{"fly"}, `"fly"`},
		{[]string{"train", "-bogus"}, "-bogus"},
		{[]string{"train", "-steps", "x"}, "-steps"},
		{[]string{"train", "-positions", "abs"}, "positions"},
		{[]string{"train", "-heads", "3"}, "n_head"},
		{[]string{"train", "-tokenizer", "words"}, "-tokenizer"},
		{[]string{"train", "-data", missing}, missing},
		{[]string{"train", "-lr", "-1"}, "lr"},
		{[]string{"sample", "-model", missing}, missing},
		{[]string{"sample", "-top-p", "0"}, "-top-p"},
		{[]string{"sample", "-temperature", "-1"}, "-temperature"},
		{[]string{"logits", "-model", missing, "-tokens", "1"}, missing},
		{[]string{"logits"}, "-tokens"},
		{[]string{"inspect", "-model", missing}, missing},
		{[]string{"inspect", "extra"}, "extra"},
	}
	for _, tt := range tests {
		code, _, errs := runCmd(tt.args...)
		if code != 2 || !strings.Contains(errs, tt.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and a mention of %q", tt.args, code, errs, tt.want)
		}
		if tt.want != "usage" && strings.Count(strings.TrimSpace(errs), "\n") != 0 {
			t.Errorf("%v: more than one line: %q", tt.args, errs)
		}
	}
	dir := trainTiny(t)
	if code, _, errs := runCmd("logits", "-model", dir, "-tokens", "1,99999"); code != 2 || !strings.Contains(errs, "99999") {
		t.Errorf("bad token id: %d %q", code, errs)
	}
}

func TestHelp(t *testing.T) {
	for _, c := range []string{"train", "sample", "logits", "inspect"} {
		code, out, _ := runCmd(c, "-h")
		if code != 0 || !strings.Contains(out, "usage: gpt "+c) || !strings.Contains(out, "-model") && c != "train" {
			t.Errorf("%s -h: %d %q", c, code, out)
		}
	}
	if code, out, _ := runCmd("-h"); code != 0 || !strings.Contains(out, "inspect") {
		t.Errorf("-h: %d %q", code, out)
	}
}

// TestResumeIdenticalFiles: "train -steps 4" and "train -steps 4" stopped
// after a 2-step run and resumed write byte-identical checkpoints.
func TestResumeIdenticalFiles(t *testing.T) {
	common := []string{"-corpus-bytes", "20000", "-context", "16", "-layers", "1", "-heads", "2", "-d-model", "8",
		"-d-ff", "16", "-batch", "2", "-warmup", "1", "-eval-every", "2", "-eval-batches", "1", "-sample-every", "0",
		"-dropout", "0.1", "-tokenizer", "char"}
	a, b := filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "b")
	if code, _, errs := runCmd(append([]string{"train", "-out", a, "-steps", "4"}, common...)...); code != 0 {
		t.Fatal(errs)
	}
	// The same 4-step schedule, stopped after 2 steps and resumed.
	if code, _, errs := runCmd(append([]string{"train", "-out", b, "-steps", "4", "-stop-at", "2"}, common...)...); code != 0 {
		t.Fatal(errs)
	}
	if code, _, errs := runCmd(append([]string{"train", "-out", b, "-steps", "4", "-resume"}, common...)...); code != 0 {
		t.Fatal(errs)
	}
	for _, f := range []string{"model.safetensors", "state.safetensors"} {
		x, err1 := os.ReadFile(filepath.Join(a, f))
		y, err2 := os.ReadFile(filepath.Join(b, f))
		if err1 != nil || err2 != nil || !bytes.Equal(x, y) {
			t.Errorf("%s differs between the straight and the resumed run (%v, %v)", f, err1, err2)
		}
	}
}
