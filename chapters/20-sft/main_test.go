package main

import (
	"regexp"
	"strconv"
	"testing"

	"transformers/chapters/internal/effect"
	"transformers/chapters/internal/golden"
	"transformers/chapters/internal/part2/part2test"
)

// tiny is a run of a few seconds: a small corpus, a few updates.
var tiny = []string{"-from-scratch", "-corpus-bytes", "20000", "-base-steps", "6", "-sft-steps", "4", "-d-model", "16", "-layers", "1", "-held", "6"}

func TestRun(t *testing.T) {
	out := part2test.RunTest(t, run, tiny, "sft-loss.png")
	golden.Contains(t, out, "The chat template and its loss mask", `"<|assistant|>"`, "base model: pre-training", "part3/base.safetensors", "part3/sft.safetensors", "Before and after, on the same 6 held-out prompts")
	// The mask printout trains exactly the reply and its <|end|>: the last
	// row is <|end|> with mask 1, and the <|end|> closing the user turn has 0.
	if !regexp.MustCompile(`(?m)^\s+\d+\s+5\s+0\s+"<\|end\|>"$`).Match(out) || !regexp.MustCompile(`(?m)^\s+\d+\s+5\s+1\s+"<\|end\|>"$`).Match(out) {
		t.Error("mask table: want the user's <|end|> untrained and the assistant's trained")
	}
	m := regexp.MustCompile(`(\d+) tokens, (\d+) trained`).FindSubmatch(out)
	if m == nil {
		t.Fatal("no token count line")
	}
	if n, _ := strconv.Atoi(string(m[2])); n < 2 {
		t.Errorf("%d trained tokens: want the reply and <|end|>", n)
	}
	if rs := effect.Lines(out); len(rs) != 1 || rs[0].Before != "base" || rs[0].After != "SFT" || rs[0].N != 6 {
		t.Errorf("effect lines %+v, want base → SFT on 6 prompts", rs)
	}
	for _, row := range []string{"base", "SFT"} {
		if !regexp.MustCompile(`(?m)^\s+` + row + `\s+\d+\.\d%\s+\d+\.\d%\s+\d\.\d{3}\s+\d+\.\d{3}$`).Match(out) {
			t.Errorf("no %s row in the before/after table", row)
		}
	}
}

func TestBadFlags(t *testing.T) {
	part2test.BadFlags(t, run, []string{"-sft-steps", "0"}, []string{"-d-model", "30"}, []string{"-held", "-1"}, []string{"-corpus-bytes", "10"}, []string{"-nope"})
}
