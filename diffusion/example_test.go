package diffusion_test

import (
	"fmt"
	"math"
	"math/rand/v2"

	"transformers/diffusion"
	"transformers/tensor"
)

// Integrate dx/dt = 3·t·x from t = 1 to t = 0 with each solver; the exact
// answer is x(0) = x(1)·e^(−1.5).
func ExampleSample() {
	field := func(x *tensor.Tensor, t float32) *tensor.Tensor { return tensor.Scale(x, 3*t) }
	x1 := tensor.New([]float32{1}, 1, 1)
	for _, s := range diffusion.Solvers {
		x0, calls := diffusion.Sample(field, x1, 8, s, nil)
		fmt.Printf("%-8s calls %2d  error %.1e\n", s, calls, math.Abs(float64(x0.Data[0])-math.Exp(-1.5)))
	}
	// Output:
	// euler    calls  8  error 8.4e-02
	// midpoint calls 16  error 1.0e-02
	// heun     calls 16  error 4.3e-03
	// rk4      calls 32  error 2.1e-05
}

// Draw an image from a caption's attributes and read them back.
func ExampleCheck() {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, i := range []int{0, 23, 45, 94} {
		a := diffusion.Combo(i)
		r := diffusion.Check(diffusion.Render(a, rng))
		fmt.Printf("%-45q read as %q (held out: %v)\n", a.Caption(), r.Caption(), a.HeldOut())
	}
	// Output:
	// "a small red circle at the top left"          read as "a small red circle at the top left" (held out: false)
	// "a large blue circle at the bottom right"     read as "a large blue circle at the bottom right" (held out: true)
	// "a large green square at the top right"       read as "a large green square at the top right" (held out: false)
	// "a large yellow triangle at the bottom left"  read as "a large yellow triangle at the bottom left" (held out: false)
}
