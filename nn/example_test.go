package nn_test

import (
	"fmt"
	"math/rand/v2"
	"os"

	"transformers/autograd"
	"transformers/nn"
	"transformers/tensor"
)

func ExampleParamTable() {
	rng := rand.New(rand.NewPCG(1, 2))
	wte := nn.NewEmbedding("wte", 50, 16, rng)
	ln := nn.NewLayerNorm("h.0.ln_2", 16)
	mlp := nn.NewMLP("h.0.mlp", 16, 64, true, nn.ResidualStd(1), rng)
	nn.ParamTable(os.Stdout, nn.Collect(wte, ln, mlp))
	// Output:
	// name                   shape    params
	// wte.weight             [50 16]     800
	// h.0.ln_2.weight        [16]         16
	// h.0.ln_2.bias          [16]         16
	// h.0.mlp.c_fc.weight    [64 16]   1,024
	// h.0.mlp.c_fc.bias      [64]         64
	// h.0.mlp.c_proj.weight  [16 64]   1,024
	// h.0.mlp.c_proj.bias    [16]         16
	// total                            2,960
}

// Fit y = 2x + 1 with one Linear, AdamW, a warm-up/cosine schedule and
// gradient clipping: the training loop every later chapter uses.
func ExampleAdamW() {
	rng := rand.New(rand.NewPCG(1, 2))
	fc := nn.NewLinear("fc", 1, 1, true, nn.InitStd, rng)
	x := tensor.New([]float32{-1, 0, 1, 2}, 4, 1)
	target := tensor.New([]float32{-1, 1, 3, 5}, 4, 1)

	// fc.weight decays, fc.bias does not (see nn.Decays).
	opt := nn.NewAdamW(nn.DecayGroups(fc.Parameters(), 0.01), 0)
	schedule := nn.WarmupCosine(0.1, 0.001, 10, 300)
	for step := range 300 {
		g := autograd.New()
		diff := g.Sub(fc.Forward(g, autograd.Const(x)), autograd.Const(target))
		loss := g.MeanAll(g.Mul(diff, diff))
		g.Backward(loss)
		norm := nn.ClipGradNorm(fc.Parameters(), 1)
		opt.SetLR(schedule(step))
		opt.Step()
		opt.ZeroGrad()
		if step%100 == 0 {
			fmt.Printf("step %3d  loss %7.4f  grad norm %6.3f\n", step, loss.Value.Data[0], norm)
		}
	}
	fmt.Printf("w = %.3f, b = %.3f\n", fc.Weight.Value.Data[0], fc.Bias.Value.Data[0])
	// Output:
	// step   0  loss  8.9470  grad norm  8.039
	// step 100  loss  0.0002  grad norm  0.023
	// step 200  loss  0.0000  grad norm  0.006
	// w = 1.998, b = 1.001
}
