package autograd

import (
	"strings"
	"sync"
	"testing"

	"transformers/tensor"
)

func vec(xs ...float32) *tensor.Tensor { return tensor.New(xs, len(xs)) }

func closeTo(got *tensor.Tensor, want ...float32) bool {
	if got == nil || len(got.Data) != len(want) {
		return false
	}
	for i, w := range want {
		d := got.Data[i] - w
		if d > 1e-5 || d < -1e-5 {
			return false
		}
	}
	return true
}

// loss(w) = Σ w²·x, so ∂loss/∂w = 2w·x.
func squareLoss(g *Graph, w, x *Var) *Var { return g.SumAll(g.Mul(g.Mul(w, w), x)) }

func TestGradientsAccumulateUntilZeroGrad(t *testing.T) {
	w := Param("w", vec(1, -2, 3))
	x := Const(vec(1, 2, 0.5))
	for pass := 1; pass <= 2; pass++ {
		g := New()
		g.Backward(squareLoss(g, w, x))
		p := float32(pass)
		if !closeTo(w.Grad, 2*p, -8*p, 3*p) {
			t.Fatalf("after %d backward passes: grad %v, want %v×[2 -8 3]", pass, w.Grad, pass)
		}
	}
	w.ZeroGrad()
	if w.Grad != nil {
		t.Fatal("ZeroGrad left a gradient")
	}
	g := New()
	g.Backward(squareLoss(g, w, x))
	if !closeTo(w.Grad, 2, -8, 3) {
		t.Fatalf("after ZeroGrad: grad %v, want [2 -8 3]", w.Grad)
	}
	if x.Grad != nil {
		t.Fatalf("constant received gradient %v", x.Grad)
	}
}

func TestReusedGraphAfterReset(t *testing.T) {
	w := Param("w", vec(1, 2))
	g := New()
	for step := 0; step < 3; step++ {
		g.Reset()
		w.ZeroGrad()
		loss := g.SumAll(g.Mul(w, w))
		if g.Len() != 2 {
			t.Fatalf("step %d: %d nodes recorded, want 2", step, g.Len())
		}
		g.Backward(loss)
		if !closeTo(w.Grad, 2, 4) {
			t.Fatalf("step %d: grad %v, want [2 4]", step, w.Grad)
		}
	}
}

func TestNoGradRecordsNothing(t *testing.T) {
	w := Param("w", vec(1, 2, 3))
	g := NoGrad()
	y := g.SumAll(g.Tanh(g.MatMul(g.Reshape(w, 1, 3), g.Reshape(w, 3, 1))))
	if g.Len() != 0 || y.RequiresGrad() || g.Recording() {
		t.Fatalf("NoGrad graph recorded %d nodes (output requires grad: %v)", g.Len(), y.RequiresGrad())
	}
	if !closeTo(y.Value, float32(0.99999833)) { // tanh(1+4+9)
		t.Fatalf("forward value %v", y.Value)
	}
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), "NoGrad") {
			t.Fatalf("Backward on a NoGrad graph: recovered %v", r)
		}
	}()
	g.Backward(y)
}

// Two goroutines, one training and one doing NoGrad rollouts on the same
// weights, must not interfere (run with -race).
func TestNoGradIsPerGraph(t *testing.T) {
	w := Param("w", vec(1, 2, 3))
	var wg sync.WaitGroup
	wg.Go(func() {
		for range 50 {
			g := NoGrad()
			g.SumAll(g.Exp(w))
			if g.Len() != 0 {
				t.Error("rollout graph recorded nodes")
				return
			}
		}
	})
	g := New()
	for range 50 {
		g.Reset()
		g.SumAll(g.Exp(w))
		if g.Len() != 2 {
			t.Errorf("training graph recorded %d nodes, want 2", g.Len())
		}
	}
	wg.Wait()
}

func TestFrozenParamsCostNothing(t *testing.T) {
	frozen := Param("base", vec(1, 2, 3))
	frozen.SetRequiresGrad(false)
	lora := Param("lora", vec(0.5, 0.5, 0.5))
	g := New()
	h := g.Exp(g.Scale(frozen, 2)) // reaches only frozen leaves: not recorded
	if g.Len() != 0 || h.RequiresGrad() {
		t.Fatalf("ops on frozen leaves recorded %d nodes", g.Len())
	}
	loss := g.SumAll(g.Mul(h, lora))
	if g.Len() != 2 {
		t.Fatalf("recorded %d nodes, want 2 (Mul, SumAll)", g.Len())
	}
	g.Backward(loss)
	if frozen.Grad != nil {
		t.Fatalf("frozen parameter got gradient %v", frozen.Grad)
	}
	if !closeTo(lora.Grad, h.Value.Data...) {
		t.Fatalf("lora grad %v, want %v", lora.Grad, h.Value)
	}
}

func TestDetachStopsGradient(t *testing.T) {
	w := Param("w", vec(1, 2))
	g := New()
	y := g.Mul(w, w)
	// loss = Σ w·stopgrad(w²): ∂/∂w = w², not 3w².
	loss := g.SumAll(g.Mul(w, y.Detach()))
	g.Backward(loss)
	if !closeTo(w.Grad, 1, 4) {
		t.Fatalf("grad through detached value: %v, want [1 4]", w.Grad)
	}
	if d := y.Detach(); d.RequiresGrad() || d.Value != y.Value {
		t.Fatal("Detach must share the value and require no gradient")
	}
}

func TestBackwardWithUpstreamGradient(t *testing.T) {
	x := Param("x", vec(1, 2, 3))
	g := New()
	y := g.Scale(x, 3)
	g.BackwardWith(y, vec(1, 0, -1))
	if !closeTo(x.Grad, 3, 0, -3) {
		t.Fatalf("grad %v, want [3 0 -3]", x.Grad)
	}
}

func TestOpShapeErrorsPanic(t *testing.T) {
	a := Param("a", tensor.Zeros(2, 3))
	b := Param("b", tensor.Zeros(4, 5))
	cases := map[string]func(g *Graph){
		"Add":      func(g *Graph) { g.Add(a, b) },
		"MatMul":   func(g *Graph) { g.MatMul(a, b) },
		"MatMulNT": func(g *Graph) { g.MatMulNT(a, b) },
		"Concat":   func(g *Graph) { g.Concat(0, a, b) },
		"Reshape":  func(g *Graph) { g.Reshape(a, 4, 2) },
		"Split":    func(g *Graph) { g.Split(a, 1, 1, 1) },
		"Softmax":  func(g *Graph) { g.Softmax(a, 2) },
	}
	for name, f := range cases {
		t.Run(name, func(t *testing.T) {
			defer func() {
				r := recover()
				msg, _ := r.(string)
				if !strings.Contains(msg, name) {
					t.Fatalf("recovered %v, want a panic naming %s", r, name)
				}
			}()
			f(New())
		})
	}
}
