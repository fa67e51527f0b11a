package main

import (
	"regexp"
	"strings"
	"testing"

	"transformers/chapters/internal/golden"
	"transformers/chapters/internal/part2/part2test"
)

func TestRun(t *testing.T) {
	out := part2test.RunTest(t, run, []string{"-d-model", "16", "-layers", "1", "-lengths", "4,8", "-repeats", "1", "-check-t", "24"}, "speedup.png")
	golden.Contains(t, out, "+ token 3", "learned", "sinusoidal", "alibi", "rope")
	for _, r := range regexp.MustCompile(`(?m)^  (learned|sinusoidal|alibi|rope)\s+24\s+24\s+(\S+)$`).FindAllSubmatch(out, -1) {
		if !strings.HasPrefix(string(r[2]), "0.00e+00") && !strings.Contains(string(r[2]), "e-0") {
			t.Errorf("%s: cached and uncached logits differ by %s", r[1], r[2])
		}
	}
	if n := len(regexp.MustCompile(`(?m)×\s+true$`).FindAll(out, -1)); n != 2 {
		t.Errorf("%d timing rows with identical tokens, want 2", n)
	}
}

func TestBadFlags(t *testing.T) {
	part2test.BadFlags(t, run, []string{"-lengths", "4,x"}, []string{"-lengths", "0"}, []string{"-d-model", "6"}, []string{"-repeats", "0"})
}
