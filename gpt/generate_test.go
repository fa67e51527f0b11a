package gpt

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"transformers/autograd"
)

func TestSampleToken(t *testing.T) {
	z := []float32{1, 3, 2, 3, -1} // ids 1 and 3 tie for the maximum
	r := rng(40)
	tests := []struct {
		name string
		opt  SampleOptions
		want []int // the ids allowed
	}{
		{"greedy ties to lowest id", SampleOptions{}, []int{1}},
		{"top-k 2", SampleOptions{Temperature: 1, TopK: 2}, []int{1, 3}},
		{"top-p small", SampleOptions{Temperature: 1, TopP: 0.01}, []int{1}},
		{"top-p 0.8", SampleOptions{Temperature: 1, TopP: 0.8}, []int{1, 3, 2}},
		{"cold temperature", SampleOptions{Temperature: 1e-3}, []int{1, 3}},
	}
	for _, tt := range tests {
		seen := map[int]bool{}
		for range 300 {
			id := SampleToken(z, tt.opt, r)
			if !slices.Contains(tt.want, id) {
				t.Fatalf("%s: drew %d, allowed %v", tt.name, id, tt.want)
			}
			seen[id] = true
		}
		if len(seen) != len(tt.want) {
			t.Errorf("%s: saw %v, expected all of %v", tt.name, seen, tt.want)
		}
	}
	// Temperature 1 draws id i with probability softmax(z)_i.
	counts := make([]float64, len(z))
	const n = 40000
	for range n {
		counts[SampleToken(z, SampleOptions{Temperature: 1}, r)]++
	}
	sum := 0.0
	for _, v := range z {
		sum += math.Exp(float64(v))
	}
	for i, v := range z {
		p := math.Exp(float64(v)) / sum
		if math.Abs(counts[i]/n-p) > 0.01 {
			t.Errorf("id %d drawn with frequency %.3f, want %.3f", i, counts[i]/n, p)
		}
	}
}

func TestGenerate(t *testing.T) {
	for _, pos := range []string{PosLearned, PosALiBi, PosRoPE} {
		m := New(tiny(pos), rng(41))
		prompt := []int{1, 2, 3}
		// Greedy with and without the cache agree token for token.
		a := m.Generate(prompt, GenerateOptions{MaxTokens: 10, EOS: -1})
		b := m.Generate(prompt, GenerateOptions{MaxTokens: 10, EOS: -1, NoCache: true})
		if len(a) != 10 || !slices.Equal(a, b) {
			t.Errorf("%s: cached %v, uncached %v", pos, a, b)
		}
		// The same seed gives the same sample; generation stops at EOS.
		opt := func(seed uint64) GenerateOptions {
			return GenerateOptions{SampleOptions: SampleOptions{Temperature: 2}, MaxTokens: 12, EOS: 4, Rng: rng(seed)}
		}
		s1, s2 := m.Generate(prompt, opt(5)), m.Generate(prompt, opt(5))
		if !slices.Equal(s1, s2) {
			t.Errorf("%s: same seed, different samples %v, %v", pos, s1, s2)
		}
		if i := slices.Index(s1, 4); i >= 0 && i != len(s1)-1 {
			t.Errorf("%s: did not stop at EOS: %v", pos, s1)
		}
		// Generating past the context still works (the cache is rebuilt).
		if got := m.Generate(prompt, GenerateOptions{MaxTokens: 40, EOS: -1}); len(got) != 40 {
			t.Errorf("%s: generated %d of 40 tokens past the context", pos, len(got))
		}
	}
}

func TestMeasureKVCache(t *testing.T) {
	m := New(tiny(PosLearned), rng(42))
	s := m.MeasureKVCache([]int{1}, 12)
	if !s.Same || s.Tokens != 12 || s.Cached <= 0 || s.Uncached <= 0 {
		t.Errorf("%v", s)
	}
}

// ExampleModel_Generate builds a tiny untrained GPT, counts its parameters
// and decodes greedily with the KV cache.
func ExampleModel_Generate() {
	cfg := DefaultConfig(16)
	cfg.Context, cfg.Layers, cfg.Heads, cfg.DModel, cfg.DFF = 32, 2, 2, 16, 64
	m := New(cfg, rand.New(rand.NewPCG(1, 2)))
	fmt.Println("parameters:", m.ParamCount().Total)
	g := autograd.NoGrad()
	fmt.Println("logits shape:", m.Logits(g, []int{1, 2, 3}, 1, 3).Value.Shape)
	out := m.Generate([]int{1, 2, 3}, GenerateOptions{MaxTokens: 5, EOS: -1})
	fmt.Println("generated", len(out), "tokens")
	// Output:
	// parameters: 7072
	// logits shape: [1 3 16]
	// generated 5 tokens
}

// TestGenerateBatch: a batch of prompts of different lengths gives each row
// what Generate gives it alone (greedy, so no draws are shared).
func TestGenerateBatch(t *testing.T) {
	for _, pos := range []string{PosLearned, PosRoPE, PosALiBi} {
		m := New(tiny(pos), rng(43))
		prompts := [][]int{{1, 2, 3, 4}, {5}, {6, 7}}
		got := m.GenerateBatch(prompts, GenerateOptions{MaxTokens: 6, EOS: -1})
		for i, p := range prompts {
			want := m.Generate(p, GenerateOptions{MaxTokens: 6, EOS: -1})
			if !slices.Equal(got[i], want) {
				t.Errorf("%s row %d: batch %v, alone %v", pos, i, got[i], want)
			}
		}
		// EOS stops one row without stopping the others.
		first := m.Generate(prompts[1], GenerateOptions{MaxTokens: 1, EOS: -1})[0]
		got = m.GenerateBatch(prompts, GenerateOptions{MaxTokens: 6, EOS: first})
		if len(got[1]) != 1 || len(got[0]) == 0 {
			t.Errorf("%s: EOS handling %v", pos, got)
		}
	}
}

// TestDistribution: Distribution lists exactly the ids SampleToken can draw,
// with probabilities summing to 1 that match its draws' frequencies.
func TestDistribution(t *testing.T) {
	z := []float32{1, 3, 2, 3, -1}
	tests := []struct {
		name string
		opt  SampleOptions
		ids  []int
	}{
		{"greedy", SampleOptions{}, []int{1}},
		{"all", SampleOptions{Temperature: 1}, []int{1, 3, 2, 0, 4}},
		{"top-k 2", SampleOptions{Temperature: 1, TopK: 2}, []int{1, 3}},
		{"top-p 0.8", SampleOptions{Temperature: 1, TopP: 0.8}, []int{1, 3, 2}},
		{"hot, top-k 3", SampleOptions{Temperature: 5, TopK: 3}, []int{1, 3, 2}},
	}
	r := rng(44)
	for _, tt := range tests {
		d := Distribution(z, tt.opt)
		var ids []int
		sum := 0.0
		for _, c := range d {
			ids = append(ids, c.ID)
			sum += c.P
		}
		if !slices.Equal(ids, tt.ids) || math.Abs(sum-1) > 1e-12 {
			t.Errorf("%s: ids %v (sum %g), want %v summing to 1", tt.name, ids, sum, tt.ids)
		}
		counts := map[int]float64{}
		const n = 20000
		for range n {
			counts[SampleToken(z, tt.opt, r)]++
		}
		for _, c := range d {
			if math.Abs(counts[c.ID]/n-c.P) > 0.015 {
				t.Errorf("%s: id %d drawn with frequency %.3f, Distribution says %.3f", tt.name, c.ID, counts[c.ID]/n, c.P)
			}
		}
	}
}

// TestGenerateOnLogits: OnLogits sees, at every step, the logits of the
// whole sequence so far at its last position.
func TestGenerateOnLogits(t *testing.T) {
	m := New(tiny(PosLearned), rng(45))
	prompt := []int{1, 2, 3}
	var seen [][]float32
	out := m.Generate(prompt, GenerateOptions{MaxTokens: 5, EOS: -1,
		OnLogits: func(z []float32) { seen = append(seen, slices.Clone(z[:m.Config.VocabSize])) }})
	if len(seen) != len(out) {
		t.Fatalf("OnLogits called %d times for %d tokens", len(seen), len(out))
	}
	seq := slices.Clone(prompt)
	V := m.Config.VocabSize
	for i, z := range seen {
		lg := m.Logits(autograd.NoGrad(), seq, 1, len(seq)).Value.Data[(len(seq)-1)*V:]
		for j := range V {
			if math.Abs(float64(z[j]-lg[j])) > 1e-4 {
				t.Fatalf("step %d id %d: cached logit %g, full forward %g", i, j, z[j], lg[j])
			}
		}
		seq = append(seq, out[i])
	}
}
