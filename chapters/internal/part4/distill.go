package part4

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/gob"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"transformers/reason/arith"
)

// Trace is one worked solution a teacher wrote for a problem.
type Trace struct {
	Problem    arith.Problem // asked in the Steps format
	Completion string
	Verified   bool // the final answer is exactly right
	StepsRight bool // every scratchpad line equals the gold line, none missing or extra
}

// Harvest is the outcome of rejection sampling: how many traces were
// drawn and how many had a verified final answer, every distinct trace of
// each problem (All) and the verified ones kept for distillation (Kept).
type Harvest struct {
	Sampled, Verified int
	All, Kept         []Trace
	Covered           int // problems with at least one kept trace
}

// Flawed counts kept traces whose final answer is right although some
// scratchpad line is wrong: what a final-answer filter lets through.
func (h Harvest) Flawed() int {
	n := 0
	for _, t := range h.Kept {
		if !t.StepsRight {
			n++
		}
	}
	return n
}

// Examples are traces as training pairs (prompt with the steps trigger →
// the teacher's completion).
func Examples(traces []Trace) []Example {
	ex := make([]Example, len(traces))
	for i, t := range traces {
		ex[i] = Example{Prompt: t.Problem.Prompt(), Completion: t.Completion}
	}
	return ex
}

// HarvestTraces asks the teacher s for n worked solutions of each problem
// (in the Steps format) and keeps those whose final answer the exact
// verifier accepts, each distinct completion once per problem. The
// verifier needs only the problem's final answer, never a gold trace: this
// is rejection sampling, the filter behind STaR-style self-training and
// behind distilling a large model's reasoning into a small one.
func HarvestTraces(s Sampler, problems []arith.Problem, n int, rng *rand.Rand) Harvest {
	prompts := make([]string, len(problems))
	for i, p := range problems {
		p.Format = arith.Steps
		prompts[i] = p.Prompt()
	}
	return harvest(problems, s.Batch(prompts, n, rng))
}

// harvest grades outs[i], the samples of problems[i].
func harvest(problems []arith.Problem, outs [][]string) Harvest {
	var h Harvest
	for i, p := range problems {
		p.Format = arith.Steps
		seen := map[string]bool{}
		covered := false
		for _, c := range outs[i] {
			h.Sampled++
			ok := p.Verify(c)
			if ok {
				h.Verified++
			}
			if seen[c] {
				continue
			}
			seen[c] = true
			t := Trace{Problem: p, Completion: c, Verified: ok, StepsRight: StepsRight(p, c)}
			h.All = append(h.All, t)
			if ok {
				h.Kept = append(h.Kept, t)
				covered = true
			}
		}
		if covered {
			h.Covered++
		}
	}
	return h
}

// StepsRight reports whether completion's scratchpad equals p's gold
// scratchpad line for line.
func StepsRight(p arith.Problem, completion string) bool {
	st := arith.ParseSteps(completion)
	if len(st) != len(p.GoldSteps()) {
		return false
	}
	for _, l := range p.CheckSteps(st) {
		if !l {
			return false
		}
	}
	return true
}

// Eval is a model's greedy result on held-out problems in one format.
type Eval struct {
	OK        []bool  // final answer verified, per problem
	Tokens    float64 // mean tokens generated per answer, end token included
	Generated []string
	Time      time.Duration
}

// Evaluate answers every problem greedily in format f (at most the model's
// context in new tokens) and verifies each final answer.
func Evaluate(t *Trained, problems []arith.Problem, f arith.Format) Eval {
	prompts := make([]string, len(problems))
	for i, p := range problems {
		p.Format = f
		prompts[i] = p.Prompt()
	}
	t0 := time.Now()
	outs := Sampler{T: t, MaxTokens: t.Model.Config.Context}.Batch(prompts, 1, nil)
	e := Eval{Time: time.Since(t0)}
	n := 0
	for i, p := range problems {
		c := outs[i][0]
		e.Generated = append(e.Generated, c)
		e.OK = append(e.OK, p.Verify(c))
		n += len(t.Encode(c)) + 1
	}
	e.Tokens = float64(n) / float64(max(1, len(problems)))
	return e
}

// trainLog is what LoadOrTrainLog keeps beside a cached model.
type trainLog struct {
	Key     string    `json:"key"`
	Losses  []float64 `json:"losses"`
	Seconds float64   `json:"seconds"`
}

// LoadOrTrainLog is LoadOrTrain that also keeps the training losses and
// time in dir/name.json, so a run that loads the cached model can still
// draw its loss curve and report how long it took to train.
func LoadOrTrainLog(w io.Writer, dir, name string, cfg Config, data []Example) (*Trained, error) {
	tm, err := LoadOrTrain(w, dir, name, cfg, data)
	if err != nil || dir == "" {
		return tm, err
	}
	k := key(cfg, data)
	path := filepath.Join(dir, name+".json")
	if tm.Cached {
		var l trainLog
		if b, err := os.ReadFile(path); err == nil && json.Unmarshal(b, &l) == nil && l.Key == k {
			tm.Losses, tm.Time = l.Losses, time.Duration(l.Seconds*float64(time.Second))
		}
		return tm, nil
	}
	b, err := json.Marshal(trainLog{Key: k, Losses: tm.Losses, Seconds: tm.Time.Seconds()})
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return nil, fmt.Errorf("training log: %w", err)
	}
	return tm, nil
}

// harvestFile is what LoadOrHarvest keeps in dir/name.gob (gob, not
// JSON: a sampled completion need not be valid UTF-8).
type harvestFile struct {
	Key     string
	Seconds float64
	Harvest Harvest
}

// LoadOrHarvest is HarvestTraces (with the generator PCG(seed, stream))
// cached in dir/name.gob: a later run with the same teacher weights,
// sampler settings, problems, n and seed reads the traces back instead of
// sampling again. It returns the harvest, the sampling time (of the run
// that sampled) and whether it came from the cache. dir "" never caches.
func LoadOrHarvest(dir, name string, s Sampler, problems []arith.Problem, n int, seed, stream uint64) (Harvest, time.Duration, bool, error) {
	h := sha256.New()
	for _, p := range s.T.Model.Parameters() {
		b := make([]byte, 4*len(p.Value.Data))
		for i, v := range p.Value.Data {
			binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
		}
		h.Write(b)
	}
	fmt.Fprintf(h, "%v %d %v %d %d %d", s.Temperature, s.MaxTokens, s.Step, n, seed, stream)
	for _, p := range problems {
		fmt.Fprintf(h, " %s", p.Question())
	}
	k := hex.EncodeToString(h.Sum(nil))[:16]
	path := filepath.Join(dir, name+".gob")
	if dir != "" {
		var f harvestFile
		if b, err := os.ReadFile(path); err == nil && gob.NewDecoder(bytes.NewReader(b)).Decode(&f) == nil && f.Key == k {
			return f.Harvest, time.Duration(f.Seconds * float64(time.Second)), true, nil
		}
	}
	t0 := time.Now()
	hv := HarvestTraces(s, problems, n, rand.New(rand.NewPCG(seed, stream)))
	d := time.Since(t0)
	if dir == "" {
		return hv, d, false, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return hv, d, false, err
	}
	var b bytes.Buffer
	err := gob.NewEncoder(&b).Encode(harvestFile{Key: k, Seconds: d.Seconds(), Harvest: hv})
	if err == nil {
		err = os.WriteFile(path, b.Bytes(), 0o644)
	}
	return hv, d, false, err
}
