package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestRunBadFlags: every bad command line is refused before anything is
// trained or served, with an error naming the flag at fault.
func TestRunBadFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"missing model", []string{"-model", "no/such/dir"}, "-model no/such/dir"},
		{"model and tiny", []string{"-model", "x", "-tiny"}, "-model and -tiny"},
		{"steps zero", []string{"-steps", "0"}, "-steps 0"},
		{"steps too many", []string{"-steps", "1000000"}, "-steps 1000000"},
		{"argument", []string{"extra"}, `unexpected argument "extra"`},
		{"bad addr", []string{"-model", "../../testdata/hf/tiny-f32", "-addr", "nonsense"}, "-addr nonsense"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			err := run(context.Background(), tt.args, &out, &errb)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("run(%q) = %v, want an error containing %q", tt.args, err, tt.want)
			}
		})
	}
}

// TestDefaultModelIsShippedBase: with no -model the explorer opens the
// shipped story base at once, with its character tokenizer, and says where
// the weights came from.
func TestDefaultModelIsShippedBase(t *testing.T) {
	var out bytes.Buffer
	m, err := defaultModel(context.Background(), 1, 1, &out)
	if err != nil {
		t.Fatal(err)
	}
	if out.Len() != 0 {
		t.Fatalf("defaultModel fell back to training: %s", out.String())
	}
	if !strings.Contains(m.Source, "shipped story-world base") || m.Tokenizer == nil {
		t.Errorf("source %q, tokenizer %v; want the shipped base with its tokenizer", m.Source, m.Tokenizer != nil)
	}
	if got := m.EncodePrompt("Mia"); len(got) != 4 {
		t.Errorf("EncodePrompt(\"Mia\") = %v, want <|eos|> and three characters", got)
	}
}
