package autograd_test

import (
	"fmt"

	"transformers/autograd"
	"transformers/tensor"
)

// A one-layer linear model y = x·Wᵀ + b with a squared-error loss: the
// forward pass records each op on the graph, Backward fills every Grad.
func ExampleGraph() {
	w := autograd.Param("w", tensor.New([]float32{1, 2, 3, 4}, 2, 2)) // (out, in)
	b := autograd.Param("b", tensor.New([]float32{0.5, -0.5}, 2))
	x := autograd.Const(tensor.New([]float32{1, 1}, 1, 2))
	target := autograd.Const(tensor.New([]float32{0, 0}, 1, 2))

	g := autograd.New()
	y := g.Add(g.MatMulNT(x, w), b)               // [1, 2]: 3.5, 6.5
	loss := g.MeanAll(g.Pow(g.Sub(y, target), 2)) // (3.5² + 6.5²)/2
	g.Backward(loss)

	fmt.Println("y:", y.Value)
	fmt.Printf("loss: %.3f\n", loss.Value.Data[0])
	fmt.Println("dL/dW:", w.Grad)
	fmt.Println("dL/db:", b.Grad)
	// Output:
	// y: Tensor[1 2] [3.5000 6.5000]
	// loss: 27.250
	// dL/dW: Tensor[2 2] [3.5000 3.5000 6.5000 6.5000]
	// dL/db: Tensor[2] [3.5000 6.5000]
}

// A NoGrad graph computes values only, for inference and rollouts.
func ExampleNoGrad() {
	w := autograd.Param("w", tensor.New([]float32{0, 1, 2}, 3))
	g := autograd.NoGrad()
	p := g.Softmax(w, -1)
	fmt.Println(p.Value, g.Len())
	// Output: Tensor[3] [0.0900 0.2447 0.6652] 0
}
