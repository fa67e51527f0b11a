package main

import (
	"math"
	"regexp"
	"strconv"
	"testing"

	"transformers/chapters/internal/golden"
	"transformers/chapters/internal/part2/part2test"
)

func TestRun(t *testing.T) {
	out := part2test.RunTest(t, run, []string{"-d-model", "32", "-layers", "2", "-t", "16", "-batch", "2"}, "gradients.png")
	golden.Contains(t, out, `"n_embd": 32,`, "wte.weight", "h.0.attn.c_attn.weight", "ln_f.weight", "tied output")
	loss := func(key string) float64 {
		m := regexp.MustCompile(key + `:\s+(-?[\d.]+)`).FindSubmatch(out)
		if m == nil {
			t.Fatalf("no %q line", key)
		}
		v, _ := strconv.ParseFloat(string(m[1]), 64)
		return v
	}
	lnV := regexp.MustCompile(`ln (\d+) = `).FindSubmatch(out)
	V, _ := strconv.Atoi(string(lnV[1]))
	if before := loss("loss before"); math.Abs(before-math.Log(float64(V))) > 0.1 {
		t.Errorf("untrained loss %v, ln V = %v", before, math.Log(float64(V)))
	}
	if loss("loss after") >= loss("loss before") {
		t.Error("one training step did not lower the loss on its own batch")
	}
}

func TestBadFlags(t *testing.T) {
	part2test.BadFlags(t, run, []string{"-t", "300"}, []string{"-d-model", "30"}, []string{"-lr", "0"}, []string{"-batch", "0"})
}
