// Chapter 15 — the transformer block.
//
// A block is attention then a feed-forward network, each wrapped in a
// normalisation and a residual connection. Where the norm goes matters:
//
//	pre-LN  (GPT-2):      x ← x + attn(ln_1(x));  x ← x + mlp(ln_2(x))
//	post-LN (2017 paper): x ← ln_1(x + attn(x));  x ← ln_2(x + mlp(x))
//
// The program checks the block's identity path, then stacks 24 blocks and
// measures the gradient norm reaching every layer's parameters with and
// without the residual connections, for both placements of the norm.
//
//	go run ./chapters/15-transformer-block [-seed 1] [-layers 24] [-out out/15-transformer-block]
package main

import (
	"fmt"
	"io"
	"math"
	"os"
	"slices"

	"transformers/autograd"
	"transformers/chapters/internal/part2"
	"transformers/chapters/internal/show"
	"transformers/gpt"
	"transformers/nn/plot"
	"transformers/tensor"
)

func main() {
	if err := run(os.Stdout, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "15-transformer-block:", err)
		os.Exit(2)
	}
}

func run(w io.Writer, args []string) error {
	fs, seed, out := part2.Flags("15-transformer-block")
	layers := fs.Int("layers", 24, "blocks in the deep stack")
	d := fs.Int("d", 64, "model width")
	T := fs.Int("t", 32, "sequence length")
	B := fs.Int("batch", 8, "sequences")
	fs.SetOutput(w)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := part2.Positive("layers", *layers, "d", *d, "t", *T, "batch", *B); err != nil {
		return err
	}
	if *d%4 != 0 {
		return fmt.Errorf("-d %d must be divisible by the 4 heads", *d)
	}
	part2.Intro(w, "Chapter 15 · The transformer block: pre-LN, post-LN and residual paths", *seed, *out)
	cfg := gpt.DefaultConfig(64)
	cfg.Context, cfg.DModel, cfg.DFF, cfg.Heads, cfg.Layers = *T, *d, 4**d, 4, *layers
	rng := part2.Rng(*seed, 1)
	ids := make([]int, *B**T)
	targets := make([]int, len(ids))
	for i := range ids {
		ids[i], targets[i] = rng.IntN(cfg.VocabSize), rng.IntN(cfg.VocabSize)
	}

	show.Heading(w, "One block, and its identity path")
	m1 := gpt.New(withLayers(cfg, 1), part2.Rng(*seed, 2))
	b := m1.Blocks[0]
	g := autograd.NoGrad()
	x := autograd.Const(tensor.Randn(rng, 1, 1, *T, *d))
	// Zero the two projections that write into the residual stream: attn and mlp then add nothing.
	for _, l := range []gpt.Linear{b.Attn.CProj, b.MLP.Proj} {
		clear(l.Parameters()[0].Value.Data)
	}
	preOut := b.Forward(g, x, gpt.BlockOptions{Heads: cfg.Heads, Causal: true})
	postOut := b.Forward(g, x, gpt.BlockOptions{Heads: cfg.Heads, Causal: true, PostLN: true})
	show.KV(w, "pre-LN, sub-layers silenced", fmt.Sprintf("max |block(x) − x| = %s: the residual path carries x through untouched", part2.Sci(part2.MaxAbsDiff(preOut.Value.Data, x.Value.Data))),
		"post-LN, sub-layers silenced", fmt.Sprintf("max |block(x) − x| = %s: every block renormalises the stream itself", part2.Sci(part2.MaxAbsDiff(postOut.Value.Data, x.Value.Data))))

	show.Heading(w, fmt.Sprintf("Gradient norms through %d blocks (d_model %d, %d sequences of %d random tokens, GPT-2 init)", *layers, *d, *B, *T))
	variants := []variant{{"pre-LN + residual", pre, true}, {"post-LN + residual", post, true}, {"pre-LN, no residual", pre, false}, {"no norm + residual", none, true}, {"no norm, no residual", none, false}}
	norms := make([][]float64, len(variants))
	losses := make([]float64, len(variants))
	chart := &plot.LineChart{Title: fmt.Sprintf("gradient norm per block, %d blocks", *layers), XLabel: "block", YLabel: "gradient norm of the block", LogY: true}
	for k, v := range variants {
		m := gpt.New(cfg, part2.Rng(*seed, 3)) // the same weights for every variant
		gg := autograd.New()
		logits := forward(gg, m, ids, *B, *T, v)
		if v.residuals && v.norm == pre {
			ref := m.Forward(autograd.NoGrad(), ids, *B, *T, gpt.ForwardOptions{}).Logits
			fmt.Fprintf(w, "(check: this forward pass equals gpt.Model.Forward to %s)\n", part2.Sci(part2.MaxAbsDiff(logits.Value.Data, ref.Value.Data)))
		}
		loss := gg.CrossEntropy(logits, targets, nil)
		gg.Backward(loss)
		losses[k] = float64(loss.Value.Data[0])
		xs := make([]float64, *layers)
		for l, blk := range m.Blocks {
			norms[k] = append(norms[k], gradNorm(blockParams(blk)))
			xs[l] = float64(l)
		}
		if slices.Min(norms[k]) > 0 { // a log axis cannot show 0
			chart.Add(v.name, xs, norms[k])
		}
	}
	header := []string{"block"}
	for _, v := range variants {
		header = append(header, v.name)
	}
	var table [][]string
	for l := range *layers {
		row := []string{fmt.Sprint(l)}
		for k := range variants {
			row = append(row, part2.Sci(norms[k][l]))
		}
		table = append(table, row)
	}
	ratio := []string{"first/last"}
	for k := range variants {
		if norms[k][*layers-1] == 0 {
			ratio = append(ratio, "—")
			continue
		}
		ratio = append(ratio, part2.Sci(norms[k][0]/norms[k][*layers-1]))
	}
	table = append(table, ratio)
	show.Table(w, header, table)
	fmt.Fprintf(w, "initial losses: %s (ln 64 = %.4f)\n", fmtList(losses), math.Log(64))
	if err := part2.Write(w, chart, *out, "grad_norms.png"); err != nil {
		return err
	}
	for k, v := range variants {
		r := norms[k][0] / norms[k][*layers-1]
		verdict := "reaches block 0 at about the size it has at the top"
		if norms[k][*layers-1] == 0 {
			verdict = "is exactly 0 everywhere: the signal underflowed to 0 in float32 on its way up, so nothing can learn"
		} else if r < 0.1 {
			verdict = fmt.Sprintf("shrinks %.0f× on its way down to block 0", 1/r)
		}
		fmt.Fprintf(w, "  %-22s the gradient %s\n", v.name+":", verdict)
	}
	// Why the plain stack is silent: follow the size of its stream upwards.
	plain := gpt.New(cfg, part2.Rng(*seed, 3))
	pg := autograd.NoGrad()
	pos := make([]int, *T)
	for i := range pos {
		pos[i] = i
	}
	xs := pg.Add(pg.Embedding(plain.WTE, ids, *B, *T), pg.Embedding(plain.WPE, pos, *T))
	sizes := fmt.Sprintf("input %s", part2.Sci(rms(xs.Value.Data)))
	for l, b := range plain.Blocks {
		xs = b.MLP.Forward(pg, b.Attn.Forward(pg, xs, gpt.BlockOptions{Heads: cfg.Heads, Causal: true}))
		if l < 4 || l == *layers-1 || (l+1)%8 == 0 {
			sizes += fmt.Sprintf(", block %d %s", l, part2.Sci(rms(xs.Value.Data)))
		}
	}
	fmt.Fprintf(w, "rms of the plain stack's stream: %s\n", sizes)
	fmt.Fprintln(w, "A LayerNorm before every sub-layer divides by the size of its input, which cancels the small weights at")
	fmt.Fprintln(w, "initialisation even without residuals; take the norms away as well and, without the residual path, nothing gets through.")

	return nil
}

// norm placements
const (
	pre = iota
	post
	none
)

type variant struct {
	name      string
	norm      int
	residuals bool
}

func withLayers(c gpt.Config, n int) gpt.Config { c.Layers = n; return c }

// forward runs m with or without residual connections: with them it is
// exactly gpt.Model.Forward (learned positions); without them each
// sub-layer's output replaces the stream instead of being added to it, and
// with norm none the sub-layers are applied bare.
func forward(g *autograd.Graph, m *gpt.Model, ids []int, B, T int, v variant) *autograd.Var {
	pos := make([]int, T)
	for i := range pos {
		pos[i] = i
	}
	x := g.Add(g.Embedding(m.WTE, ids, B, T), g.Embedding(m.WPE, pos, T))
	o := gpt.BlockOptions{Heads: m.Config.Heads, Causal: true, PostLN: v.norm == post}
	for _, b := range m.Blocks {
		switch {
		case v.residuals && v.norm == none:
			x = g.Add(x, b.Attn.Forward(g, x, o))
			x = g.Add(x, b.MLP.Forward(g, x))
		case v.residuals:
			x = b.Forward(g, x, o)
		case v.norm == none:
			x = b.MLP.Forward(g, b.Attn.Forward(g, x, o))
		default:
			x = b.Attn.Forward(g, b.Ln1.Forward(g, x), o)
			x = b.MLP.Forward(g, b.Ln2.Forward(g, x))
		}
	}
	return m.Unembed(g, m.LnF.Forward(g, x))
}

func blockParams(b *gpt.Block) []*autograd.Var {
	var ps []*autograd.Var
	for _, p := range [][]*autograd.Var{b.Ln1.Parameters(), b.Attn.CAttn.Parameters(), b.Attn.CProj.Parameters(), b.Ln2.Parameters(), b.MLP.FC.Parameters(), b.MLP.Proj.Parameters()} {
		ps = append(ps, p...)
	}
	return ps
}

// gradNorm returns √(Σ g²) over the parameters' gradients.
func gradNorm(ps []*autograd.Var) float64 {
	s := 0.0
	for _, p := range ps {
		if p.Grad == nil {
			continue
		}
		for _, v := range p.Grad.Data {
			s += float64(v) * float64(v)
		}
	}
	return math.Sqrt(s)
}

func fmtList(xs []float64) string {
	s := ""
	for i, x := range xs {
		if i > 0 {
			s += ", "
		}
		s += show.Num(x, 4)
	}
	return s
}

func rms(xs []float32) float64 {
	s := 0.0
	for _, x := range xs {
		s += float64(x) * float64(x)
	}
	return math.Sqrt(s / float64(len(xs)))
}
