package main

import (
	"regexp"
	"strconv"
	"testing"

	"transformers/chapters/internal/golden"
	"transformers/chapters/internal/part2/part2test"
)

var tiny = []string{"-from-scratch", "-corpus-bytes", "20000", "-base-steps", "4", "-sft-steps", "3", "-d-model", "16", "-layers", "1", "-held", "4", "-rank", "2"}

// number returns the number after pattern's group in out.
func number(t *testing.T, out []byte, pattern string) float64 {
	t.Helper()
	m := regexp.MustCompile(pattern).FindSubmatch(out)
	if m == nil {
		t.Fatalf("no match for %q", pattern)
	}
	x, err := strconv.ParseFloat(string(m[1]), 64)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

func TestRun(t *testing.T) {
	out := part2test.RunTest(t, run, tiny, "lora-vs-full.png")
	golden.Contains(t, out, "full fine-tuning", "LoRA r=2", "adapters.safetensors")
	// One layer, d 16, r 2: c_attn 2·(16+48), attn c_proj 2·32, c_fc 2·80, mlp c_proj 2·80.
	if n := number(t, out, `trainable: (\d+) of`); n != 2*(64+32+80+80) {
		t.Errorf("trainable %v, want %d", n, 2*(64+32+80+80))
	}
	if d := number(t, out, `fresh adapters \(B = 0\): max \|logit difference\| from the base over \d+ logits = (\S+)`); d != 0 {
		t.Errorf("fresh adapters change the logits by %v", d)
	}
	if d := number(t, out, `merged \(W ← W \+ \(α/r\)·B·A\): max \|logit difference\| from the adapted model = (\S+)`); d > 1e-4 {
		t.Errorf("merged differs by %v", d)
	}
	if d := number(t, out, `unmerged .*: max \|W difference\| from the base = (\S+);`); d > 1e-5 {
		t.Errorf("unmerge leaves %v", d)
	}
	if d := number(t, out, `reloaded onto a fresh copy of the base: max \|logit difference\| = (\S+)`); d > 1e-5 {
		t.Errorf("reloaded adapters differ by %v", d)
	}
}

func TestBadFlags(t *testing.T) {
	part2test.BadFlags(t, run, []string{"-rank", "0"}, []string{"-alpha", "0"}, []string{"-lora-lr", "-1"}, []string{"-sft-steps", "0"})
}
