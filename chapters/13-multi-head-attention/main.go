// Chapter 13 — multi-head attention.
//
// H heads each attend with their own queries, keys and values of width
// D = C/H, side by side: the C features of q, k and v are cut into H slices
// (split), each head runs causal attention on its slice, and the H outputs
// are laid next to each other again (merge) before the output projection
// c_proj. GPT-2 computes q, k and v with one fused matrix c_attn [3C, C];
// the program checks that it equals three separate projections, times both,
// and counts the parameters, which do not depend on H.
//
//	go run ./chapters/13-multi-head-attention [-seed 1] [-t 6] [-c 16] [-heads 4] [-out out/13-multi-head-attention]
package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"transformers/autograd"
	"transformers/chapters/internal/part2"
	"transformers/chapters/internal/show"
	"transformers/gpt"
	"transformers/nn"
	"transformers/nn/plot"
	"transformers/tensor"
)

func main() {
	if err := run(os.Stdout, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "13-multi-head-attention:", err)
		os.Exit(2)
	}
}

func run(w io.Writer, args []string) error {
	fs, seed, out := part2.Flags("13-multi-head-attention")
	T := fs.Int("t", 6, "sequence length")
	C := fs.Int("c", 16, "model width d_model")
	H := fs.Int("heads", 4, "attention heads (must divide -c)")
	timeT := fs.Int("time-t", 256, "sequence length for the fused-vs-separate timing (width 256)")
	fs.SetOutput(w)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := part2.Positive("t", *T, "c", *C, "heads", *H, "time-t", *timeT); err != nil {
		return err
	}
	if *C%*H != 0 {
		return fmt.Errorf("-heads %d must divide -c %d", *H, *C)
	}
	part2.Intro(w, "Chapter 13 · Multi-head attention", *seed, *out)
	rng := part2.Rng(*seed, 1)
	D := *C / *H
	g := autograd.NoGrad()
	x := autograd.Const(tensor.Randn(rng, 1, 1, *T, *C))

	show.Heading(w, "Separate Q, K, V projections and the fused c_attn")
	wq := nn.NewLinear("q", *C, *C, false, 0.2, rng)
	wk := nn.NewLinear("k", *C, *C, false, 0.2, rng)
	wv := nn.NewLinear("v", *C, *C, false, 0.2, rng)
	// c_attn's weight is the three matrices stacked: rows 0…C−1 make q, C…2C−1 make k, 2C…3C−1 make v.
	cAttn := &nn.Linear{Weight: autograd.Param("c_attn.weight", tensor.Concat(0, wq.Weight.Value, wk.Weight.Value, wv.Weight.Value))}
	qkv := cAttn.Forward(g, x)
	show.KV(w, "x", fmt.Sprint(x.Value.Shape), "W_q, W_k, W_v", fmt.Sprintf("[%d %d] each", *C, *C),
		"c_attn.weight", fmt.Sprint(cAttn.Weight.Value.Shape), "qkv = x·c_attnᵀ", fmt.Sprint(qkv.Value.Shape))
	var diff float64
	for p, lin := range []*nn.Linear{wq, wk, wv} {
		sep := gpt.SplitHeads(g, lin.Forward(g, x), 0, 1, *H)
		fused := gpt.SplitHeads(g, qkv, p, 3, *H)
		diff = max(diff, part2.MaxAbsDiff(sep.Value.Data, fused.Value.Data))
	}
	fmt.Fprintf(w, "max |separate − fused| over q, k and v: %s (the same dot products, in the same order)\n", part2.Sci(diff))

	show.Heading(w, fmt.Sprintf("Split into %d heads of width D = %d/%d = %d", *H, *C, *H, D))
	q, k, v := gpt.SplitHeads(g, qkv, 0, 3, *H), gpt.SplitHeads(g, qkv, 1, 3, *H), gpt.SplitHeads(g, qkv, 2, 3, *H)
	show.KV(w, "q, k, v", fmt.Sprintf("%v = [batch, head, position, D]", q.Value.Shape),
		"head h of q at position t", fmt.Sprintf("qkv[t, h·%d … h·%d+%d]", D, D, D-1))
	fmt.Fprintf(w, "q, head 1, position 0: %s\n", vec(q.Value.Data[(1**T)*D:(1**T)*D+D]))
	fmt.Fprintf(w, "qkv[0, %d…%d]:          %s\n", D, 2*D-1, vec(qkv.Value.Data[D:2*D]))
	back := gpt.MergeHeads(g, gpt.SplitHeads(g, x, 0, 1, *H))
	fmt.Fprintf(w, "merge(split(x)) = x exactly? %v\n", part2.MaxAbsDiff(back.Value.Data, x.Value.Data) == 0)

	show.Heading(w, "Each head attends on its own")
	y, weights := g.AttentionWithWeights(q, k, v, autograd.AttentionOptions{Causal: true})
	var rows [][]float64
	var labels []string
	last := *T - 1
	for h := range *H {
		off := (h**T + last) * *T
		rows = append(rows, f64(weights.Data[off:off+*T]))
		labels = append(labels, fmt.Sprintf("head %d", h))
	}
	fmt.Fprintf(w, "attention of the last position (%d) over keys 0…%d, per head:\n", last, last)
	show.Rows(w, rows, labels, nil, 3)
	grid := &plot.Grid{Title: "causal attention weights per head", Cols: *H}
	for h := range *H {
		hm := plot.NewHeatmap(weights.Data[h**T**T:(h+1)**T**T], *T, *T)
		hm.Title, hm.Min, hm.Max, hm.Scale, hm.NoColorBar, hm.CellSize = fmt.Sprintf("head %d", h), 0, 1, plot.SequentialScale, true, 20
		grid.Add(hm)
	}
	if err := part2.Write(w, grid, *out, "heads.png"); err != nil {
		return err
	}

	show.Heading(w, "Merge and project: out = c_proj(concat(head_0, …, head_H−1))")
	merged := gpt.MergeHeads(g, y)
	cProj := nn.NewLinear("c_proj", *C, *C, false, 0.2, rng)
	o := cProj.Forward(g, merged)
	show.KV(w, "heads", fmt.Sprint(y.Value.Shape), "merged", fmt.Sprint(merged.Value.Shape), "c_proj(merged)", fmt.Sprint(o.Value.Shape))
	fmt.Fprintf(w, "merged[%d, h·%d…] is head h's output at position %d: head 2 = %s\n", last, D, last, vec(y.Value.Data[(2**T+last)*D:(2**T+last+1)*D]))

	show.Heading(w, "Parameters of one attention layer: 4·C² (+ 4·C with biases), whatever H")
	var table [][]string
	for _, c := range []int{*C, 64, 256} {
		for _, h := range []int{1, 4, 8} {
			if c%h != 0 {
				continue
			}
			fused := nn.Collect(nn.NewLinear("c_attn", c, 3*c, false, 0.02, rng), nn.NewLinear("c_proj", c, c, false, 0.02, rng))
			// The same layer written as H separate heads, each with its own [D, C] query, key and value matrices.
			perHead := []nn.Module{nn.NewLinear("c_proj", c, c, false, 0.02, rng)}
			for range h {
				for range 3 {
					perHead = append(perHead, nn.NewLinear("head", c, c/h, false, 0.02, rng))
				}
			}
			table = append(table, []string{fmt.Sprint(c), fmt.Sprint(h), fmt.Sprint(c / h), fmt.Sprint(nn.NumParams(fused)), fmt.Sprint(nn.NumParams(nn.Collect(perHead...))), fmt.Sprint(4 * c * c)})
		}
	}
	show.Table(w, []string{"C", "H", "D", "fused c_attn + c_proj", "H heads × (W_q, W_k, W_v) + c_proj", "4·C²"}, table)
	fmt.Fprintf(w, "C = 16 is Part 1's toy block: 1,024 attention parameters, as chapter 04 counts.\n")

	show.Heading(w, fmt.Sprintf("Fused vs separate, timed (C = 256, T = %d, best of 20)", *timeT))
	xb := autograd.Const(tensor.Randn(rng, 1, 1, *timeT, 256))
	l3 := []*nn.Linear{nn.NewLinear("q", 256, 256, false, 0.02, rng), nn.NewLinear("k", 256, 256, false, 0.02, rng), nn.NewLinear("v", 256, 256, false, 0.02, rng)}
	fusedL := &nn.Linear{Weight: autograd.Param("c_attn.weight", tensor.Concat(0, l3[0].Weight.Value, l3[1].Weight.Value, l3[2].Weight.Value))}
	tSep := best(20, func() {
		for _, l := range l3 {
			l.Forward(g, xb)
		}
	})
	tFused := best(20, func() { fusedL.Forward(g, xb) })
	show.KV(w, "three matmuls", part2.Ms(tSep), "one fused matmul", part2.Ms(tFused), "ratio", fmt.Sprintf("%.2f×", float64(tSep)/float64(tFused)))
	if r := float64(tSep) / float64(tFused); r > 1.1 {
		fmt.Fprintln(w, "the same arithmetic; one larger matmul reads x once and keeps the kernel busier than three small ones.")
	} else {
		fmt.Fprintf(w, "the same arithmetic, and here no faster (%.2f×): at this size the matmul kernel is as efficient on three small products; fusing pays on GPUs, where each launch costs.\n", r)
	}
	return nil
}

// best returns the shortest of n timed runs of f.
func best(n int, f func()) time.Duration {
	b := time.Duration(1 << 62)
	for range n {
		t := time.Now()
		f()
		b = min(b, time.Since(t))
	}
	return b
}

func f64(xs []float32) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = float64(x)
	}
	return out
}

func vec(xs []float32) string {
	s := ""
	for i, x := range xs {
		if i > 0 {
			s += ", "
		}
		s += show.Num(float64(x), 4)
	}
	return s
}
