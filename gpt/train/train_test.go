package train

import (
	"bufio"
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"transformers/autograd"
	"transformers/gpt"
)

func tinyModel(seed uint64, dropout float64) *gpt.Model {
	c := gpt.DefaultConfig(13)
	c.Context, c.Layers, c.Heads, c.DModel, c.DFF, c.Dropout = 16, 2, 2, 16, 32, dropout
	return gpt.New(c, rand.New(rand.NewPCG(seed, 0)))
}

// stream is a learnable token stream: a repeating pattern with noise.
func stream(n int, seed uint64) []int {
	r := rand.New(rand.NewPCG(seed, 3))
	pat := []int{1, 5, 2, 7, 3, 9, 4, 11}
	ids := make([]int, n)
	for i := range ids {
		ids[i] = pat[i%len(pat)]
		if r.IntN(10) == 0 {
			ids[i] = r.IntN(13)
		}
	}
	return ids
}

func tinyConfig(dir string) Config {
	return Config{Steps: 6, Batch: 4, Accum: 2, SeqLen: 12, LR: 3e-3, MinLR: 3e-4, Warmup: 2,
		WeightDecay: 0.1, Clip: 1, EvalEvery: 2, EvalBatches: 2, CheckpointEvery: 3, Seed: 7, OutDir: dir}
}

// TestAccumulationMatchesBigBatch: two micro-batches of 2 sequences give the
// same gradient as one batch of the 4 sequences.
func TestAccumulationMatchesBigBatch(t *testing.T) {
	m := tinyModel(1, 0)
	tr, err := New(m, stream(400, 1), stream(100, 2), tinyConfig(""))
	if err != nil {
		t.Fatal(err)
	}
	ids := stream(4*11, 3)
	x, y := ids[:4*10], ids[4:4*11]
	grads := func(xs, ys [][]int, B int) ([][]float32, float64) {
		tr.Opt.ZeroGrad()
		loss := tr.Gradients(xs, ys, B, 10)
		var out [][]float32
		for _, p := range m.Parameters() {
			out = append(out, append([]float32(nil), p.Grad.Data...))
		}
		return out, loss
	}
	big, l1 := grads([][]int{x}, [][]int{y}, 4)
	small, l2 := grads([][]int{x[:20], x[20:]}, [][]int{y[:20], y[20:]}, 2)
	if math.Abs(l1-l2) > 1e-5 {
		t.Errorf("loss %g vs %g", l1, l2)
	}
	rel := func(a, b [][]float32) float64 {
		worst := 0.0
		for i := range a {
			for j := range a[i] {
				worst = max(worst, math.Abs(float64(a[i][j]-b[i][j]))/(1e-3+math.Abs(float64(a[i][j]))))
			}
		}
		return worst
	}
	if worst := rel(big, small); worst > 1e-4 {
		t.Errorf("accumulated gradient differs from the big batch's by %g (relative)", worst)
	}
	// Ignored targets are not counted: masking half of one micro-batch's
	// targets still matches the big batch with the same targets masked.
	ym := append([]int(nil), y...)
	for i := 0; i < 15; i++ {
		ym[i] = autograd.IgnoreIndex
	}
	big, l1 = grads([][]int{x}, [][]int{ym}, 4)
	small, l2 = grads([][]int{x[:20], x[20:]}, [][]int{ym[:20], ym[20:]}, 2)
	if worst := rel(big, small); math.Abs(l1-l2) > 1e-5 || worst > 1e-4 {
		t.Errorf("with ignored targets: loss %g vs %g, gradients differ by %g", l1, l2, worst)
	}
}

func readAll(t *testing.T, m *gpt.Model) [][]float32 {
	t.Helper()
	var out [][]float32
	for _, p := range m.Parameters() {
		out = append(out, p.Value.Data)
	}
	return out
}

// TestResumeBitIdentical: 2N steps straight equal N steps, a resume from
// the checkpoint in a fresh process-like setup, and N more, bit for bit.
func TestResumeBitIdentical(t *testing.T) {
	dirA, dirB := t.TempDir(), t.TempDir()
	a, err := New(tinyModel(1, 0.1), stream(400, 1), stream(100, 2), tinyConfig(dirA))
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Run(); err != nil {
		t.Fatal(err)
	}
	b, _ := New(tinyModel(1, 0.1), stream(400, 1), stream(100, 2), tinyConfig(dirB))
	if err := b.RunUntil(3); err != nil {
		t.Fatal(err)
	}
	// A fresh model with a different initialisation: everything must come from the checkpoint.
	c, _ := New(tinyModel(99, 0.1), stream(400, 1), stream(100, 2), tinyConfig(dirB))
	if err := c.Resume(dirB); err != nil {
		t.Fatal(err)
	}
	if c.Step != 3 {
		t.Fatalf("resumed at step %d", c.Step)
	}
	if err := c.Run(); err != nil {
		t.Fatal(err)
	}
	wa, wc := readAll(t, a.Model), readAll(t, c.Model)
	for i := range wa {
		for j := range wa[i] {
			if math.Float32bits(wa[i][j]) != math.Float32bits(wc[i][j]) {
				t.Fatalf("parameter %d element %d: %v straight vs %v resumed", i, j, wa[i][j], wc[i][j])
			}
		}
	}
	// The resumed run's metrics file holds each step once.
	f, err := os.Open(filepath.Join(dirB, "metrics.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var steps []int
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var mt map[string]any
		if err := json.Unmarshal(sc.Bytes(), &mt); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"step", "loss", "lr", "grad_norm", "tok_s"} {
			if _, ok := mt[k]; !ok {
				t.Errorf("metrics line %s lacks %q", sc.Text(), k)
			}
		}
		steps = append(steps, int(mt["step"].(float64)))
	}
	if len(steps) != 6 || steps[5] != 6 {
		t.Errorf("metrics steps %v", steps)
	}
	for _, name := range []string{"model.safetensors", "state.safetensors", "loss.png"} {
		if _, err := os.Stat(filepath.Join(dirA, name)); err != nil {
			t.Error(err)
		}
	}
}

func TestTrainingLearns(t *testing.T) {
	cfg := tinyConfig("")
	cfg.Steps, cfg.EvalEvery, cfg.LR = 100, 0, 1e-2
	var log bytes.Buffer
	tr, err := New(tinyModel(2, 0), stream(2000, 1), stream(400, 2), cfg)
	if err != nil {
		t.Fatal(err)
	}
	tr.Progress = &log
	tr.Sample = func(m *gpt.Model, rng *rand.Rand) string { return "SAMPLE" }
	tr.Cfg.SampleEvery = 50
	if err := tr.Run(); err != nil {
		t.Fatal(err)
	}
	v := *tr.History[len(tr.History)-1].ValLoss
	if v > 1.8 { // ln 13 = 2.56 untrained; the pattern with 10 % noise has ≈ 0.6 left
		t.Errorf("validation loss %.3f after training, want < 1.8", v)
	}
	if !strings.Contains(log.String(), "ETA") || strings.Count(log.String(), "SAMPLE") != 2 {
		t.Errorf("progress/sample output:\n%s", log.String())
	}
}

func TestValidationRiseWarns(t *testing.T) {
	cfg := tinyConfig("")
	cfg.Steps = 2
	tr, _ := New(tinyModel(3, 0), stream(400, 1), stream(100, 2), cfg)
	var log bytes.Buffer
	tr.Progress = &log
	tr.BestVal = 1e-3 // pretend an earlier evaluation was far better
	if err := tr.Run(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), "warning: step 2: validation loss") {
		t.Errorf("no warning in:\n%s", log.String())
	}
}

func TestNonFiniteStops(t *testing.T) {
	m := tinyModel(4, 0)
	tr, _ := New(m, stream(400, 1), stream(100, 2), tinyConfig(""))
	m.Blocks[1].MLP.FC.Parameters()[0].Value.Data[3] = float32(math.NaN())
	err := tr.Run()
	if err == nil || !strings.Contains(err.Error(), "step 1") || !strings.Contains(err.Error(), "h.1.mlp.c_fc.weight") {
		t.Errorf("error %v does not name step 1", err)
	}
}

func TestConfigErrors(t *testing.T) {
	m := tinyModel(5, 0)
	cfg := tinyConfig("")
	cfg.SeqLen = 17
	if _, err := New(m, stream(400, 1), stream(100, 2), cfg); err == nil || !strings.Contains(err.Error(), "seq_len") {
		t.Errorf("seq_len beyond context: %v", err)
	}
	cfg = tinyConfig("")
	cfg.Batch, cfg.LR = 0, -1
	err := cfg.Validate()
	if err == nil || !strings.Contains(err.Error(), "batch") || !strings.Contains(err.Error(), "lr") {
		t.Errorf("validate: %v", err)
	}
}
