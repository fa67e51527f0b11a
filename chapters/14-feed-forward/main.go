// Chapter 14 — the feed-forward network.
//
// After attention has mixed information between positions, each position is
// transformed on its own by a two-layer network. GPT-2 uses
// c_proj(GELU(c_fc(x))) with a hidden width of 4·C; LLaMA uses SwiGLU,
// c_proj(SiLU(c_gate(x)) ⊙ c_fc(x)), which has three matrices, so for the
// same parameter budget its hidden width is about 8·C/3. The program builds
// both at equal budget, counts them, and trains each for the same number of
// steps on the same regression task.
//
//	go run ./chapters/14-feed-forward [-seed 1] [-c 64] [-steps 300] [-out out/14-feed-forward]
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
	"transformers/nn"
	"transformers/nn/plot"
	"transformers/tensor"
)

func main() {
	if err := run(os.Stdout, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "14-feed-forward:", err)
		os.Exit(2)
	}
}

func run(w io.Writer, args []string) error {
	fs, seed, out := part2.Flags("14-feed-forward")
	C := fs.Int("c", 64, "model width d_model")
	steps := fs.Int("steps", 300, "training steps for each network")
	batch := fs.Int("batch", 128, "vectors per step")
	lr := fs.Float64("lr", 3e-3, "AdamW learning rate")
	fs.SetOutput(w)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := part2.Positive("c", *C, "steps", *steps, "batch", *batch); err != nil {
		return err
	}
	if !(*lr > 0) {
		return fmt.Errorf("-lr %g: the learning rate must be positive", *lr)
	}
	part2.Intro(w, "Chapter 14 · Feed-forward: GELU MLP and SwiGLU", *seed, *out)
	rng := part2.Rng(*seed, 1)

	show.Heading(w, "The activations")
	g := autograd.NoGrad()
	xs := []float32{-3, -2, -1, -0.5, 0, 0.5, 1, 2, 3}
	x := autograd.Const(tensor.New(xs, len(xs)))
	acts := []struct {
		name string
		y    *autograd.Var
	}{{"GELU x·Φ(x)", g.GELU(x)}, {"GELU tanh (GPT-2)", g.GELUTanh(x)}, {"SiLU x·σ(x)", g.SiLU(x)}, {"ReLU", g.ReLU(x)}}
	var rows [][]float64
	var names []string
	for _, a := range acts {
		rows = append(rows, f64(a.y.Value.Data))
		names = append(names, a.name)
	}
	var cols []string
	for _, v := range xs {
		cols = append(cols, show.Num(float64(v), 1))
	}
	show.Rows(w, rows, names, cols, 4)
	fmt.Fprintf(w, "max |GELU − tanh approximation| on [−6, 6]: %s\n", part2.Sci(gapTanh(g)))
	chart := &plot.LineChart{Title: "activations", XLabel: "x", YLabel: "f(x)"}
	grid := tensor.Arange(-4, 4.01, 0.05)
	gx := autograd.Const(grid)
	for _, a := range []struct {
		name string
		y    *autograd.Var
	}{{"GELU", g.GELU(gx)}, {"SiLU", g.SiLU(gx)}, {"ReLU", g.ReLU(gx)}} {
		chart.Add(a.name, f64(grid.Data), f64(a.y.Value.Data))
	}
	if err := part2.Write(w, chart, *out, "activations.png"); err != nil {
		return err
	}

	// SwiGLU has three C×h matrices; GELU's MLP two C×4C. Equal budget: 3·C·h = 8·C².
	hGELU := 4 * *C
	hSwi := int(math.Round(8 * float64(*C) / 3))
	show.Heading(w, fmt.Sprintf("Equal budget: 2·C·4C = 3·C·h  →  h = 8C/3 = %.2f, rounded to %d", 8*float64(*C)/3, hSwi))
	std := 0.02
	mlp := &gpt.MLP{FC: nn.NewLinear("mlp.c_fc", *C, hGELU, false, std, rng), Proj: nn.NewLinear("mlp.c_proj", hGELU, *C, false, std, rng)}
	swi := &gpt.MLP{FC: nn.NewLinear("mlp.c_fc", *C, hSwi, false, std, rng), Gate: nn.NewLinear("mlp.c_gate", *C, hSwi, false, std, rng),
		Proj: nn.NewLinear("mlp.c_proj", hSwi, *C, false, std, rng)}
	var table [][]string
	for _, n := range []struct {
		name string
		m    *gpt.MLP
		h    int
	}{{"GELU MLP", mlp, hGELU}, {"SwiGLU", swi, hSwi}} {
		for _, p := range params(n.m) {
			table = append(table, []string{n.name, p.Name, fmt.Sprint(p.Value.Shape), fmt.Sprint(tensor.Numel(p.Value.Shape))})
		}
		table = append(table, []string{n.name, "total", fmt.Sprintf("hidden %d", n.h), fmt.Sprint(nn.NumParams(params(n.m)))})
	}
	show.Table(w, []string{"network", "parameter", "shape", "count"}, table)
	pm, ps := nn.NumParams(params(mlp)), nn.NumParams(params(swi))
	fmt.Fprintf(w, "difference %d parameters (%.2f%%) from rounding h\n", ps-pm, 100*float64(ps-pm)/float64(pm))

	// The task: imitate a fixed random "teacher" network y = W2·tanh(W1·x).
	show.Heading(w, fmt.Sprintf("Same task, same steps: fit a random teacher y = W₂·tanh(W₁·x), %d steps of AdamW (lr %g)", *steps, *lr))
	w1, w2 := tensor.Randn(rng, float32(1/math.Sqrt(float64(*C))), 2**C, *C), tensor.Randn(rng, float32(1/math.Sqrt(float64(2**C))), *C, 2**C)
	teacher := func(x *tensor.Tensor) *tensor.Tensor {
		return tensor.MatMulNT(tensor.Tanh(tensor.MatMulNT(x, w1)), w2)
	}
	testX := tensor.Randn(part2.Rng(*seed, 9), 1, 1024, *C)
	testY := teacher(testX)
	curves := &plot.LineChart{Title: "GELU MLP vs SwiGLU at equal parameters", XLabel: "step", YLabel: "test MSE", LogY: true}
	var results [][]string
	var final []float64
	for _, n := range []struct {
		name string
		m    *gpt.MLP
	}{{"GELU MLP", mlp}, {"SwiGLU", swi}} {
		data := part2.Rng(*seed, 2) // both see the same batches
		opt := nn.NewAdamW([]nn.ParamGroup{{Params: params(n.m)}}, *lr)
		var curve []float64
		first := mse(g, n.m, testX, testY)
		for step := range *steps {
			xb := tensor.Randn(data, 1, *batch, *C)
			gg := autograd.New()
			d := gg.Sub(n.m.Forward(gg, autograd.Const(xb)), autograd.Const(teacher(xb)))
			loss := gg.MeanAll(gg.Mul(d, d))
			opt.ZeroGrad()
			gg.Backward(loss)
			opt.Step()
			if step%10 == 0 || step == *steps-1 {
				curve = append(curve, mse(g, n.m, testX, testY))
			}
		}
		curves.AddY(n.name, curve)
		final = append(final, curve[len(curve)-1])
		results = append(results, []string{n.name, fmt.Sprint(nn.NumParams(params(n.m))), show.Num(first, 5), show.Num(curve[len(curve)-1], 5)})
	}
	show.Table(w, []string{"network", "parameters", "test MSE before", "after"}, results)
	winner := results[0][0]
	if final[1] < final[0] {
		winner = results[1][0]
	}
	fmt.Fprintf(w, "lower test error on this task: %s (one task, one seed: LLaMA's preference for SwiGLU comes from language-model loss at scale)\n", winner)
	fmt.Fprintf(w, "target variance %s (a network that outputs 0 scores this)\n", show.Num(variance(testY.Data), 5))
	if err := part2.Write(w, curves, *out, "mlp_vs_swiglu.png"); err != nil {
		return err
	}
	fmt.Fprintln(w, "the gate lets SwiGLU multiply two projections of x: at equal budget it is a different function family, not a bigger one.")
	return nil
}

func params(m *gpt.MLP) []*autograd.Var {
	ps := m.FC.Parameters()
	if m.Gate != nil {
		ps = append(ps, m.Gate.Parameters()...)
	}
	return append(ps, m.Proj.Parameters()...)
}

func mse(g *autograd.Graph, m *gpt.MLP, x, y *tensor.Tensor) float64 {
	p := m.Forward(g, autograd.Const(x)).Value
	s := 0.0
	for i := range p.Data {
		d := float64(p.Data[i] - y.Data[i])
		s += d * d
	}
	return s / float64(len(p.Data))
}

// gapTanh measures the largest difference between exact and tanh GELU.
func gapTanh(g *autograd.Graph) float64 {
	x := autograd.Const(tensor.Arange(-6, 6, 0.001))
	return part2.MaxAbsDiff(g.GELU(x).Value.Data, g.GELUTanh(x).Value.Data)
}

func variance(xs []float32) float64 {
	m, v := 0.0, 0.0
	for _, x := range xs {
		m += float64(x)
	}
	m /= float64(len(xs))
	for _, x := range xs {
		v += (float64(x) - m) * (float64(x) - m)
	}
	return v / float64(len(xs))
}

func f64(xs []float32) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = float64(x)
	}
	return out
}
