package diffusion

import (
	"fmt"
	"math"
	"math/rand/v2"

	"transformers/autograd"
	"transformers/nn"
	"transformers/tensor"
)

// Autoencoder is a small variational autoencoder that works patch by patch:
// every Patch×Patch×Channels square of the image is encoded by the same MLP
// into a mean μ and a log-variance log σ² of Latent numbers, and decoded back
// by another MLP. An image [B, H, W, C] thus becomes a latent image
// [B, H/Patch, W/Patch, Latent] — a smaller grid that a DiT can denoise
// faster than the pixels. Training minimises
//
//	L = mean((x̂ − x)²) + β · mean(½(μ² + σ² − 1 − log σ²)),
//
// reconstruction plus a KL term that keeps the latents near N(0, I) and
// smooth, with z = μ + σ·ε during training.
type Autoencoder struct {
	Patch, Channels, Latent int
	Enc1, Enc2, EncOut      *nn.Linear
	Dec1, Dec2, DecOut      *nn.Linear
	// Scale divides the latents before diffusion so that they have unit
	// standard deviation over the data (see FitScale); 1 until fitted.
	Scale float32
}

// NewAutoencoder builds the encoder and decoder MLPs with hidden width hidden.
func NewAutoencoder(name string, patch, channels, latent, hidden int, rng *rand.Rand) *Autoencoder {
	pd := patch * patch * channels
	lin := func(n string, in, out int) *nn.Linear {
		return nn.NewLinear(nn.Join(name, n), in, out, true, 1/math.Sqrt(float64(in)), rng)
	}
	return &Autoencoder{Patch: patch, Channels: channels, Latent: latent, Scale: 1,
		Enc1: lin("enc.0", pd, hidden), Enc2: lin("enc.1", hidden, hidden), EncOut: lin("enc.out", hidden, 2*latent),
		Dec1: lin("dec.0", latent, hidden), Dec2: lin("dec.1", hidden, hidden), DecOut: lin("dec.out", hidden, pd),
	}
}

// Encode returns μ and log σ² [B, H/p, W/p, Latent] of images x [B, H, W, C].
func (a *Autoencoder) Encode(g *autograd.Graph, x *autograd.Var) (mu, logvar *autograd.Var) {
	s := x.Value.Shape
	if len(s) != 4 || s[3] != a.Channels {
		panic(fmt.Sprintf("diffusion.Autoencoder.Encode: input shape %v, want [B, H, W, %d]", s, a.Channels))
	}
	h := g.SiLU(a.Enc1.Forward(g, Patchify(g, x, a.Patch)))
	h = g.SiLU(a.Enc2.Forward(g, h))
	parts := g.Split(a.EncOut.Forward(g, h), 2, a.Latent, a.Latent)
	shape := []int{s[0], s[1] / a.Patch, s[2] / a.Patch, a.Latent}
	return g.Reshape(parts[0], shape...), g.Reshape(g.Clamp(parts[1], -10, 10), shape...)
}

// Decode maps latents z [B, h, w, Latent] back to images [B, h·p, w·p, C].
func (a *Autoencoder) Decode(g *autograd.Graph, z *autograd.Var) *autograd.Var {
	s := z.Value.Shape
	if len(s) != 4 || s[3] != a.Latent {
		panic(fmt.Sprintf("diffusion.Autoencoder.Decode: latent shape %v, want [B, h, w, %d]", s, a.Latent))
	}
	h := g.SiLU(a.Dec1.Forward(g, g.Reshape(z, s[0], s[1]*s[2], a.Latent)))
	h = g.SiLU(a.Dec2.Forward(g, h))
	return Unpatchify(g, a.DecOut.Forward(g, h), a.Patch, s[1]*a.Patch, s[2]*a.Patch, a.Channels)
}

// Loss returns the training loss and its reconstruction part for images x,
// sampling z = μ + σ·ε with ε from rng.
func (a *Autoencoder) Loss(g *autograd.Graph, x *tensor.Tensor, beta float32, rng *rand.Rand) (loss, rec *autograd.Var) {
	mu, logvar := a.Encode(g, autograd.Const(x))
	eps := autograd.Const(tensor.Randn(rng, 1, mu.Value.Shape...))
	z := g.Add(mu, g.Mul(g.Exp(g.Scale(logvar, 0.5)), eps))
	rec = MSE(g, a.Decode(g, z), x)
	return g.Add(rec, g.Scale(KL(g, mu, logvar), beta)), rec
}

// KL is the mean over latent entries of KL(N(μ, σ²) ‖ N(0, 1)) =
// ½(μ² + σ² − 1 − log σ²).
func KL(g *autograd.Graph, mu, logvar *autograd.Var) *autograd.Var {
	return g.Scale(g.MeanAll(g.Sub(g.Add(g.Mul(mu, mu), g.Exp(logvar)), g.AddScalar(logvar, 1))), 0.5)
}

// Parameters lists the encoder's then the decoder's parameters.
func (a *Autoencoder) Parameters() []*autograd.Var {
	var ps []*autograd.Var
	for _, l := range []*nn.Linear{a.Enc1, a.Enc2, a.EncOut, a.Dec1, a.Dec2, a.DecOut} {
		ps = append(ps, l.Parameters()...)
	}
	return ps
}

// Latents encodes images to their scaled means μ/Scale (no sampling, no
// gradients): the data that latent diffusion learns.
func (a *Autoencoder) Latents(x *tensor.Tensor) *tensor.Tensor {
	mu, _ := a.Encode(autograd.NoGrad(), autograd.Const(x))
	return tensor.Scale(mu.Value, 1/a.Scale)
}

// Images decodes scaled latents back to images (no gradients).
func (a *Autoencoder) Images(z *tensor.Tensor) *tensor.Tensor {
	return a.Decode(autograd.NoGrad(), autograd.Const(tensor.Scale(z, a.Scale))).Value
}

// FitScale sets Scale to the standard deviation of the latent means over
// the images x, so that scaled latents have unit variance like the noise,
// and returns it.
func (a *Autoencoder) FitScale(x *tensor.Tensor) float32 {
	a.Scale = 1
	mu := a.Latents(x)
	mean := float64(tensor.MeanAll(mu))
	v := 0.0
	for _, m := range mu.Data {
		v += (float64(m) - mean) * (float64(m) - mean)
	}
	a.Scale = float32(math.Sqrt(v / float64(len(mu.Data))))
	return a.Scale
}

// PSNR is the peak signal-to-noise ratio in dB of a reconstruction of
// images in [−1, 1] (peak-to-peak 2): 10·log10(2² / MSE).
func PSNR(mse float64) float64 { return 10 * math.Log10(4/mse) }

// MeanSquaredError is mean((a − b)²) over every entry.
func MeanSquaredError(a, b *tensor.Tensor) float64 {
	if !tensor.SameShape(a.Shape, b.Shape) {
		panic(fmt.Sprintf("diffusion.MeanSquaredError: shapes %v and %v", a.Shape, b.Shape))
	}
	s := 0.0
	for i := range a.Data {
		d := float64(a.Data[i] - b.Data[i])
		s += d * d
	}
	return s / float64(len(a.Data))
}
