package autograd_test

import (
	"fmt"

	"transformers/autograd"
	"transformers/tensor"
)

// Three tokens over a vocabulary of 4: the first has uniform logits (loss
// ln 4), the second puts its weight on the right class, the third is
// ignored. The gradient of each counted row is (softmax − onehot)/2.
func ExampleGraph_CrossEntropy() {
	g := autograd.New()
	logits := autograd.Param("logits", tensor.New([]float32{
		0, 0, 0, 0,
		3, 0, 0, 0,
		9, 9, 9, 9,
	}, 3, 4))
	loss := g.CrossEntropy(logits, []int{1, 0, autograd.IgnoreIndex}, nil)
	g.Backward(loss)
	fmt.Printf("loss %.4f\n", loss.Value.Data[0])
	for r := range 3 {
		fmt.Printf("grad row %d %.4f\n", r, logits.Grad.Data[r*4:(r+1)*4])
	}
	// Output:
	// loss 0.7628
	// grad row 0 [0.1250 -0.3750 0.1250 0.1250]
	// grad row 1 [-0.0650 0.0217 0.0217 0.0217]
	// grad row 2 [0.0000 0.0000 0.0000 0.0000]
}

// With all-zero queries every score is equal, so causal attention spreads
// each query's weight evenly over the keys it may see; the output is the
// running mean of the values.
func ExampleGraph_Attention() {
	q := autograd.Const(tensor.Zeros(1, 1, 3, 2)) // [B, H, T, D]
	k := autograd.Const(tensor.New([]float32{1, 2, 3, 4, 5, 6}, 1, 1, 3, 2))
	v := autograd.Const(tensor.New([]float32{3, 0, 0, 3, 6, 6}, 1, 1, 3, 2))
	out, weights := autograd.NoGrad().AttentionWithWeights(q, k, v, autograd.AttentionOptions{Causal: true})
	for i := range 3 {
		fmt.Printf("weights %.3f  output %.1f\n", weights.Data[i*3:(i+1)*3], out.Value.Data[i*2:(i+1)*2])
	}
	// Output:
	// weights [1.000 0.000 0.000]  output [3.0 0.0]
	// weights [0.500 0.500 0.000]  output [1.5 1.5]
	// weights [0.333 0.333 0.333]  output [3.0 3.0]
}
