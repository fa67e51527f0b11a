package gpt

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"transformers/autograd"
)

// SampleOptions chooses how the next token is drawn from logits z.
type SampleOptions struct {
	// Temperature divides the logits before the softmax; 0 means greedy
	// (argmax, ties to the lowest id).
	Temperature float64
	// TopK keeps only the K most likely tokens (0: all).
	TopK int
	// TopP keeps the smallest set of most likely tokens whose probability
	// reaches P (nucleus sampling; 0 or 1: all).
	TopP float64
}

// SampleToken draws a token id from logits [V] under opt, using rng. With
// p = softmax(z/Temperature) restricted to the top-k tokens and then to the
// nucleus of mass TopP (renormalised), it returns id i with probability p_i.
// rng may be nil when Temperature is 0.
func SampleToken(logits []float32, opt SampleOptions, rng *rand.Rand) int {
	if opt.Temperature <= 0 {
		return argmax(logits)
	}
	cs, sum := candidates(logits, opt)
	u := rng.Float64() * sum
	for _, c := range cs {
		u -= c.P
		if u < 0 {
			return c.ID
		}
	}
	return cs[len(cs)-1].ID
}

// TokenProb is one token of a sampling distribution.
type TokenProb struct {
	ID int
	P  float64
}

// Distribution returns the distribution SampleToken draws from: the tokens
// it can return, most likely first (ties by id), with their probabilities
// (summing to 1). With Temperature 0 it is the argmax alone, with P = 1.
func Distribution(logits []float32, opt SampleOptions) []TokenProb {
	if opt.Temperature <= 0 {
		return []TokenProb{{argmax(logits), 1}}
	}
	cs, sum := candidates(logits, opt)
	for i := range cs {
		cs[i].P /= sum
	}
	return cs
}

// argmax returns the index of the largest logit, ties to the lowest id.
func argmax(logits []float32) int {
	best := 0
	for i, v := range logits {
		if v > logits[best] {
			best = i
		}
	}
	return best
}

// candidates returns the tokens SampleToken chooses among at a positive
// temperature, sorted by descending logit (ties by id), with unnormalised
// weights exp((z_i − max z)/T) and their sum.
func candidates(logits []float32, opt SampleOptions) ([]TokenProb, float64) {
	mx := slices.Max(logits)
	cs := make([]TokenProb, len(logits))
	for i, v := range logits {
		cs[i] = TokenProb{i, float64(v-mx) / opt.Temperature}
	}
	// Sort by descending logit, ties by id, so the draw is deterministic.
	slices.SortStableFunc(cs, func(a, b TokenProb) int {
		if a.P > b.P {
			return -1
		}
		if a.P < b.P {
			return 1
		}
		return 0
	})
	if opt.TopK > 0 && opt.TopK < len(cs) {
		cs = cs[:opt.TopK]
	}
	sum := 0.0
	for i := range cs {
		cs[i].P = math.Exp(cs[i].P)
		sum += cs[i].P
	}
	if opt.TopP > 0 && opt.TopP < 1 {
		acc := 0.0
		for i := range cs {
			acc += cs[i].P / sum
			if acc >= opt.TopP {
				cs = cs[:i+1]
				break
			}
		}
		sum = 0
		for _, c := range cs {
			sum += c.P
		}
	}
	return cs, sum
}

// GenerateOptions configures Model.Generate.
type GenerateOptions struct {
	SampleOptions
	MaxTokens int        // tokens to generate at most
	EOS       int        // stop after generating this id; −1 never stops early
	Rng       *rand.Rand // draws the samples (nil only for greedy decoding)
	NoCache   bool       // recompute the whole prefix every step (for comparison)
	// OnToken, if non-nil, is called with each generated token (streaming).
	OnToken func(id int)
	// OnLogits, if non-nil, is called before each draw with the logits [V]
	// the token is drawn from (valid only during the call).
	OnLogits func(logits []float32)
}

// Generate continues prompt (at least one token) and returns the generated
// tokens (ending with EOS if it was produced). With the KV cache each step
// runs one position through the model; without it each step reruns the
// last Context tokens. When a learned-position model fills its context, the
// cache is rebuilt from the last Context/2 tokens (the uncached path slides
// a full window instead, so their outputs can differ after that point).
func (m *Model) Generate(prompt []int, opt GenerateOptions) []int {
	if len(prompt) == 0 {
		panic("gpt.Generate: empty prompt")
	}
	ctx := m.Config.Context
	seq := slices.Clone(prompt)
	if len(seq) > ctx {
		seq = seq[len(seq)-ctx:]
	}
	var out []int
	g := autograd.NoGrad()
	var cache *KVCache
	if !opt.NoCache {
		cache = m.NewKVCache(1)
	}
	pending := seq // tokens not yet in the cache
	for len(out) < opt.MaxTokens {
		var last []float32
		if cache != nil {
			if cache.Len+len(pending) > ctx {
				cache.Reset()
				pending = seq[len(seq)-ctx/2:]
			}
			lg := m.Forward(g, pending, 1, len(pending), ForwardOptions{Cache: cache}).Logits
			V := m.Config.VocabSize
			last = lg.Value.Data[(len(pending)-1)*V:]
		} else {
			win := seq
			if len(win) > ctx {
				win = win[len(win)-ctx:]
			}
			lg := m.Forward(g, win, 1, len(win), ForwardOptions{}).Logits
			V := m.Config.VocabSize
			last = lg.Value.Data[(len(win)-1)*V:]
		}
		g.Reset()
		if opt.OnLogits != nil {
			opt.OnLogits(last)
		}
		id := SampleToken(last, opt.SampleOptions, opt.Rng)
		out = append(out, id)
		seq = append(seq, id)
		pending = seq[len(seq)-1:]
		if opt.OnToken != nil {
			opt.OnToken(id)
		}
		if id == opt.EOS {
			break
		}
	}
	return out
}

// Speedup is one KV-cache timing: generating Tokens tokens greedily with
// and without the cache.
type Speedup struct {
	Tokens           int
	Cached, Uncached time.Duration
	Same             bool // the two runs produced the same tokens
}

// Ratio returns Uncached/Cached.
func (s Speedup) Ratio() float64 { return float64(s.Uncached) / float64(s.Cached) }

// String formats the timing as one line for a table.
func (s Speedup) String() string {
	return fmt.Sprintf("%4d tokens: cached %v, uncached %v, speed-up %.1f× (same tokens: %v)",
		s.Tokens, s.Cached.Round(time.Millisecond), s.Uncached.Round(time.Millisecond), s.Ratio(), s.Same)
}

// MeasureKVCache times greedy generation of n tokens after prompt with and
// without the KV cache (n + len(prompt) should fit the context).
func (m *Model) MeasureKVCache(prompt []int, n int) Speedup {
	opt := GenerateOptions{MaxTokens: n, EOS: -1}
	t0 := time.Now()
	a := m.Generate(prompt, opt)
	t1 := time.Now()
	opt.NoCache = true
	b := m.Generate(prompt, opt)
	t2 := time.Now()
	return Speedup{Tokens: n, Cached: t1.Sub(t0), Uncached: t2.Sub(t1), Same: slices.Equal(a, b)}
}

// GenerateBatch continues several prompts together: one forward pass per
// step serves the whole batch through a shared KV cache. Prompts may differ
// in length and need no padding: the batch starts after the shortest prompt,
// and a row whose prompt is longer keeps reading its own next prompt token
// (its sample is discarded) until its prompt is used up, so every row sees
// exactly its own tokens at its own positions and its output equals
// Generate's for that prompt with the same draws. A row stops at EOS; the
// batch stops when every row has stopped, has MaxTokens tokens, or the
// context is full. Samples are drawn from opt.Rng row by row in order.
// The result holds each row's generated tokens.
func (m *Model) GenerateBatch(prompts [][]int, opt GenerateOptions) [][]int {
	B := len(prompts)
	if B == 0 {
		return nil
	}
	minLen, maxLen := len(prompts[0]), 0
	for i, p := range prompts {
		if len(p) == 0 {
			panic(fmt.Sprintf("gpt.GenerateBatch: prompt %d is empty", i))
		}
		minLen, maxLen = min(minLen, len(p)), max(maxLen, len(p))
	}
	ctx, V := m.Config.Context, m.Config.VocabSize
	if maxLen > ctx {
		panic(fmt.Sprintf("gpt.GenerateBatch: a prompt of %d tokens exceeds the context %d", maxLen, ctx))
	}
	out := make([][]int, B)
	done := make([]bool, B)
	cache := m.NewKVCache(B)
	g := autograd.NoGrad()
	// Prefill the common prefix length.
	ids := make([]int, 0, B*minLen)
	for _, p := range prompts {
		ids = append(ids, p[:minLen]...)
	}
	T := minLen
	for {
		lg := m.Forward(g, ids, B, T, ForwardOptions{Cache: cache}).Logits.Value
		g.Reset()
		pos := cache.Len // the position of the token chosen now
		next := make([]int, B)
		active := false
		for b, p := range prompts {
			if pos < len(p) {
				next[b] = p[pos] // still reading the prompt
				active = true
				continue
			}
			if done[b] {
				next[b] = p[len(p)-1] // any valid id: the row's output is ignored
				continue
			}
			row := lg.Data[((b+1)*T-1)*V : (b+1)*T*V]
			id := SampleToken(row, opt.SampleOptions, opt.Rng)
			out[b] = append(out[b], id)
			next[b] = id
			if id == opt.EOS || len(out[b]) >= opt.MaxTokens {
				done[b] = true
			} else {
				active = true
			}
		}
		if !active || cache.Len >= ctx {
			return out
		}
		ids, T = next, 1
	}
}
