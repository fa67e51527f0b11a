package diffusion

import (
	"time"

	"transformers/autograd"
	"transformers/nn"
)

// TrainConfig sets up Train: AdamW at peak learning rate LR with a linear
// warmup over the first 5 % of Steps and a cosine decay to LR/10, gradients
// clipped to global norm Clip (0: no clipping), weight decay WeightDecay on
// matrices only.
type TrainConfig struct {
	Steps       int
	LR          float64
	Clip        float64
	WeightDecay float64
	// StopAfter > 0 ends training after that many steps, the schedule still
	// spanning Steps: the first steps of a long run, bit for bit.
	StopAfter int
}

// TrainStats is what Train measured.
type TrainStats struct {
	Elapsed time.Duration
	Losses  []float64 // one per step
}

// PerStep is the mean wall time of one step.
func (s TrainStats) PerStep() time.Duration {
	if len(s.Losses) == 0 {
		return 0
	}
	return s.Elapsed / time.Duration(len(s.Losses))
}

// Train runs cfg.Steps optimisation steps. lossAt builds the loss of step
// `step` on a fresh recording graph; Train runs backward, clips, updates and
// zeroes the gradients. If a loss or the gradient norm is NaN or ±Inf it
// stops and returns an error naming the step; log, if non-nil, is called
// after every step.
func Train(cfg TrainConfig, params []*autograd.Var, lossAt func(step int, g *autograd.Graph) *autograd.Var, log func(step int, loss, lr float64)) (TrainStats, error) {
	opt := nn.NewAdamW(nn.DecayGroups(params, cfg.WeightDecay), cfg.LR)
	sched := nn.WarmupCosine(cfg.LR, cfg.LR/10, max(cfg.Steps/20, 1), cfg.Steps)
	st := TrainStats{Losses: make([]float64, 0, cfg.Steps)}
	start := time.Now()
	n := cfg.Steps
	if cfg.StopAfter > 0 {
		n = min(n, cfg.StopAfter)
	}
	for step := 0; step < n; step++ {
		g := autograd.New()
		loss := lossAt(step, g)
		l := float64(loss.Value.Data[0])
		if err := CheckFinite("loss", step, l); err != nil {
			return st, err
		}
		g.Backward(loss)
		if cfg.Clip > 0 {
			if err := CheckFinite("gradient norm", step, nn.ClipGradNorm(params, cfg.Clip)); err != nil {
				return st, err
			}
		}
		lr := sched(step)
		opt.SetLR(lr)
		opt.Step()
		opt.ZeroGrad()
		st.Losses = append(st.Losses, l)
		if log != nil {
			log(step, l, lr)
		}
	}
	st.Elapsed = time.Since(start)
	return st, nil
}
