// Chapter 11 — embeddings and positions.
//
// Text becomes token ids, each id picks a row of the token embedding table
// wte, and the model learns which tokens are alike. Attention alone cannot
// see order, so position enters in one of four ways: a learned table wpe, the
// fixed sinusoidal table, ALiBi's per-head linear bias on the scores, or
// RoPE's rotation of queries and keys. Each is built, printed and measured
// for the property that matters: does the score between two positions
// depend only on their distance?
//
//	go run ./chapters/11-embeddings [-seed 1] [-d 64] [-context 64] [-out out/11-embeddings]
package main

import (
	"fmt"
	"io"
	"math"
	"os"

	"transformers/autograd"
	"transformers/chapters/internal/part2"
	"transformers/chapters/internal/show"
	"transformers/gpt"
	"transformers/gpt/corpus"
	"transformers/gpt/tokenizer"
	"transformers/nn"
	"transformers/nn/plot"
	"transformers/tensor"
)

func main() {
	if err := run(os.Stdout, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "11-embeddings:", err)
		os.Exit(2)
	}
}

func run(w io.Writer, args []string) error {
	fs, seed, out := part2.Flags("11-embeddings")
	d := fs.Int("d", 64, "embedding width d_model (even)")
	ctx := fs.Int("context", 64, "positions to build and compare")
	heads := fs.Int("heads", 4, "attention heads for ALiBi")
	base := fs.Float64("rope-base", 10000, "RoPE base")
	fs.SetOutput(w)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := part2.Positive("d", *d, "context", *ctx, "heads", *heads); err != nil {
		return err
	}
	if *d%2 != 0 || *ctx < 8 || !(*base > 1) {
		return fmt.Errorf("-d %d must be even, -context %d at least 8, -rope-base %g above 1", *d, *ctx, *base)
	}
	part2.Intro(w, "Chapter 11 · Embeddings and positions", *seed, *out)
	rng := part2.Rng(*seed, 1)

	show.Heading(w, "Token embeddings: text → ids → rows of wte")
	text := corpus.Corpus(corpus.DefaultSeed, 4000)
	tk := tokenizer.NewChar(text)
	sentence := firstLine(text)
	ids := tk.Encode(sentence)
	show.KV(w, "text", fmt.Sprintf("%q", sentence), "tokenizer", fmt.Sprintf("characters of the built-in corpus: %d ids (with specials)", tk.VocabSize()),
		"ids", fmt.Sprint(ids))
	wte := nn.NewEmbedding("wte", tk.VocabSize(), *d, rng)
	x := wte.Forward(autograd.NoGrad(), ids)
	labels := make([]string, min(6, len(ids)))
	var xrows [][]float64
	for i := range labels {
		labels[i] = fmt.Sprintf("%d:%q", i, tk.Token(ids[i]))
		xrows = append(xrows, f64(x.Value.Data[i**d:i**d+6]))
	}
	fmt.Fprintf(w, "wte [%d×%d] ~ N(0, 0.02²); the first 6 tokens, first 6 of %d dimensions:\n", tk.VocabSize(), *d, *d)
	show.Rows(w, xrows, labels, []string{"d0", "d1", "d2", "d3", "d4", "d5"}, 4)
	fmt.Fprintf(w, "the same character gets the same row: %q at positions %v → rows equal: %v\n", tk.Token(ids[repeat(ids)[0]]), repeat(ids), equalRows(x.Value, *d, repeat(ids)))

	// Learned positions: a second table, one row per position, trained like wte.
	show.Heading(w, "1. Learned positions (GPT-2): X = wte[id] + wpe[pos]")
	wpe := nn.NewEmbedding("wpe", *ctx, *d, rng)
	var wrows [][]float64
	for p := range 3 {
		wrows = append(wrows, f64(wpe.Weight.Value.Data[p**d:p**d+6]))
	}
	show.Rows(w, wrows, []string{"pos 0", "pos 1", "pos 2"}, []string{"d0", "d1", "d2", "d3", "d4", "d5"}, 4)
	fmt.Fprintf(w, "X[1] = wte[%q] + wpe[1]: d0 = %s + %s = %s\n", tk.Token(ids[1]), show.Num(float64(x.Value.Data[*d]), 4), show.Term(float64(wpe.Weight.Value.Data[*d]), 4),
		show.Num(float64(x.Value.Data[*d]+wpe.Weight.Value.Data[*d]), 4))
	show.KV(w, "parameters", fmt.Sprintf("%d × %d = %d", *ctx, *d, *ctx**d), "beyond the context", "no row exists: the model cannot read position "+fmt.Sprint(*ctx))

	// Sinusoidal: fixed, PE[p,2i] = sin(p/10000^(2i/d)), PE[p,2i+1] = cos(…).
	show.Heading(w, "2. Sinusoidal positions (2017): a fixed table, no parameters")
	pe := gpt.Sinusoidal(0, *ctx, *d)
	var perows [][]float64
	for _, p := range []int{0, 1, 2, *ctx - 1} {
		perows = append(perows, f64(pe.Data[p**d:p**d+6]))
	}
	show.Rows(w, perows, []string{"pos 0", "pos 1", "pos 2", fmt.Sprintf("pos %d", *ctx-1)}, []string{"sin θ0", "cos θ0", "sin θ1", "cos θ1", "sin θ2", "cos θ2"}, 4)
	hm := plot.NewHeatmap(pe.Data, *ctx, *d)
	hm.Title, hm.CellSize, hm.Scale, hm.Min, hm.Max = "sinusoidal positions: rows are positions, columns dimensions", 6, plot.DivergingScale, -1, 1
	if err := part2.Write(w, hm, *out, "sinusoidal.png"); err != nil {
		return err
	}

	// ALiBi: no embedding at all; head h adds −m_h·(i−j) to score (i, j).
	show.Heading(w, fmt.Sprintf("3. ALiBi: a linear penalty on the scores, slope m_h = 2^(−8(h+1)/H) for H = %d", *heads))
	slopes := gpt.ALiBiSlopes(*heads)
	var srows [][]string
	for h, m := range slopes {
		srows = append(srows, []string{fmt.Sprint(h), fmt.Sprintf("2^(−%g)", 8*float64(h+1)/float64(*heads)), show.Num(m, 4), show.Num(-m*10, 4)})
	}
	show.Table(w, []string{"head", "m_h", "value", "bias at distance 10"}, srows)
	bias := gpt.ALiBiBias(*heads, 6, 6)
	fmt.Fprintln(w, "head 0's bias for 6 positions (query rows, key columns; above the diagonal the causal mask applies):")
	show.Rows(w, [][]float64(f64rows(bias.Data[:36], 6)), nil, nil, 2)

	// RoPE: rotate pairs (x_i, x_{i+d/2}) by p·θ_i, θ_i = base^(−2i/d).
	show.Heading(w, fmt.Sprintf("4. RoPE: queries and keys rotated by p·θ_i, θ_i = %g^(−2i/d)", *base))
	q := tensor.Randn(rng, 1, 1, 1, 1, *d)
	k := tensor.Randn(rng, 1, 1, 1, 1, *d)
	rope := func(v *tensor.Tensor, p int) []float32 {
		return gpt.RoPE(autograd.NoGrad(), autograd.Const(v), p, *base).Value.Data
	}
	var rrows [][]string
	for _, mn := range [][2]int{{3, 0}, {10, 7}, {40, 37}, {*ctx - 1, *ctx - 4}, {5, 0}, {25, 20}} {
		rrows = append(rrows, []string{fmt.Sprint(mn[0]), fmt.Sprint(mn[1]), fmt.Sprint(mn[0] - mn[1]), show.Num(dot(rope(q, mn[0]), rope(k, mn[1])), 6)})
	}
	show.Table(w, []string{"query pos m", "key pos n", "m − n", "RoPE(q,m)·RoPE(k,n)"}, rrows)
	fmt.Fprintf(w, "a rotation keeps length: |q| = %.6f, |RoPE(q, 17)| = %.6f\n", math.Sqrt(dot(q.Data, q.Data)), math.Sqrt(dot(rope(q, 17), rope(q, 17))))

	// Compare: how much does the score between position pairs at the same
	// offset vary with where the pair sits? 0 means "only the offset matters".
	show.Heading(w, "Compared: does the position term of a score depend only on the offset m − n?")
	learned := func(m, n int) float64 {
		return dot(wpe.Weight.Value.Data[m**d:(m+1)**d], wpe.Weight.Value.Data[n**d:(n+1)**d])
	}
	sinus := func(m, n int) float64 { return dot(pe.Data[m**d:(m+1)**d], pe.Data[n**d:(n+1)**d]) }
	alibi := gpt.ALiBiBias(1, *ctx, *ctx)
	ali := func(m, n int) float64 { return float64(alibi.Data[m**ctx+n]) }
	rp := func(m, n int) float64 { return dot(rope(q, m), rope(k, n)) }
	var crow [][]string
	for _, c := range []struct {
		name, where, params string
		f                   func(m, n int) float64
	}{
		{"learned", "added to the input", fmt.Sprint(*ctx * *d), learned},
		{"sinusoidal", "added to the input", "0", sinus},
		{"ALiBi", "added to the scores", "0", ali},
		{"RoPE", "rotates q and k", "0", rp},
	} {
		crow = append(crow, []string{c.name, c.where, c.params, part2.Sci(spread(c.f, *ctx, 1)), part2.Sci(spread(c.f, *ctx, 5)), fmt.Sprint(c.name != "learned")})
	}
	show.Table(w, []string{"positions", "acts on", "parameters", "spread at offset 1", "offset 5", "reads any length"}, crow)
	fmt.Fprintln(w, "spread = max − min of the score over every pair (m, m−k) in the context: sinusoidal, ALiBi and RoPE depend on the offset alone")
	fmt.Fprintln(w, "(to float32 rounding); a learned table can learn that, but starts with no notion of distance at all.")
	return nil
}

// spread returns max − min of f(m, m−k) over m in [k, n).
func spread(f func(m, n int) float64, n, k int) float64 {
	lo, hi := math.Inf(1), math.Inf(-1)
	for m := k; m < n; m++ {
		v := f(m, m-k)
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	return hi - lo
}

func dot(a, b []float32) float64 {
	s := 0.0
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return s
}

func f64(xs []float32) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = float64(x)
	}
	return out
}

func f64rows(xs []float32, c int) [][]float64 {
	var out [][]float64
	for i := 0; i < len(xs); i += c {
		out = append(out, f64(xs[i:i+c]))
	}
	return out
}

// firstLine returns the first sentence of text (up to the first period).
func firstLine(text string) string {
	for i, r := range text {
		if r == '.' || r == '\n' {
			return text[:i+1]
		}
	}
	return text
}

// repeat returns two positions holding the same id (the first such pair).
func repeat(ids []int) []int {
	for i := range ids {
		for j := i + 1; j < len(ids); j++ {
			if ids[i] == ids[j] {
				return []int{i, j}
			}
		}
	}
	return []int{0, 0}
}

func equalRows(x *tensor.Tensor, d int, pos []int) bool {
	return part2.MaxAbsDiff(x.Data[pos[0]*d:(pos[0]+1)*d], x.Data[pos[1]*d:(pos[1]+1)*d]) == 0
}
