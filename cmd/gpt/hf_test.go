package main

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"transformers/gpt"
	"transformers/gpt/hf"
	"transformers/nn/safetensors"
)

// TestHFLogits runs `gpt logits` on the PyTorch-made GPT-2 checkpoint in
// testdata/hf and compares with PyTorch's logits at 1e-4.
func TestHFLogits(t *testing.T) {
	b, err := os.ReadFile("../../testdata/hf/logits.json")
	if err != nil {
		t.Fatal(err)
	}
	var refs map[string][]struct {
		Tokens []int       `json:"tokens"`
		Logits [][]float64 `json:"logits"`
	}
	if err := json.Unmarshal(b, &refs); err != nil {
		t.Fatal(err)
	}
	ref := refs["tiny-f32"][0]
	var toks []string
	for _, id := range ref.Tokens {
		toks = append(toks, strconv.Itoa(id))
	}
	code, out, errs := runCmd("logits", "-model", "../../testdata/hf/tiny-f32", "-tokens", strings.Join(toks, ","))
	if code != 0 {
		t.Fatalf("logits exited %d: %s", code, errs)
	}
	var got struct {
		Logits [][]float64 `json:"logits"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Logits) != len(ref.Logits) {
		t.Fatalf("%d rows, want %d", len(got.Logits), len(ref.Logits))
	}
	worst := 0.0
	for i := range ref.Logits {
		for j := range ref.Logits[i] {
			worst = max(worst, math.Abs(got.Logits[i][j]-ref.Logits[i][j]))
		}
	}
	if worst > 1e-4 {
		t.Errorf("max |Δlogit| = %.3g > 1e-4", worst)
	}
}

// TestHFSampleInspect exports a model with the GPT-2 tokenizer files beside
// it and runs sample, logits -prompt and inspect on the directory.
func TestHFSampleInspect(t *testing.T) {
	tk, err := hf.LoadTokenizer("../../testdata/hf/tokenizer")
	if err != nil {
		t.Fatal(err)
	}
	cfg := gpt.DefaultConfig(tk.VocabSize())
	cfg.Context, cfg.Layers, cfg.Heads, cfg.DModel, cfg.DFF = 32, 1, 2, 8, 16
	dir := t.TempDir()
	if err := hf.Save(gpt.New(cfg, rand.New(rand.NewPCG(3, 4))), dir, safetensors.F16); err != nil {
		t.Fatal(err)
	}
	if err := tk.Save(dir); err != nil {
		t.Fatal(err)
	}
	code, out, errs := runCmd("sample", "-model", dir, "-prompt", "It's the", "-n", "5", "-temperature", "0")
	if code != 0 || !strings.HasPrefix(out, "It's the") {
		t.Errorf("sample exited %d, output %q, stderr %s", code, out, errs)
	}
	code, out, errs = runCmd("logits", "-model", dir, "-prompt", "the theme")
	if code != 0 || !strings.Contains(out, `"tokens":[83,257,295]`) {
		t.Errorf("logits -prompt exited %d, output %.80q, stderr %s", code, out, errs)
	}
	code, out, errs = runCmd("inspect", "-model", dir)
	if code != 0 || !strings.Contains(out, "*hf.Tokenizer, 311 ids") || !strings.Contains(out, `"bias": true`) {
		t.Errorf("inspect exited %d, output:\n%s\nstderr %s", code, out, errs)
	}
	os.WriteFile(filepath.Join(dir, "config.json"), []byte(`{"activation_function": "relu"}`), 0o644)
	code, _, errs = runCmd("inspect", "-model", dir)
	if code != 2 || !strings.Contains(errs, "activation_function") {
		t.Errorf("bad config: exit %d, stderr %q", code, errs)
	}
}
