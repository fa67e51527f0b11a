package part4

import (
	"io"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"transformers/reason"
	"transformers/reason/countdown"
)

func tiny(t *testing.T, data []Example) *Trained {
	t.Helper()
	cfg := Config{Layers: 1, DModel: 16, Context: Context(Tokenizer(), data) + 8, Steps: 30, Batch: 8, LR: 1e-2, Seed: 1}
	tm, err := LoadOrTrain(io.Discard, t.TempDir(), "m", cfg, data)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

func countdownData() ([]countdown.Problem, []Example) {
	ps := countdown.Generate(rand.New(rand.NewPCG(1, 1)), countdown.Config{Count: 3, MaxNumber: 9, TargetMin: 10, TargetMax: 40, Solvable: true}, countdown.Train, 20)
	var d []Example
	for _, p := range ps {
		d = append(d, Example{p.Prompt(), p.Completion()})
	}
	return ps, d
}

func TestTrainLowersLossAndCaches(t *testing.T) {
	_, data := countdownData()
	dir := t.TempDir()
	cfg := Config{Layers: 1, DModel: 16, Context: Context(Tokenizer(), data), Steps: 40, Batch: 8, LR: 1e-2, Seed: 1}
	a, err := LoadOrTrain(io.Discard, dir, "m", cfg, data)
	if err != nil {
		t.Fatal(err)
	}
	if a.Cached || !(a.Losses[len(a.Losses)-1] < a.Losses[0]-0.5) {
		t.Errorf("loss %v → %v (cached %v): training does not learn", a.Losses[0], a.Losses[len(a.Losses)-1], a.Cached)
	}
	b, err := LoadOrTrain(io.Discard, dir, "m", cfg, data)
	if err != nil || !b.Cached {
		t.Fatalf("second run not cached: %v", err)
	}
	if !reflect.DeepEqual(a.Model.WTE.Value.Data, b.Model.WTE.Value.Data) {
		t.Error("cached weights differ")
	}
	cfg.Steps++
	c, _ := LoadOrTrain(io.Discard, dir, "m", cfg, data)
	if c.Cached {
		t.Error("a different config loaded the cached model")
	}
}

func TestBatchEqualsSample(t *testing.T) {
	_, data := countdownData()
	tm := tiny(t, data)
	s := Sampler{T: tm, MaxTokens: 12}
	prompts := []string{data[0].Prompt, data[1].Prompt}
	got := s.Batch(prompts, 2, nil)
	for i, p := range prompts {
		want := s.Sample(p, nil)
		for _, g := range got[i] {
			if g != want {
				t.Errorf("greedy batch %q, single %q", g, want)
			}
		}
	}
	st := Sampler{T: tm, MaxTokens: 12, Step: true}
	for _, o := range st.Batch(prompts, 1, nil) {
		if n := len(o[0]); n > 0 && o[0][:n-1] != reason.FirstLine(o[0]) && o[0][n-1] == '\n' {
			t.Errorf("step sampler went past a newline: %q", o[0])
		}
	}
}

func TestRolloutLabelsMatchReason(t *testing.T) {
	ps, data := countdownData()
	tm := tiny(t, data)
	s := Sampler{T: tm, MaxTokens: 20}
	var prompts []string
	var sols [][]string
	for i := range 3 {
		prompts = append(prompts, ps[i].Prompt())
		sols = append(sols, countdown.ParseSteps(data[i].Completion))
	}
	labels, calls := RolloutLabels(s, prompts, sols, func(i int, c string) bool { return ps[i].Verify(c) }, 2, nil)
	n := 0
	for i := range sols {
		want := reason.RolloutLabels(ps[i], sols[i], s, 2, nil)
		if !reflect.DeepEqual(labels[i], want) {
			t.Errorf("problem %d: batched labels %v, reason.RolloutLabels %v", i, labels[i], want)
		}
		n += 2 * len(sols[i])
	}
	if calls != n {
		t.Errorf("calls %d, want %d", calls, n)
	}
}

func TestPRMLearnsLabels(t *testing.T) {
	ps, data := countdownData()
	tm := tiny(t, data)
	// Label every gold step 1 and a corrupted step 0.
	var d []Labelled
	for i, p := range ps {
		st := countdown.ParseSteps(data[i].Completion)
		d = append(d, Labelled{Prompt: p.Prompt(), Steps: st, Labels: ones(len(st))})
		d = append(d, Labelled{Prompt: p.Prompt(), Steps: []string{"1+1=3"}, Labels: []float64{0}})
	}
	prm := TrainPRM(io.Discard, tm, d, 60, 8, 3e-3, 1)
	good := prm.StepScores(ps[0].Prompt(), countdown.ParseSteps(data[0].Completion))
	bad := prm.StepScores(ps[0].Prompt(), []string{"1+1=3"})
	if len(good) == 0 || !(good[0] > 0.7 && bad[0] < 0.3) || math.IsNaN(good[0]) {
		t.Errorf("gold step %v, corrupted step %v", good, bad)
	}
}

func ones(n int) []float64 {
	o := make([]float64, n)
	for i := range o {
		o[i] = 1
	}
	return o
}

func TestConfigValidate(t *testing.T) {
	good := Config{Layers: 1, DModel: 16, Context: 8, Steps: 1, Batch: 1, LR: 1e-3}
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, f := range []func(*Config){func(c *Config) { c.DModel = 18 }, func(c *Config) { c.LR = 0 }, func(c *Config) { c.Steps = 0 }} {
		c := good
		f(&c)
		if c.Validate() == nil {
			t.Errorf("%+v: no error", c)
		}
	}
}

func TestPairTable(t *testing.T) {
	var buf strings.Builder
	a := []bool{true, true, false, false, true}
	b := []bool{true, false, true, false, false}
	if first := PairTable(&buf, "A", "B", a, b); first != 1 {
		t.Errorf("first only-A problem = %d, want 1", first)
	}
	out := buf.String()
	for _, want := range []string{"B right 1 1", "B wrong 2 1"} {
		if !strings.Contains(strings.Join(strings.Fields(out), " "), want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if PairTable(&buf, "A", "B", []bool{false}, []bool{true}) != -1 {
		t.Error("no only-A problem should give -1")
	}
}
