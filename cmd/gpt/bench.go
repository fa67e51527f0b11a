package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/pprof"
	"time"

	"transformers/autograd"
	"transformers/gpt"
	"transformers/nn"
	"transformers/tensor"
)

// benchModel is issue 5's reference configuration, the model of the peer
// (shared/peer/torch_gpt.py): vocabulary 256, context 128, 4 layers, 4
// heads, d_model 128, d_ff 512, pre-LN, learned positions, tied output,
// GELU (tanh), biases on the linear maps as torch.nn.Linear has them.
func benchModel() gpt.Config {
	c := gpt.DefaultConfig(256)
	c.Context, c.Layers, c.Heads, c.DModel, c.DFF = 128, 4, 4, 128, 512
	c.Bias = true
	return c
}

const benchSynopsis = `Measures the engine on a GPT (issue 5's reference configuration by default) and
prints one JSON line with the fields of the PyTorch peer: train_tok_s and step_ms
(forward + backward + AdamW on random tokens, after warm-up), gen_tok_s (batch 1,
KV cache, a full context), sgemm_gflops (512×512×512), allocs_per_step and
peak_heap_mb (the largest live heap seen during a step).`

// benchResult is the JSON line bench prints.
type benchResult struct {
	Threads       int     `json:"threads"`
	Params        int     `json:"params"`
	StepMS        float64 `json:"step_ms"`
	TrainTokS     float64 `json:"train_tok_s"`
	GenTokS       float64 `json:"gen_tok_s"`
	SgemmGFLOPS   float64 `json:"sgemm_gflops"`
	AllocsPerStep float64 `json:"allocs_per_step"`
	PeakHeapMB    float64 `json:"peak_heap_mb"`
	Kernel        string  `json:"kernel"`
	Go            string  `json:"go"`
}

func cmdBench(args []string, stdout, stderr io.Writer) error {
	mc := benchModel()
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.IntVar(&mc.VocabSize, "vocab", mc.VocabSize, "vocabulary size")
	fs.IntVar(&mc.Context, "context", mc.Context, "context length (n_ctx); also the training sequence length")
	fs.IntVar(&mc.Layers, "layers", mc.Layers, "transformer blocks (n_layer)")
	fs.IntVar(&mc.Heads, "heads", mc.Heads, "attention heads (n_head)")
	fs.IntVar(&mc.DModel, "d-model", mc.DModel, "residual width (n_embd)")
	fs.IntVar(&mc.DFF, "d-ff", mc.DFF, "feed-forward hidden width")
	fs.StringVar(&mc.Positions, "positions", mc.Positions, "learned, sinusoidal, alibi or rope")
	fs.Float64Var(&mc.RoPEBase, "rope-base", mc.RoPEBase, "RoPE base θ")
	fs.BoolVar(&mc.PostLN, "post-ln", mc.PostLN, "post-LN blocks instead of pre-LN")
	fs.StringVar(&mc.Norm, "norm", mc.Norm, "layernorm or rmsnorm")
	fs.Float64Var(&mc.NormEps, "norm-eps", mc.NormEps, "normalisation ε")
	fs.StringVar(&mc.FF, "ff", mc.FF, "gelu or swiglu")
	fs.BoolVar(&mc.Tied, "tied", mc.Tied, "tie the output head to the token embeddings")
	fs.Float64Var(&mc.Dropout, "dropout", mc.Dropout, "dropout probability")
	fs.BoolVar(&mc.Bias, "bias", mc.Bias, "biases on the linear layers")
	fs.Float64Var(&mc.InitStd, "init-std", mc.InitStd, "std of the initial weights")
	batch := fs.Int("batch", 16, "sequences per training step")
	steps := fs.Int("steps", 10, "timed training steps (after 3 warm-up steps)")
	lr := fs.Float64("lr", 3e-4, "AdamW learning rate")
	wd := fs.Float64("weight-decay", 0.01, "AdamW weight decay (on every parameter, as torch.optim.AdamW)")
	procs := fs.Int("procs", 0, "GOMAXPROCS for the run (0: all cores)")
	seed := fs.Uint64("seed", 1, "seed of the weights and the random tokens")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the timed training steps to this `file`")
	if err := parse(fs, args, stdout, benchSynopsis); err != nil {
		return err
	}
	if err := mc.Validate(); err != nil {
		return badf("%v", err)
	}
	if *batch <= 0 || *steps <= 0 || *procs < 0 {
		return badf("-batch %d, -steps %d, -procs %d: want positive batch and steps, procs ≥ 0", *batch, *steps, *procs)
	}
	if *procs > 0 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(*procs))
	}
	var prof io.Writer
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return badf("-cpuprofile: %v", err)
		}
		defer f.Close()
		prof = f
	}
	res, err := runBench(mc, *batch, *steps, *lr, *wd, *seed, prof)
	if err != nil {
		return err
	}
	line, err := json.Marshal(res)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(stdout, string(line))
	return err
}

// runBench measures training, generation and sgemm speed for mc, writing a
// CPU profile of the timed training steps to prof if it is not nil.
func runBench(mc gpt.Config, B, steps int, lr, wd float64, seed uint64, prof io.Writer) (benchResult, error) {
	rng := rand.New(rand.NewPCG(seed, 5))
	m := gpt.New(mc, rng)
	params := m.Parameters()
	opt := nn.NewAdamW([]nn.ParamGroup{{Params: params, WeightDecay: wd}}, lr)
	T, V := mc.Context, mc.VocabSize
	x, y := make([]int, B*T), make([]int, B*T)
	for i := range x {
		x[i], y[i] = rng.IntN(V), rng.IntN(V)
	}
	g := autograd.New().RecycleBuffers() // activations reused across steps
	var peak uint64
	var ms runtime.MemStats
	sample := func() {
		runtime.ReadMemStats(&ms)
		peak = max(peak, ms.HeapAlloc)
	}
	step := func(probe bool) {
		g.Reset()
		out := m.Forward(g, x, B, T, gpt.ForwardOptions{Train: mc.Dropout > 0, Rng: rng})
		loss := g.CrossEntropy(out.Logits, y, nil)
		if probe {
			sample() // activations and the tape are all alive here
		}
		opt.ZeroGrad()
		g.Backward(loss)
		if probe {
			sample()
		}
		opt.Step()
	}
	for range 3 {
		step(false)
	}
	runtime.GC()
	runtime.ReadMemStats(&ms)
	mallocs := ms.Mallocs
	if prof != nil {
		if err := pprof.StartCPUProfile(prof); err != nil {
			return benchResult{}, err
		}
	}
	start := time.Now()
	for range steps {
		step(false)
	}
	dt := time.Since(start) / time.Duration(steps)
	if prof != nil {
		pprof.StopCPUProfile()
	}
	runtime.ReadMemStats(&ms)
	allocs := float64(ms.Mallocs-mallocs) / float64(steps)
	step(true)
	g.Reset()

	// Generation: batch 1 from one token through the whole context with
	// the KV cache (Context forward passes, as the peer).
	gen := 0.0
	if mc.Context > 1 {
		// Let the collector finish with training's heap first, so that
		// its background work is not timed as generation.
		g = nil
		runtime.GC()
		t0 := time.Now()
		m.Generate([]int{0}, gpt.GenerateOptions{MaxTokens: mc.Context - 1, EOS: -1})
		gen = float64(mc.Context) / time.Since(t0).Seconds()
	}

	return benchResult{
		Threads:       runtime.GOMAXPROCS(0),
		Params:        nn.NumParams(params),
		StepMS:        round2(float64(dt) / 1e6),
		TrainTokS:     round2(float64(B*T) / dt.Seconds()),
		GenTokS:       round2(gen),
		SgemmGFLOPS:   round2(sgemmGFLOPS(512)),
		AllocsPerStep: round2(allocs),
		PeakHeapMB:    round2(float64(peak) / (1 << 20)),
		Kernel:        tensor.GemmKernel(),
		Go:            runtime.Version(),
	}, nil
}

// sgemmGFLOPS times C = A·B for n×n matrices and returns the best of ten
// runs in GFLOP/s (2n³ floating-point operations each).
func sgemmGFLOPS(n int) float64 {
	rng := rand.New(rand.NewPCG(3, 4))
	a, b, c := tensor.Randn(rng, 1, n, n), tensor.Randn(rng, 1, n, n), tensor.Zeros(n, n)
	best := time.Duration(1 << 62)
	for range 11 {
		t0 := time.Now()
		tensor.MatMulInto(c, a, b, false)
		best = min(best, time.Since(t0))
	}
	return 2 * float64(n) * float64(n) * float64(n) / best.Seconds() / 1e9
}

func round2(x float64) float64 { return float64(int64(x*100+0.5)) / 100 }
