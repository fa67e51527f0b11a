// Chapter 12 — scaled dot-product attention with a causal mask.
//
// Every position asks a question (its query), every position offers an
// answer key and a value; position i mixes the values of positions j ≤ i in
// proportion to softmax_j(q_i·k_j/√d). The program computes it step by step,
// checks the result against the engine's fused Attention op, and measures
// why the 1/√d is there: for random q and k with unit-variance entries,
// Var(q·k) = d, so without it the softmax saturates as heads get wider.
//
//	go run ./chapters/12-causal-attention [-seed 1] [-t 6] [-d 16] [-samples 20000] [-out out/12-causal-attention]
package main

import (
	"fmt"
	"io"
	"math"
	"os"

	"transformers/autograd"
	"transformers/chapters/internal/part2"
	"transformers/chapters/internal/show"
	"transformers/nn/plot"
	"transformers/tensor"
)

func main() {
	if err := run(os.Stdout, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "12-causal-attention:", err)
		os.Exit(2)
	}
}

func run(w io.Writer, args []string) error {
	fs, seed, out := part2.Flags("12-causal-attention")
	T := fs.Int("t", 6, "sequence length of the worked example")
	d := fs.Int("d", 16, "head width of the worked example")
	samples := fs.Int("samples", 20000, "random (q, k) pairs per width for the variance measurement")
	fs.SetOutput(w)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := part2.Positive("t", *T, "d", *d, "samples", *samples); err != nil {
		return err
	}
	if *samples < 2 {
		return fmt.Errorf("-samples %d: need at least 2 to measure a variance", *samples)
	}
	part2.Intro(w, "Chapter 12 · Causal attention", *seed, *out)
	rng := part2.Rng(*seed, 1)

	// One head: q, k, v [T, d], entries N(0, 1).
	q, k, v := tensor.Randn(rng, 1, *T, *d), tensor.Randn(rng, 1, *T, *d), tensor.Randn(rng, 1, *T, *d)
	pos := make([]string, *T)
	for i := range pos {
		pos[i] = fmt.Sprintf("pos %d", i)
	}
	show.Heading(w, fmt.Sprintf("Scores S = Q·Kᵀ / √d  (T = %d, d = %d, √d = %.4f)", *T, *d, math.Sqrt(float64(*d))))
	s := tensor.Scale(tensor.MatMulNT(q, k), float32(1/math.Sqrt(float64(*d))))
	show.Rows(w, rows(s.Data, *T), pos, keys(*T), 3)

	show.Heading(w, "Causal mask: query i may not look at keys j > i (−inf before the softmax)")
	masked := tensor.MaskedFill(s, tensor.Triu(*T, *T, 1), float32(math.Inf(-1)))
	show.Rows(w, rows(masked.Data, *T), pos, keys(*T), 3)

	show.Heading(w, "Softmax of row 2 by hand")
	r := masked.Data[2**T : 3**T]
	mx, sum := math.Inf(-1), 0.0
	for _, x := range r[:3] {
		mx = math.Max(mx, float64(x))
	}
	for _, x := range r[:3] {
		sum += math.Exp(float64(x) - mx)
	}
	for j := range 3 {
		fmt.Fprintf(w, "  a[2][%d] = exp(%s − %s) / %s = %s\n", j, show.Num(float64(r[j]), 4), show.Term(mx, 4), show.Num(sum, 4), show.Num(math.Exp(float64(r[j])-mx)/sum, 4))
	}
	fmt.Fprintln(w, "  (subtracting the row maximum changes nothing mathematically and keeps exp from overflowing; exp(−inf) = 0)")

	show.Heading(w, "Weights A = softmax(S), rows sum to 1, zeros above the diagonal")
	a := tensor.Softmax(masked, -1)
	show.Rows(w, rows(a.Data, *T), pos, keys(*T), 3)
	hm := plot.NewHeatmap(a.Data, *T, *T)
	hm.Title, hm.RowLabels, hm.ColLabels, hm.ShowValues, hm.CellSize = "causal attention weights", pos, keys(*T), true, 40
	if err := part2.Write(w, hm, *out, "weights.png"); err != nil {
		return err
	}

	show.Heading(w, "Output O = A·V, checked against the engine's fused Attention")
	o := tensor.MatMul(a, v)
	g := autograd.NoGrad()
	four := func(t *tensor.Tensor) *autograd.Var { return autograd.Const(tensor.New(t.Data, 1, 1, *T, *d)) }
	fused := g.Attention(four(q), four(k), four(v), autograd.AttentionOptions{Causal: true})
	show.Rows(w, rows(o.Data[:min(*T, 3)**d], *d), pos[:min(*T, 3)], nil, 3)
	fmt.Fprintf(w, "max |O − Attention(q, k, v, causal)| = %s over all %d×%d entries\n", part2.Sci(part2.MaxAbsDiff(o.Data, fused.Value.Data)), *T, *d)
	fmt.Fprintf(w, "position 0 can only read itself: O[0] = V[0] exactly? %v\n", part2.MaxAbsDiff(o.Data[:*d], v.Data[:*d]) == 0)

	show.Heading(w, fmt.Sprintf("Why 1/√d: the variance of q·k for random unit-variance q, k (%d pairs per width)", *samples))
	var table [][]string
	for _, dd := range []int{4, 16, 64, 256, 1024} {
		raw, scaled := 0.0, 0.0
		var dots []float64
		for range *samples {
			x, y := tensor.Randn(rng, 1, dd), tensor.Randn(rng, 1, dd)
			dots = append(dots, dot(x.Data, y.Data))
		}
		raw = variance(dots)
		scaled = raw / float64(dd)
		table = append(table, []string{fmt.Sprint(dd), show.Num(raw, 2), show.Num(scaled, 4),
			show.Num(peak(rng, dd, 16, 1, 500), 3), show.Num(peak(rng, dd, 16, 1/math.Sqrt(float64(dd)), 500), 3)})
	}
	show.Table(w, []string{"d", "Var(q·k)", "Var(q·k/√d)", "mean max weight, unscaled", "scaled"}, table)
	fmt.Fprintln(w, "Var(q·k) = Σ Var(q_i k_i) = d, so dividing by √d brings it back to 1 at every width. Unscaled, the")
	fmt.Fprintln(w, "softmax over 16 keys puts nearly all weight on one key as d grows (max weight → 1): its gradients vanish.")
	return nil
}

// peak returns the mean, over n draws, of the largest softmax weight among
// keys scores q·k_j·scale for random q and keys k_j of width d.
func peak(rng interface{ NormFloat64() float64 }, d, keys int, scale float64, n int) float64 {
	total := 0.0
	for range n {
		q := make([]float64, d)
		for i := range q {
			q[i] = rng.NormFloat64()
		}
		s := make([]float64, keys)
		mx := math.Inf(-1)
		for j := range s {
			for i := range q {
				s[j] += q[i] * rng.NormFloat64()
			}
			s[j] *= scale
			mx = math.Max(mx, s[j])
		}
		z := 0.0
		for _, x := range s {
			z += math.Exp(x - mx)
		}
		total += 1 / z
	}
	return total / float64(n)
}

func dot(a, b []float32) float64 {
	s := 0.0
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return s
}

func variance(xs []float64) float64 {
	m := 0.0
	for _, x := range xs {
		m += x
	}
	m /= float64(len(xs))
	v := 0.0
	for _, x := range xs {
		v += (x - m) * (x - m)
	}
	return v / float64(len(xs)-1)
}

func rows(data []float32, c int) [][]float64 {
	var out [][]float64
	for i := 0; i+c <= len(data); i += c {
		r := make([]float64, c)
		for j := range r {
			r[j] = float64(data[i+j])
		}
		out = append(out, r)
	}
	return out
}

func keys(T int) []string {
	out := make([]string, T)
	for i := range out {
		out[i] = fmt.Sprintf("k%d", i)
	}
	return out
}
