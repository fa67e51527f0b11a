package main

import (
	"math/rand/v2"
	"testing"

	"transformers/chapters/internal/golden"
	"transformers/chapters/internal/part2/part2test"
	"transformers/gpt"
	"transformers/gpt/hf"
	"transformers/nn/safetensors"
)

func TestRun(t *testing.T) {
	out := part2test.RunTest(t, run, []string{"-steps", "4", "-every", "2", "-batch", "8", "-eval", "16"},
		"induction_training.png", "attention_maps.png", "logit_lens.png")
	golden.Contains(t, out,
		"ours 100992, the book 101632: difference 640 = 2 layers × (c_fc bias 256 + c_proj bias 64)",
		"induction head: ", "previous-token head: ",
		"first occurrence (1 … p−1)", "repeats (p+1 …)",
		"embeddings", "after block 1", "head removed", "without the induction head")
}

func TestBadFlags(t *testing.T) {
	part2test.BadFlags(t, run, []string{"-steps", "0"}, []string{"-lr", "0"}, []string{"-eval", "0"}, []string{"-every", "-1"})
}

// A Hugging Face GPT-2 directory (config.json, model.safetensors, vocab.json,
// merges.txt) goes through the same logit lens as our own checkpoints.
func TestHuggingFaceModel(t *testing.T) {
	dir := t.TempDir()
	tk, err := hf.LoadTokenizer("../../testdata/hf/tokenizer")
	if err != nil {
		t.Fatal(err)
	}
	cfg := gpt.DefaultConfig(tk.VocabSize())
	cfg.Context, cfg.Layers, cfg.Heads, cfg.DModel, cfg.DFF = 32, 2, 2, 16, 32
	m := gpt.New(cfg, rand.New(rand.NewPCG(1, 2)))
	if err := hf.Save(m, dir, safetensors.F32); err != nil {
		t.Fatal(err)
	}
	if err := tk.Save(dir); err != nil {
		t.Fatal(err)
	}
	out := part2test.RunTest(t, run, []string{"-steps", "2", "-every", "1", "-batch", "4", "-eval", "4", "-model", dir, "-prompt", "It's 42 days"},
		"logit_lens_text.png")
	golden.Contains(t, out, "Logit lens on "+dir, "after block 1")
}
