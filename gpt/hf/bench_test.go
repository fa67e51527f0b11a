package hf

import (
	"math/rand/v2"
	"testing"

	"transformers/gpt"
)

// gpt2Small is the shape of OpenAI's GPT-2 small (124 M parameters).
var gpt2Small = gpt.Config{VocabSize: 50257, Context: 1024, Layers: 12, Heads: 12, DModel: 768, DFF: 3072,
	Positions: gpt.PosLearned, Norm: gpt.NormLayer, NormEps: 1e-5, FF: gpt.FFGELU, Tied: true, Bias: true, InitStd: 0.02}

// BenchmarkGPT2SmallGenerate measures greedy generation with the KV cache
// on a random-init model of GPT-2 small's exact shape (the weights cannot
// be downloaded here; the arithmetic is the same), reporting tokens/s.
//
//	go test -run XXX -bench GPT2Small -benchtime 1x ./gpt/hf
func BenchmarkGPT2SmallGenerate(b *testing.B) {
	m := gpt.New(gpt2Small, rand.New(rand.NewPCG(1, 2)))
	prompt := []int{464, 2068, 7586, 21831, 18045, 625, 262, 16931, 3290, 13}
	const n = 32
	b.ResetTimer()
	for range b.N {
		out := m.Generate(prompt, gpt.GenerateOptions{MaxTokens: n, EOS: -1})
		if len(out) != n {
			b.Fatalf("%d tokens, want %d", len(out), n)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "tokens/s")
}

// BenchmarkEncode measures the tokenizer on a paragraph of mixed text.
func BenchmarkEncode(b *testing.B) {
	tk := loadTok(b)
	text := "It's 12 o'clock: the theme's there, and they'll say we'd   gone.\n\nCafé ünder 日本語 😀! "
	b.SetBytes(int64(len(text)))
	for range b.N {
		tk.Encode(text)
	}
}
