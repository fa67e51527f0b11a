package nn

import (
	"fmt"
	"math"
	"strings"

	"transformers/autograd"
	"transformers/tensor"
)

// A parameter is an *autograd.Var created with autograd.Param: its Name is
// the hierarchical name ("h.0.attn.c_attn.weight") used by state dicts,
// optimizer state and parameter tables; its Value is updated in place by the
// optimizers and its Grad is read by them.

// ParamGroup is a set of parameters sharing optimizer settings; for now the
// weight decay coefficient λ.
type ParamGroup struct {
	Params      []*autograd.Var
	WeightDecay float64
}

// Decays reports whether p belongs in the weight-decay group under the rule
// DecayGroups uses: p must be a matrix (≥ 2 dimensions) and no dot-separated
// part of its name may be "bias", "wte" or "wpe", start with "ln", or contain
// "norm" or "emb". So linear and attention weights decay, while biases, layer
// and RMS norm gains, and token/position embeddings do not (decaying them
// pulls scales and lookup rows towards zero for no regularisation benefit).
func Decays(p *autograd.Var) bool {
	if p.Value.Dims() < 2 {
		return false
	}
	for _, part := range strings.Split(p.Name, ".") {
		switch {
		case part == "bias", part == "wte", part == "wpe",
			strings.HasPrefix(part, "ln"),
			strings.Contains(part, "norm"),
			strings.Contains(part, "emb"):
			return false
		}
	}
	return true
}

// DecayGroups splits params by Decays into two groups, preserving order:
// group 0 decays with weightDecay, group 1 has no decay. Either may be empty.
func DecayGroups(params []*autograd.Var, weightDecay float64) []ParamGroup {
	decay := ParamGroup{WeightDecay: weightDecay}
	none := ParamGroup{}
	for _, p := range params {
		if Decays(p) {
			decay.Params = append(decay.Params, p)
		} else {
			none.Params = append(none.Params, p)
		}
	}
	return []ParamGroup{decay, none}
}

// Optimizer updates parameters from their gradients.
type Optimizer interface {
	// Step applies one update to every parameter with a gradient.
	Step()
	// ZeroGrad drops every parameter's gradient before the next backward.
	ZeroGrad()
	// SetLR sets the learning rate used by the next Step (see Schedule).
	SetLR(lr float64)
}

var (
	_ Optimizer = (*SGD)(nil)
	_ Optimizer = (*Adam)(nil)
	_ Optimizer = (*AdamW)(nil)
)

// flatten lists the parameters of groups in order, with their group index.
func flatten(groups []ParamGroup) (params []*autograd.Var, group []int) {
	for gi, g := range groups {
		for _, p := range g.Params {
			params = append(params, p)
			group = append(group, gi)
		}
	}
	return params, group
}

func zeroGrad(groups []ParamGroup) {
	for _, g := range groups {
		for _, p := range g.Params {
			p.ZeroGrad()
		}
	}
}

// zerosLike allocates one zero buffer per parameter.
func zerosLike(params []*autograd.Var) []*tensor.Tensor {
	out := make([]*tensor.Tensor, len(params))
	for i, p := range params {
		out[i] = tensor.ZerosLike(p.Value)
	}
	return out
}

// trainable reports whether the optimizer should touch p this step: it must
// require a gradient and have received one.
func trainable(p *autograd.Var) bool { return p.RequiresGrad() && p.Grad != nil }

// SGD is stochastic gradient descent with momentum μ, optional Nesterov
// momentum and L2 weight decay λ (PyTorch's torch.optim.SGD, dampening 0):
//
//	d = g + λ·p;  b = μ·b + d;  p -= lr·(Nesterov ? d + μ·b : b)
//
// With μ = 0 this is p -= lr·(g + λ·p).
type SGD struct {
	LR       float64
	Momentum float64
	Nesterov bool
	Groups   []ParamGroup
	// Buf holds the momentum buffer b of each parameter, in group order.
	Buf []*tensor.Tensor

	params []*autograd.Var
	group  []int
}

// NewSGD returns an SGD optimizer over groups.
func NewSGD(groups []ParamGroup, lr, momentum float64) *SGD {
	params, group := flatten(groups)
	return &SGD{LR: lr, Momentum: momentum, Groups: groups, Buf: zerosLike(params), params: params, group: group}
}

// SetLR sets the learning rate.
func (o *SGD) SetLR(lr float64) { o.LR = lr }

// ZeroGrad drops every parameter's gradient.
func (o *SGD) ZeroGrad() { zeroGrad(o.Groups) }

// Step applies one SGD update.
func (o *SGD) Step() {
	mu, lr := float32(o.Momentum), float32(o.LR)
	for i, p := range o.params {
		if !trainable(p) {
			continue
		}
		wd := float32(o.Groups[o.group[i]].WeightDecay)
		pv, g, b := p.Value.Data, p.Grad.Data, o.Buf[i].Data
		for j := range pv {
			d := g[j] + wd*pv[j]
			if mu != 0 {
				b[j] = mu*b[j] + d
				if o.Nesterov {
					d += mu * b[j]
				} else {
					d = b[j]
				}
			}
			pv[j] -= lr * d
		}
	}
}

// AdamState is the per-parameter state of Adam and AdamW: the number of
// steps taken and the first and second moment estimates m and v of every
// parameter, in group order. It is what a checkpoint must store to resume.
type AdamState struct {
	Step int
	M, V []*tensor.Tensor
}

// adam holds what Adam and AdamW share.
type adam struct {
	params []*autograd.Var
	group  []int
}

// Adam is Kingma & Ba's optimizer with L2 weight decay folded into the
// gradient (PyTorch's torch.optim.Adam). At step t, for each parameter:
//
//	g ← g + λ·p
//	m ← β₁·m + (1−β₁)·g;   v ← β₂·v + (1−β₂)·g²
//	p ← p − lr · (m / (1−β₁ᵗ)) / (√(v / (1−β₂ᵗ)) + ε)
//
// Because the decay goes through m and v it is rescaled per coordinate; AdamW
// decouples it.
type Adam struct {
	LR           float64
	Beta1, Beta2 float64
	Eps          float64
	Groups       []ParamGroup
	State        AdamState
	adam
}

// AdamW is Adam with decoupled weight decay (Loshchilov & Hutter; PyTorch's
// torch.optim.AdamW). At step t, for each parameter:
//
//	p ← p − lr·λ·p
//	m ← β₁·m + (1−β₁)·g;   v ← β₂·v + (1−β₂)·g²
//	p ← p − lr · (m / (1−β₁ᵗ)) / (√(v / (1−β₂ᵗ)) + ε)
//
// The decay shrinks every weight by the same factor (1 − lr·λ), independent
// of its gradient history.
type AdamW struct {
	LR           float64
	Beta1, Beta2 float64
	Eps          float64
	Groups       []ParamGroup
	State        AdamState
	adam
}

func newAdam(groups []ParamGroup) (adam, AdamState) {
	params, group := flatten(groups)
	return adam{params: params, group: group}, AdamState{M: zerosLike(params), V: zerosLike(params)}
}

// NewAdam returns Adam over groups with PyTorch's defaults β₁ = 0.9,
// β₂ = 0.999, ε = 1e-8.
func NewAdam(groups []ParamGroup, lr float64) *Adam {
	a, st := newAdam(groups)
	return &Adam{LR: lr, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, Groups: groups, State: st, adam: a}
}

// NewAdamW returns AdamW over groups with PyTorch's defaults β₁ = 0.9,
// β₂ = 0.999, ε = 1e-8. The weight decay comes from each group.
func NewAdamW(groups []ParamGroup, lr float64) *AdamW {
	a, st := newAdam(groups)
	return &AdamW{LR: lr, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, Groups: groups, State: st, adam: a}
}

// SetLR sets the learning rate.
func (o *Adam) SetLR(lr float64) { o.LR = lr }

// SetLR sets the learning rate.
func (o *AdamW) SetLR(lr float64) { o.LR = lr }

// ZeroGrad drops every parameter's gradient.
func (o *Adam) ZeroGrad() { zeroGrad(o.Groups) }

// ZeroGrad drops every parameter's gradient.
func (o *AdamW) ZeroGrad() { zeroGrad(o.Groups) }

// Step applies one Adam update.
func (o *Adam) Step() {
	o.step(&o.State, o.Groups, o.LR, o.Beta1, o.Beta2, o.Eps, false)
}

// Step applies one AdamW update.
func (o *AdamW) Step() {
	o.step(&o.State, o.Groups, o.LR, o.Beta1, o.Beta2, o.Eps, true)
}

// step follows PyTorch's single-tensor implementation operation by
// operation: scalar coefficients in float64, element updates in float32.
func (a *adam) step(st *AdamState, groups []ParamGroup, lr, beta1, beta2, eps float64, decoupled bool) {
	st.Step++
	t := float64(st.Step)
	bc1 := 1 - math.Pow(beta1, t)
	bc2 := 1 - math.Pow(beta2, t)
	stepSize := float32(lr / bc1)
	bc2Sqrt := float32(math.Sqrt(bc2))
	// Scalars enter the float32 element loop rounded once, as PyTorch's
	// Python-float hyperparameters do.
	c1, b2, c2, e := float32(1-beta1), float32(beta2), float32(1-beta2), float32(eps)
	update := func(i, lo, hi int) {
		p := a.params[i]
		wd := groups[a.group[i]].WeightDecay
		wd32 := float32(wd)
		pv, g, m, v := p.Value.Data[lo:hi], p.Grad.Data[lo:hi], st.M[i].Data[lo:hi], st.V[i].Data[lo:hi]
		g, m, v = g[:len(pv)], m[:len(pv)], v[:len(pv)]
		shrink := float32(1 - lr*wd)
		for j := range pv {
			gj := g[j]
			if decoupled {
				pv[j] *= shrink
			} else {
				gj += wd32 * pv[j]
			}
			m[j] += c1 * (gj - m[j])
			v[j] = b2*v[j] + c2*gj*gj
			denom := float32(math.Sqrt(float64(v[j])))/bc2Sqrt + e
			pv[j] -= stepSize * (m[j] / denom)
		}
	}
	// Every element's update is independent of the others, so fixed chunks
	// spread over the cores give the same result on any number of them.
	var chunks [][3]int
	for i, p := range a.params {
		if !trainable(p) {
			continue
		}
		for lo := 0; lo < len(p.Value.Data); lo += adamChunk {
			chunks = append(chunks, [3]int{i, lo, min(lo+adamChunk, len(p.Value.Data))})
		}
	}
	if len(chunks) < 4 { // small models: not worth starting goroutines
		for _, c := range chunks {
			update(c[0], c[1], c[2])
		}
		return
	}
	tensor.ParallelFor(len(chunks), func(c int) { update(chunks[c][0], chunks[c][1], chunks[c][2]) })
}

// adamChunk is how many elements one task of the optimizer step updates.
const adamChunk = 1 << 14

// StateDict returns the optimizer state as named tensors, ready for
// safetensors: "exp_avg.<param>" (m), "exp_avg_sq.<param>" (v) and "step"
// (a one-element tensor; exact up to 2²⁴ steps). The tensors are shared, not
// copied. It panics if two parameters share a name.
func (st *AdamState) StateDict(params []*autograd.Var) map[string]*tensor.Tensor {
	out := map[string]*tensor.Tensor{"step": tensor.New([]float32{float32(st.Step)}, 1)}
	for i, p := range params {
		if _, dup := out["exp_avg."+p.Name]; dup {
			panic(fmt.Sprintf("nn: AdamState.StateDict: duplicate parameter name %q", p.Name))
		}
		out["exp_avg."+p.Name] = st.M[i]
		out["exp_avg_sq."+p.Name] = st.V[i]
	}
	return out
}

// LoadStateDict copies a state saved by StateDict into st, checking that
// every key is present with the right shape and that none is unexpected.
func (st *AdamState) LoadStateDict(params []*autograd.Var, sd map[string]*tensor.Tensor) error {
	want := map[string]*tensor.Tensor{"step": tensor.Zeros(1)}
	for i, p := range params {
		want["exp_avg."+p.Name] = st.M[i]
		want["exp_avg_sq."+p.Name] = st.V[i]
	}
	if err := checkKeys(want, sd); err != nil {
		return fmt.Errorf("nn: optimizer state: %w", err)
	}
	s := sd["step"].Data[0]
	if s < 0 || s != float32(math.Trunc(float64(s))) {
		return fmt.Errorf("nn: optimizer state: step %g is not a non-negative integer", s)
	}
	for name, dst := range want {
		if name != "step" {
			copy(dst.Data, sd[name].Data)
		}
	}
	st.Step = int(s)
	return nil
}

// StateDict returns the optimizer state for a checkpoint (see
// AdamState.StateDict).
func (o *Adam) StateDict() map[string]*tensor.Tensor { return o.State.StateDict(o.params) }

// LoadStateDict restores a state saved by StateDict.
func (o *Adam) LoadStateDict(sd map[string]*tensor.Tensor) error {
	return o.State.LoadStateDict(o.params, sd)
}

// StateDict returns the optimizer state for a checkpoint (see
// AdamState.StateDict).
func (o *AdamW) StateDict() map[string]*tensor.Tensor { return o.State.StateDict(o.params) }

// LoadStateDict restores a state saved by StateDict.
func (o *AdamW) LoadStateDict(sd map[string]*tensor.Tensor) error {
	return o.State.LoadStateDict(o.params, sd)
}

// StateDict returns the momentum buffers as "momentum_buffer.<param>"
// (shared, not copied). It panics if two parameters share a name.
func (o *SGD) StateDict() map[string]*tensor.Tensor {
	out := map[string]*tensor.Tensor{}
	for i, p := range o.params {
		if _, dup := out["momentum_buffer."+p.Name]; dup {
			panic(fmt.Sprintf("nn: SGD.StateDict: duplicate parameter name %q", p.Name))
		}
		out["momentum_buffer."+p.Name] = o.Buf[i]
	}
	return out
}

// LoadStateDict copies momentum buffers saved by StateDict into o, checking
// keys and shapes.
func (o *SGD) LoadStateDict(sd map[string]*tensor.Tensor) error {
	want := o.StateDict()
	if err := checkKeys(want, sd); err != nil {
		return fmt.Errorf("nn: optimizer state: %w", err)
	}
	for name, dst := range want {
		copy(dst.Data, sd[name].Data)
	}
	return nil
}

// Params returns the parameters in the order the state lists them.
func (o *Adam) Params() []*autograd.Var { return o.params }

// Params returns the parameters in the order the state lists them.
func (o *AdamW) Params() []*autograd.Var { return o.params }

// Params returns the parameters in the order Buf lists them.
func (o *SGD) Params() []*autograd.Var { return o.params }

// ClipGradNorm scales the gradients of params so that their global L2 norm
// ‖g‖ = √(Σ g²) (over all parameters together, accumulated in float64) is at
// most maxNorm, and returns the norm before clipping, as PyTorch's
// clip_grad_norm_: every gradient is multiplied by maxNorm/(‖g‖ + 1e-6) when
// that factor is below 1. Parameters without a gradient are skipped. A
// non-finite norm is returned as is and the gradients are left alone, so the
// caller can skip the step.
func ClipGradNorm(params []*autograd.Var, maxNorm float64) float64 {
	sum := 0.0
	for _, p := range params {
		if p.Grad == nil {
			continue
		}
		for _, x := range p.Grad.Data {
			sum += float64(x) * float64(x)
		}
	}
	norm := math.Sqrt(sum)
	if math.IsNaN(norm) || math.IsInf(norm, 0) {
		return norm
	}
	coef := maxNorm / (norm + 1e-6)
	if coef < 1 {
		c := float32(coef)
		for _, p := range params {
			if p.Grad == nil {
				continue
			}
			for j := range p.Grad.Data {
				p.Grad.Data[j] *= c
			}
		}
	}
	return norm
}

// Schedule gives the learning rate for a 0-based step (the number of updates
// already taken); call opt.SetLR(s(step)) before each Step.
type Schedule func(step int) float64

// Constant is the schedule that always returns lr.
func Constant(lr float64) Schedule { return func(int) float64 { return lr } }

// WarmupLinear warms up linearly, lr = peak·(step+1)/warmup for
// step < warmup, then decays linearly from peak to minLR over the remaining
// total−warmup steps, and stays at minLR from step total on.
func WarmupLinear(peak, minLR float64, warmup, total int) Schedule {
	checkSchedule("WarmupLinear", warmup, total)
	return func(step int) float64 {
		if lr, ok := warmupPhase(step, peak, minLR, warmup, total); ok {
			return lr
		}
		r := float64(step-warmup) / float64(total-warmup)
		return peak + r*(minLR-peak)
	}
}

// WarmupCosine warms up linearly, lr = peak·(step+1)/warmup for
// step < warmup, then follows half a cosine from peak to minLR,
// lr = minLR + ½(1 + cos(π·r))(peak − minLR) with r = (step−warmup)/(total−warmup),
// and stays at minLR from step total on.
func WarmupCosine(peak, minLR float64, warmup, total int) Schedule {
	checkSchedule("WarmupCosine", warmup, total)
	return func(step int) float64 {
		if lr, ok := warmupPhase(step, peak, minLR, warmup, total); ok {
			return lr
		}
		r := float64(step-warmup) / float64(total-warmup)
		return minLR + 0.5*(1+math.Cos(math.Pi*r))*(peak-minLR)
	}
}

// warmupPhase handles the parts both decays share: warm-up and after total.
func warmupPhase(step int, peak, minLR float64, warmup, total int) (float64, bool) {
	switch {
	case step < warmup:
		return peak * float64(step+1) / float64(warmup), true
	case step >= total:
		return minLR, true
	}
	return 0, false
}

func checkSchedule(name string, warmup, total int) {
	if warmup < 0 || total < warmup {
		panic(fmt.Sprintf("nn.%s: need 0 ≤ warmup ≤ total, got warmup %d, total %d", name, warmup, total))
	}
}
