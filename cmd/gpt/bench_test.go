package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestBenchPrintsOneJSONLine runs bench on a tiny model and checks the JSON
// line has every field of the peer's, with plausible values.
func TestBenchPrintsOneJSONLine(t *testing.T) {
	code, out, errs := runCmd("bench", "-vocab", "16", "-context", "8", "-layers", "1", "-heads", "2",
		"-d-model", "8", "-d-ff", "16", "-batch", "2", "-steps", "2", "-procs", "1")
	if code != 0 {
		t.Fatalf("bench exited %d: %s", code, errs)
	}
	if strings.Count(out, "\n") != 1 {
		t.Fatalf("bench printed %q, want one line", out)
	}
	var r map[string]any
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("bench output %q: %v", out, err)
	}
	for _, k := range []string{"train_tok_s", "step_ms", "gen_tok_s", "sgemm_gflops", "allocs_per_step", "peak_heap_mb", "params", "threads"} {
		v, ok := r[k].(float64)
		if !ok || !(v > 0) {
			t.Errorf("field %s = %v, want a positive number", k, r[k])
		}
	}
	if r["threads"] != 1.0 {
		t.Errorf("threads = %v with -procs 1", r["threads"])
	}
}

func TestBenchRejectsBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"bench", "-heads", "3"},      // 128 not divisible by 3
		{"bench", "-batch", "0"},      // no tokens
		{"bench", "-positions", "no"}, // unknown encoding
	} {
		if code, _, errs := runCmd(args...); code != 2 || errs == "" {
			t.Errorf("%v: exit %d, stderr %q; want 2 and a message", args, code, errs)
		}
	}
}
