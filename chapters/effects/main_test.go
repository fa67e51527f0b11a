package main

import (
	"bytes"
	"os"
	"slices"
	"strings"
	"testing"

	"transformers/chapters/internal/effect"
)

func TestSummarize(t *testing.T) {
	k1, k2 := key{"32-grpo", "GRPO"}, key{"26-self-consistency", "vote"}
	results := map[key]map[uint64]effect.Result{
		k1: {1: {Before: "SFT", After: "GRPO", N: 500, Gain: 15, SE: 2}, 2: {N: 500, Gain: 10, SE: 2}, 3: {N: 500, Gain: 3, SE: 2}},
		// Seed 2 did not report this one: it is neither positive nor significant on every seed.
		k2: {1: {Before: "one", After: "many", N: 200, Gain: 5, SE: 1}, 3: {N: 200, Gain: 6, SE: 1}},
	}
	head, rows := summarize([]uint64{1, 2, 3}, []key{k1, k2}, results)
	if len(head) != 3+3+5 {
		t.Fatalf("head %q", head)
	}
	want := [][]string{
		{"32-grpo", "GRPO (SFT → GRPO)", "500", "+15.0 ± 2.0", "+10.0 ± 2.0", "+3.0 ± 2.0", "+9.3", "+3.0", "+15.0", "yes", "no"},
		{"26-self-consistency", "vote (one → many)", "200", "+5.0 ± 1.0", "—", "+6.0 ± 1.0", "+5.5", "+5.0", "+6.0", "no", "no"},
	}
	for i := range want {
		if !slices.Equal(rows[i], want[i]) {
			t.Errorf("row %d = %q\nwant     %q", i, rows[i], want[i])
		}
	}
}

func TestBadFlags(t *testing.T) {
	if err := os.Chdir("../.."); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"-seeds", "1,x"}, `-seeds "1,x"`},
		{[]string{"-chapters", "99"}, `no chapter "99"`},
	} {
		var out, errb bytes.Buffer
		if err := run(tt.args, &out, &errb); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("run(%q) = %v, want an error containing %q", tt.args, err, tt.want)
		}
	}
	got, err := resolve("32,26-self-consistency")
	if err != nil || !slices.Equal(got, []string{"32-grpo", "26-self-consistency"}) {
		t.Errorf("resolve = %v, %v", got, err)
	}
}
