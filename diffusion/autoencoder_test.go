package diffusion

import (
	"math"
	"math/rand/v2"
	"testing"

	"transformers/autograd"
	"transformers/tensor"
)

func TestAutoencoderShapesAndTraining(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	a := NewAutoencoder("ae", 4, 3, 4, 32, rng)
	x, _ := ShapeImages(rng, 8, false)
	if s := a.Latents(x).Shape; s[0] != 8 || s[1] != 6 || s[2] != 6 || s[3] != 4 {
		t.Fatalf("latent shape %v, want [8 6 6 4]", s)
	}
	if s := a.Images(a.Latents(x)).Shape; !tensor.SameShape(s, x.Shape) {
		t.Fatalf("decoded shape %v, want %v", s, x.Shape)
	}
	before := MeanSquaredError(a.Images(a.Latents(x)), x)
	_, err := Train(TrainConfig{Steps: 150, LR: 3e-3}, a.Parameters(), func(step int, g *autograd.Graph) *autograd.Var {
		loss, _ := a.Loss(g, x, 1e-3, rng)
		return loss
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	after := MeanSquaredError(a.Images(a.Latents(x)), x)
	if after > 0.3*before {
		t.Errorf("reconstruction MSE %.4f → %.4f, want a large drop", before, after)
	}
	s := a.FitScale(x)
	z := a.Latents(x)
	std := math.Sqrt(float64(tensor.MeanAll(tensor.Mul(z, z))) - math.Pow(float64(tensor.MeanAll(z)), 2))
	if s <= 0 || math.Abs(std-1) > 1e-3 {
		t.Errorf("after FitScale(%.3f) latent std = %.4f, want 1", s, std)
	}
	// Scaling is undone by Images: reconstructions do not change.
	if d := MeanSquaredError(a.Images(z), x); math.Abs(d-after) > 1e-5 {
		t.Errorf("MSE after scaling %.6f, before %.6f", d, after)
	}
}

func TestPSNR(t *testing.T) {
	for _, tc := range []struct{ mse, want float64 }{{4, 0}, {0.04, 20}, {0.0004, 40}} {
		if got := PSNR(tc.mse); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("PSNR(%v) = %v, want %v", tc.mse, got, tc.want)
		}
	}
}

func TestKL(t *testing.T) {
	g := autograd.NoGrad()
	for _, tc := range []struct {
		mu, logvar float32
		want       float64
	}{
		{0, 0, 0}, // already N(0, 1)
		{2, 0, 2}, // ½μ²
		{0, float32(math.Log(4)), 0.5 * (4 - 1 - math.Log(4))}, // σ² = 4
	} {
		kl := KL(g, autograd.Const(tensor.Full(tc.mu, 2, 3)), autograd.Const(tensor.Full(tc.logvar, 2, 3)))
		if got := float64(kl.Value.Data[0]); math.Abs(got-tc.want) > 1e-5 {
			t.Errorf("KL(μ=%v, log σ²=%v) = %v, want %v", tc.mu, tc.logvar, got, tc.want)
		}
	}
}
