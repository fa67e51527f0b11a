package part4

import (
	"io"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"transformers/reason/arith"
)

func TestStepsRight(t *testing.T) {
	p := arith.Problem{A: 478, B: 365, Op: arith.Add, Format: arith.Steps}
	gold := p.Completion()
	if !StepsRight(p, gold) {
		t.Errorf("gold %q not right", gold)
	}
	for _, c := range []string{
		strings.Replace(gold, "w4", "w5", 1),                // a wrong digit
		gold[strings.IndexByte(gold, '\n')+1:],              // a missing first line
		strings.Replace(gold, "A:", "4+3+1=8 w8 c0\nA:", 1), // an extra line
	} {
		if StepsRight(p, c) {
			t.Errorf("%q counted as right", c)
		}
	}
}

func TestHarvestKeepsOnlyVerifiedDistinct(t *testing.T) {
	ps := []arith.Problem{{A: 478, B: 365, Op: arith.Add}, {A: 12, B: 34, Op: arith.Add}, {A: 99, B: 1, Op: arith.Add}}
	gold := func(p arith.Problem) string { p.Format = arith.Steps; return p.Completion() }
	flawed := strings.Replace(gold(ps[0]), "8+5+0=13", "8+5+0=12", 1) // right answer, wrong line
	outs := [][]string{
		{gold(ps[0]), gold(ps[0]), flawed},                               // a repeat and a flawed trace
		{"1+4+0=5 w5 c0\nA:47\n", strings.Repeat("2", 5)},                // wrong answer, no answer
		{gold(ps[2]), strings.Replace(gold(ps[2]), "A:100", "A:101", 1)}, // one right, one wrong
	}
	h := harvest(ps, outs)
	if h.Sampled != 7 || h.Verified != 4 || len(h.Kept) != 3 || len(h.All) != 6 || h.Covered != 2 || h.Flawed() != 1 {
		t.Errorf("sampled %d verified %d kept %d all %d covered %d flawed %d, want 7 4 3 6 2 1",
			h.Sampled, h.Verified, len(h.Kept), len(h.All), h.Covered, h.Flawed())
	}
	for _, k := range h.Kept {
		if !k.Verified || !k.Problem.Verify(k.Completion) || k.Problem.Format != arith.Steps {
			t.Errorf("kept %+v", k)
		}
	}
	ex := Examples(h.Kept)
	if ex[0].Prompt != "478+365 steps\n" || ex[2].Completion != gold(ps[2]) {
		t.Errorf("examples %q", ex)
	}
}

func TestHarvestTracesAndCache(t *testing.T) {
	ps := arith.Generate(rand.New(rand.NewPCG(1, 1)), arith.Config{Op: arith.Add, MinDigits: 1, MaxDigits: 1}, arith.Train, 12)
	data := FormatMix(ps, arith.Steps)
	dir := t.TempDir()
	cfg := Config{Layers: 1, DModel: 16, Context: Context(Tokenizer(), data), Steps: 30, Batch: 8, LR: 1e-2, Seed: 1}
	tm, err := LoadOrTrainLog(io.Discard, dir, "m", cfg, data)
	if err != nil {
		t.Fatal(err)
	}
	again, err := LoadOrTrainLog(io.Discard, dir, "m", cfg, data)
	if err != nil || !again.Cached || !reflect.DeepEqual(again.Losses, tm.Losses) || (again.Time-tm.Time).Abs() > time.Microsecond {
		t.Errorf("cached log: cached %v, losses %v vs %v, time %v vs %v (%v)", again.Cached, again.Losses, tm.Losses, again.Time, tm.Time, err)
	}
	s := Sampler{T: tm, Temperature: 1, MaxTokens: cfg.Context}
	h, _, cached, err := LoadOrHarvest(dir, "traces", s, ps, 3, 1, 3)
	if err != nil || cached {
		t.Fatalf("first harvest cached %v, %v", cached, err)
	}
	if h.Sampled != 3*len(ps) || len(h.Kept) > len(h.All) || len(h.All) > h.Sampled || h.Verified > h.Sampled {
		t.Errorf("counts: sampled %d verified %d all %d kept %d", h.Sampled, h.Verified, len(h.All), len(h.Kept))
	}
	h2, _, cached, err := LoadOrHarvest(dir, "traces", s, ps, 3, 1, 3)
	if err != nil || !cached || !reflect.DeepEqual(h, h2) {
		t.Errorf("second harvest cached %v, equal %v, %v\n%+v\n%+v", cached, reflect.DeepEqual(h, h2), err, h, h2)
	}
	if _, _, cached, _ := LoadOrHarvest(dir, "traces", s, ps, 2, 1, 3); cached {
		t.Error("a different sample count read the cache")
	}
	ev := Evaluate(tm, ps, arith.Steps)
	if len(ev.OK) != len(ps) || len(ev.Generated) != len(ps) || ev.Tokens < 1 {
		t.Errorf("evaluate: %d results, %.1f tokens", len(ev.OK), ev.Tokens)
	}
}
