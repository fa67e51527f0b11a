package scalar

import (
	"math"
	"testing"
)

// Two steps worked by hand from the formulas, for w = 0.5 with gradients
// 0.2 then −0.1 (lr 1e-3, β 0.9/0.999, ε 1e-8, λ 0.01).
func TestAdamWByHand(t *testing.T) {
	w := New(0.5)
	o := NewAdamW([]*Value{w})
	w.Grad = 0.2
	o.Step()
	// step 1: m̂ = g, v̂ = g², so the update is lr·g/(|g|+ε) ≈ lr.
	want := 0.5*(1-1e-3*0.01) - 1e-3*0.2/(0.2+1e-8)
	if math.Abs(w.Data-want) > 1e-15 {
		t.Fatalf("after step 1 w = %.17g, want %.17g", w.Data, want)
	}
	w.Grad = -0.1
	o.Step()
	m := 0.9*0.1*0.2 + 0.1*-0.1
	v := 0.999*0.001*0.04 + 0.001*0.01
	mHat, vHat := m/(1-0.81), v/(1-0.999*0.999)
	want = want*(1-1e-3*0.01) - 1e-3*mHat/(math.Sqrt(vHat)+1e-8)
	if math.Abs(w.Data-want) > 1e-15 {
		t.Fatalf("after step 2 w = %.17g, want %.17g", w.Data, want)
	}
}

func TestAdamWZeroGradientStillDecays(t *testing.T) {
	w := New(2)
	o := NewAdamW([]*Value{w})
	o.Step()
	if want := 2 * (1 - 1e-3*0.01); math.Abs(w.Data-want) > 1e-15 {
		t.Fatalf("w = %.17g, want %.17g (decay only)", w.Data, want)
	}
}
