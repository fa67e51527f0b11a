package gpt

import (
	"fmt"
	"testing"

	"transformers/autograd"
)

// BenchmarkTrainStep times forward + backward (no optimizer) for a few model
// sizes with a character-sized vocabulary: d_model/layers/context/batch.
func BenchmarkTrainStep(b *testing.B) {
	for _, s := range []struct{ d, l, t, bs int }{{128, 4, 128, 16}, {96, 3, 64, 16}, {64, 2, 64, 16}, {64, 3, 64, 32}} {
		b.Run(fmt.Sprintf("d%d-L%d-T%d-B%d", s.d, s.l, s.t, s.bs), func(b *testing.B) {
			c := DefaultConfig(316)
			c.Context, c.DModel, c.DFF, c.Layers = s.t, s.d, 4*s.d, s.l
			m := New(c, rng(1))
			ids := randIDs(rng(2), s.bs*s.t, 316)
			g := autograd.New()
			for b.Loop() {
				g.Reset()
				loss := g.CrossEntropy(m.Logits(g, ids, s.bs, s.t), ids, nil)
				g.Backward(loss)
			}
			b.ReportMetric(float64(s.bs*s.t*b.N)/b.Elapsed().Seconds(), "tok/s")
		})
	}
}

// BenchmarkKVCache generates 64, 128 and 256 tokens greedily with and
// without the KV cache (issue 5's reference width: 4 layers, d_model 128,
// context 320) and reports the speed-up, the uncached/cached time ratio.
// Run once: go test -run XXX -bench KVCache -benchtime 1x ./gpt
func BenchmarkKVCache(b *testing.B) {
	c := DefaultConfig(316)
	c.Context, c.DModel, c.DFF = 320, 128, 512
	m := New(c, rng(1))
	for _, n := range []int{64, 128, 256} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			var s Speedup
			for b.Loop() {
				s = m.MeasureKVCache([]int{1}, n)
			}
			if !s.Same {
				b.Fatal("cached and uncached generation differ")
			}
			b.ReportMetric(s.Ratio(), "speedup")
			b.ReportMetric(float64(n)/s.Cached.Seconds(), "cached_tok/s")
			b.ReportMetric(float64(n)/s.Uncached.Seconds(), "uncached_tok/s")
		})
	}
}

// BenchmarkGenerateCached times one cached greedy token at the reference
// width (the per-token cost of decoding with the KV cache).
func BenchmarkGenerateCached(b *testing.B) {
	c := DefaultConfig(316)
	c.Context, c.DModel, c.DFF = 320, 128, 512
	m := New(c, rng(1))
	b.ResetTimer()
	for b.Loop() {
		m.Generate([]int{1}, GenerateOptions{MaxTokens: 256, EOS: -1})
	}
	b.ReportMetric(float64(256*b.N)/b.Elapsed().Seconds(), "tok/s")
}
