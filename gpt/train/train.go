// Package train trains a gpt.Model on a stream of token ids: AdamW with
// weight decay on matrices only, linear warm-up then a cosine decay, gradient
// accumulation normalised by the total token count, clipping by global
// norm, train and validation loss at intervals (with a warning when
// validation loss rises), samples at intervals, checkpoints that resume
// bit-identically, metrics as JSON lines, a progress line with an ETA and a
// loss-curve picture.
//
// A run's folder (Config.OutDir) holds:
//
//	model.safetensors   the weights, with the model config (and the caller's Meta) in __metadata__
//	state.safetensors   AdamW's moments and step, with the training step, rng state and best validation loss
//	metrics.jsonl       one JSON object per step: step, loss, val_loss (when evaluated), lr, grad_norm, tok_s
//	loss.png            train and validation loss against step
package train

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"transformers/autograd"
	"transformers/gpt"
	"transformers/nn"
	"transformers/nn/plot"
	"transformers/nn/safetensors"
)

// Config holds the training hyper-parameters and the bookkeeping intervals.
type Config struct {
	Steps       int     // optimizer updates in the whole run
	Batch       int     // sequences per micro-batch
	Accum       int     // micro-batches per update (gradient accumulation)
	SeqLen      int     // tokens per sequence (at most the model's context)
	LR          float64 // peak learning rate
	MinLR       float64 // learning rate at the end of the cosine
	Warmup      int     // linear warm-up steps
	WeightDecay float64 // AdamW λ on weight matrices (not on biases, norms or embeddings)
	Clip        float64 // max global gradient norm; 0 disables clipping

	EvalEvery       int // steps between validation passes (and the last step); 0: only at the end
	EvalBatches     int // validation micro-batches per pass
	CheckpointEvery int // steps between checkpoints (and the last step); 0: only at the end
	SampleEvery     int // steps between samples (needs Trainer.Sample); 0: never
	LogEvery        int // steps between progress lines; 0: 10
	Seed            uint64
	OutDir          string // where checkpoints, metrics and the curve go; "" writes nothing
}

// Validate reports every bad value, naming the field.
func (c Config) Validate() error {
	var errs []error
	for _, f := range []struct {
		name string
		v    int
	}{{"steps", c.Steps}, {"batch", c.Batch}, {"accum", c.Accum}, {"seq_len", c.SeqLen}, {"eval_batches", c.EvalBatches}} {
		if f.v <= 0 {
			errs = append(errs, fmt.Errorf("train: %s must be positive, got %d", f.name, f.v))
		}
	}
	if !(c.LR > 0) || c.MinLR < 0 || c.MinLR > c.LR {
		errs = append(errs, fmt.Errorf("train: need 0 ≤ min_lr ≤ lr and lr > 0, got lr %g, min_lr %g", c.LR, c.MinLR))
	}
	if c.Warmup > c.Steps {
		errs = append(errs, fmt.Errorf("train: warmup %d exceeds steps %d", c.Warmup, c.Steps))
	}
	if c.Warmup < 0 || c.WeightDecay < 0 || c.Clip < 0 {
		errs = append(errs, fmt.Errorf("train: warmup, weight_decay and clip must be ≥ 0"))
	}
	return errors.Join(errs...)
}

// Metrics is one line of metrics.jsonl.
type Metrics struct {
	Step     int      `json:"step"` // updates taken, counting this one
	Loss     float64  `json:"loss"` // mean training loss over this update's tokens
	ValLoss  *float64 `json:"val_loss,omitempty"`
	LR       float64  `json:"lr"`
	GradNorm float64  `json:"grad_norm"` // before clipping
	TokS     float64  `json:"tok_s"`     // training tokens per second in this update
}

// Trainer runs the loop. Build it with New, optionally set the hooks, then
// call Run.
type Trainer struct {
	Model     *gpt.Model
	Opt       *nn.AdamW
	Cfg       Config
	TrainIDs  []int
	ValIDs    []int
	Step      int     // updates taken so far
	BestVal   float64 // lowest validation loss seen (+Inf before the first)
	History   []Metrics
	Progress  io.Writer // progress lines (stderr); nil: silent
	Log       io.Writer // samples and warnings; nil: Progress
	Sample    func(m *gpt.Model, rng *rand.Rand) string
	Meta      map[string]string // extra metadata saved with the model (e.g. the tokenizer)
	Baseline  float64           // if > 0, drawn on the loss curve as a flat line (the unigram entropy)
	pcg       *rand.PCG
	rng       *rand.Rand
	params    []*autograd.Var
	schedule  nn.Schedule
	g         *autograd.Graph
	start     time.Time
	startStep int
}

// New prepares a trainer for m on the train and validation token streams.
// The optimizer is AdamW (β₁ 0.9, β₂ 0.95 as nanoGPT) over nn.DecayGroups,
// and batches are drawn from a PCG seeded with cfg.Seed.
func New(m *gpt.Model, trainIDs, valIDs []int, cfg Config) (*Trainer, error) {
	if cfg.LogEvery <= 0 {
		cfg.LogEvery = 10
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.SeqLen > m.Config.Context {
		return nil, fmt.Errorf("train: seq_len %d exceeds the model context %d", cfg.SeqLen, m.Config.Context)
	}
	if len(trainIDs) < cfg.SeqLen+2 {
		return nil, fmt.Errorf("train: %d training tokens, need more than seq_len+1 = %d", len(trainIDs), cfg.SeqLen+1)
	}
	if len(valIDs) < cfg.SeqLen+2 {
		return nil, fmt.Errorf("train: %d validation tokens, need more than seq_len+1 = %d", len(valIDs), cfg.SeqLen+1)
	}
	t := &Trainer{Model: m, Cfg: cfg, TrainIDs: trainIDs, ValIDs: valIDs, BestVal: math.Inf(1), g: autograd.New().RecycleBuffers()}
	t.params = m.Parameters()
	t.Opt = nn.NewAdamW(nn.DecayGroups(t.params, cfg.WeightDecay), cfg.LR)
	t.Opt.Beta2 = 0.95
	t.params = t.Opt.Params()
	t.pcg = rand.NewPCG(cfg.Seed, 0x9e3779b97f4a7c15)
	t.rng = rand.New(t.pcg)
	t.schedule = nn.WarmupCosine(cfg.LR, cfg.MinLR, cfg.Warmup, cfg.Steps)
	return t, nil
}

// batch draws B random windows of SeqLen+1 tokens: inputs and targets
// shifted by one.
func (t *Trainer) batch() (x, y []int) {
	B, T := t.Cfg.Batch, t.Cfg.SeqLen
	x, y = make([]int, 0, B*T), make([]int, 0, B*T)
	for range B {
		s := t.rng.IntN(len(t.TrainIDs) - T)
		x = append(x, t.TrainIDs[s:s+T]...)
		y = append(y, t.TrainIDs[s+1:s+T+1]...)
	}
	return x, y
}

// Gradients runs forward and backward over micro-batches xs[i], ys[i]
// (each B×T tokens) and accumulates into the parameters' gradients the
// gradient of the mean loss over all of their tokens: each micro-batch's
// cross-entropy is normalised by the total token count (CrossEntropyNorm),
// so k micro-batches give the gradient of one batch k times larger. A
// target of autograd.IgnoreIndex (a prompt token in fine-tuning, padding)
// is neither trained nor counted. It returns that mean loss.
func (t *Trainer) Gradients(xs, ys [][]int, B, T int) float64 {
	total := 0
	for _, y := range ys {
		for _, id := range y {
			if id != autograd.IgnoreIndex {
				total++
			}
		}
	}
	if total == 0 {
		return 0
	}
	loss := 0.0
	for i := range xs {
		t.g.Reset()
		out := t.Model.Forward(t.g, xs[i], B, T, gpt.ForwardOptions{Train: true, Rng: t.rng})
		l := t.g.CrossEntropyNorm(out.Logits, ys[i], nil, float32(total))
		t.g.Backward(l)
		loss += float64(l.Value.Data[0])
	}
	t.g.Reset()
	return loss
}

// Evaluate returns the mean loss over EvalBatches fixed validation batches,
// windows spread evenly over the validation stream. It draws no random
// numbers, so evaluating never changes the training trajectory.
func (t *Trainer) Evaluate() float64 {
	B, T := t.Cfg.Batch, t.Cfg.SeqLen
	n := t.Cfg.EvalBatches * B
	span := len(t.ValIDs) - T - 1
	g := autograd.NoGrad().RecycleBuffers()
	sum := 0.0
	for i := range t.Cfg.EvalBatches {
		x, y := make([]int, 0, B*T), make([]int, 0, B*T)
		for b := range B {
			s := (i*B + b) * span / n
			x = append(x, t.ValIDs[s:s+T]...)
			y = append(y, t.ValIDs[s+1:s+T+1]...)
		}
		out := t.Model.Forward(g, x, B, T, gpt.ForwardOptions{})
		sum += float64(g.CrossEntropy(out.Logits, y, nil).Value.Data[0])
		g.Reset()
	}
	return sum / float64(t.Cfg.EvalBatches)
}

// Run trains until Cfg.Steps updates have been taken (continuing from
// t.Step after Resume). It stops with an error naming the step (and the
// parameter) when the loss or a gradient is not finite.
func (t *Trainer) Run() error { return t.RunUntil(t.Cfg.Steps) }

// RunUntil trains until stop updates have been taken (stop ≤ Cfg.Steps; the
// schedule still spans Cfg.Steps), then evaluates, checkpoints and draws the
// curve as at the end of a run. Run is RunUntil(Cfg.Steps).
func (t *Trainer) RunUntil(stop int) error {
	cfg := t.Cfg
	stop = min(stop, cfg.Steps)
	var metrics io.Writer
	if cfg.OutDir != "" {
		if err := os.MkdirAll(cfg.OutDir, 0o755); err != nil {
			return fmt.Errorf("train: %w", err)
		}
		f, err := t.openMetrics()
		if err != nil {
			return err
		}
		defer f.Close()
		metrics = f
	}
	t.start, t.startStep = time.Now(), t.Step
	tokens := cfg.Batch * cfg.SeqLen * cfg.Accum
	for t.Step < stop {
		t0 := time.Now()
		lr := t.schedule(t.Step)
		t.Opt.SetLR(lr)
		t.Opt.ZeroGrad()
		xs, ys := make([][]int, cfg.Accum), make([][]int, cfg.Accum)
		for i := range xs {
			xs[i], ys[i] = t.batch()
		}
		loss := t.Gradients(xs, ys, cfg.Batch, cfg.SeqLen)
		step := t.Step + 1
		if math.IsNaN(loss) || math.IsInf(loss, 0) {
			return fmt.Errorf("train: step %d: loss is %v%s", step, loss, t.badValue())
		}
		maxNorm := cfg.Clip
		if maxNorm == 0 {
			maxNorm = math.Inf(1)
		}
		norm := nn.ClipGradNorm(t.params, maxNorm)
		if math.IsNaN(norm) || math.IsInf(norm, 0) {
			return fmt.Errorf("train: step %d: gradient norm is %v (first non-finite gradient in %s)", step, norm, t.nonFinite())
		}
		t.Opt.Step()
		t.Step = step
		mt := Metrics{Step: step, Loss: loss, LR: lr, GradNorm: norm, TokS: float64(tokens) / time.Since(t0).Seconds()}
		last := step == stop
		if last || (cfg.EvalEvery > 0 && step%cfg.EvalEvery == 0) {
			v := t.Evaluate()
			mt.ValLoss = &v
			if v > t.BestVal && !math.IsInf(t.BestVal, 1) {
				fmt.Fprintf(t.logw(), "warning: step %d: validation loss %.4f rose above its best %.4f (over-fitting, or the learning rate is too high)\n", step, v, t.BestVal)
			}
			t.BestVal = min(t.BestVal, v)
		}
		t.History = append(t.History, mt)
		if metrics != nil {
			b, _ := json.Marshal(mt)
			if _, err := fmt.Fprintf(metrics, "%s\n", b); err != nil {
				return fmt.Errorf("train: metrics: %w", err)
			}
		}
		if t.Progress != nil && (step%cfg.LogEvery == 0 || last || mt.ValLoss != nil) {
			t.progress(mt)
		}
		if t.Sample != nil && cfg.SampleEvery > 0 && (step%cfg.SampleEvery == 0 || last) {
			// A separate generator: sampling never disturbs the training rng.
			s := t.Sample(t.Model, rand.New(rand.NewPCG(cfg.Seed, uint64(step))))
			fmt.Fprintf(t.logw(), "--- sample at step %d ---\n%s\n---\n", step, s)
		}
		if cfg.OutDir != "" && (last || (cfg.CheckpointEvery > 0 && step%cfg.CheckpointEvery == 0)) {
			if err := t.Save(); err != nil {
				return err
			}
		}
	}
	if cfg.OutDir != "" {
		return t.WriteCurve(filepath.Join(cfg.OutDir, "loss.png"))
	}
	return nil
}

func (t *Trainer) logw() io.Writer {
	if t.Log != nil {
		return t.Log
	}
	if t.Progress != nil {
		return t.Progress
	}
	return io.Discard
}

func (t *Trainer) nonFinite() string {
	for _, p := range t.params {
		if p.Grad == nil {
			continue
		}
		for _, v := range p.Grad.Data {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return p.Name
			}
		}
	}
	return "no single parameter (the sum of squares overflowed)"
}

// badValue names the first parameter holding a non-finite value, if any.
func (t *Trainer) badValue() string {
	for _, p := range t.params {
		for _, v := range p.Value.Data {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return " (parameter " + p.Name + " holds " + strconv.FormatFloat(float64(v), 'g', -1, 32) + ")"
			}
		}
	}
	return ""
}

func (t *Trainer) progress(mt Metrics) {
	done := t.Step - t.startStep
	el := time.Since(t.start)
	eta := time.Duration(float64(el) / float64(done) * float64(t.Cfg.Steps-t.Step))
	tokS := float64(done*t.Cfg.Batch*t.Cfg.SeqLen*t.Cfg.Accum) / el.Seconds()
	val := ""
	if mt.ValLoss != nil {
		val = fmt.Sprintf(" val %.4f", *mt.ValLoss)
	}
	fmt.Fprintf(t.Progress, "step %5d/%d  loss %.4f%s  lr %.2e  |g| %.3f  %6.0f tok/s  elapsed %v  ETA %v\n",
		t.Step, t.Cfg.Steps, mt.Loss, val, mt.LR, mt.GradNorm, tokS, el.Round(time.Second), eta.Round(time.Second))
}

// openMetrics opens metrics.jsonl for appending, first dropping any lines
// past t.Step (written after the checkpoint a resumed run starts from).
func (t *Trainer) openMetrics() (*os.File, error) {
	path := filepath.Join(t.Cfg.OutDir, "metrics.jsonl")
	if t.Step == 0 {
		f, err := os.Create(path)
		if err != nil {
			return nil, fmt.Errorf("train: %w", err)
		}
		return f, nil
	}
	var keep []byte
	if b, err := os.ReadFile(path); err == nil {
		for len(b) > 0 {
			i := 0
			for i < len(b) && b[i] != '\n' {
				i++
			}
			line := b[:i]
			var mt Metrics
			if json.Unmarshal(line, &mt) == nil && mt.Step <= t.Step {
				keep = append(keep, line...)
				keep = append(keep, '\n')
				t.History = append(t.History, mt)
			}
			b = b[min(i+1, len(b)):]
		}
	}
	if err := os.WriteFile(path, keep, 0o644); err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	return f, nil
}

// Save writes model.safetensors and state.safetensors into Cfg.OutDir.
func (t *Trainer) Save() error {
	meta := map[string]string{"step": strconv.Itoa(t.Step)}
	for k, v := range t.Meta {
		meta[k] = v
	}
	if err := t.Model.Save(filepath.Join(t.Cfg.OutDir, "model.safetensors"), meta); err != nil {
		return fmt.Errorf("train: %w", err)
	}
	rs, err := t.pcg.MarshalBinary()
	if err != nil {
		return fmt.Errorf("train: rng state: %w", err)
	}
	smeta := map[string]string{
		"step":     strconv.Itoa(t.Step),
		"rng":      base64.StdEncoding.EncodeToString(rs),
		"best_val": strconv.FormatFloat(t.BestVal, 'g', -1, 64),
	}
	if err := safetensors.Write(filepath.Join(t.Cfg.OutDir, "state.safetensors"), t.Opt.StateDict(), smeta); err != nil {
		return fmt.Errorf("train: %w", err)
	}
	return nil
}

// Resume loads the weights, optimizer moments, step, rng state and best
// validation loss saved by Save in dir, so Run continues exactly where the
// saved run stopped: training 2N steps straight and N, Resume, N more give
// bit-identical weights. The model's config must match the checkpoint's.
func (t *Trainer) Resume(dir string) error {
	m, meta, err := gpt.Load(filepath.Join(dir, "model.safetensors"))
	if err != nil {
		return fmt.Errorf("train: resume: %w", err)
	}
	if m.Config != t.Model.Config {
		return fmt.Errorf("train: resume: %s holds a different model config", dir)
	}
	if err := t.Model.LoadStateDict(m.StateDict()); err != nil {
		return fmt.Errorf("train: resume: %w", err)
	}
	path := filepath.Join(dir, "state.safetensors")
	sd, smeta, err := safetensors.Read(path)
	if err != nil {
		return fmt.Errorf("train: resume: %w", err)
	}
	if err := t.Opt.LoadStateDict(sd); err != nil {
		return fmt.Errorf("train: resume: %s: %w", path, err)
	}
	step, err1 := strconv.Atoi(smeta["step"])
	rs, err2 := base64.StdEncoding.DecodeString(smeta["rng"])
	best, err3 := strconv.ParseFloat(smeta["best_val"], 64)
	if err := errors.Join(err1, err2, err3); err != nil || meta["step"] != smeta["step"] {
		return fmt.Errorf("train: resume: %s: bad step, rng or best_val metadata (or it does not match the model's step): %v", path, err)
	}
	if err := t.pcg.UnmarshalBinary(rs); err != nil {
		return fmt.Errorf("train: resume: %s: rng state: %w", path, err)
	}
	t.Step, t.BestVal = step, best
	return nil
}

// WriteCurve draws train loss (every step) and validation loss (where
// evaluated) against step to a PNG at path.
func (t *Trainer) WriteCurve(path string) error {
	var xs, ys, vx, vy []float64
	for _, m := range t.History {
		xs, ys = append(xs, float64(m.Step)), append(ys, m.Loss)
		if m.ValLoss != nil {
			vx, vy = append(vx, float64(m.Step)), append(vy, *m.ValLoss)
		}
	}
	c := &plot.LineChart{Title: "loss", XLabel: "step", YLabel: "cross-entropy (nats/token)"}
	c.Add("train", xs, ys).Add("validation", vx, vy)
	if t.Baseline > 0 && len(xs) > 0 {
		c.Add("unigram baseline", []float64{xs[0], xs[len(xs)-1]}, []float64{t.Baseline, t.Baseline})
	}
	if err := c.WritePNG(path); err != nil {
		return fmt.Errorf("train: %w", err)
	}
	return nil
}
