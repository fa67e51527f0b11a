package part4

import (
	"math/rand/v2"
	"strings"

	"transformers/autograd"
	"transformers/gpt"
	"transformers/gpt/tokenizer"
	"transformers/reason/arith"
)

// TokenSampler is a reason.TokenSampler over a trained model: each call
// returns the text of one next token drawn at Temperature (0: greedy), or ""
// at EOS or when the text fills the context. It keeps a KV cache of the
// tokens it has already run: when the new text extends the previous one
// (as it does under budget forcing, which only appends) only the new
// tokens go through the model, so a call costs one position per layer;
// otherwise the cache is rebuilt from scratch. Not safe for concurrent use.
type TokenSampler struct {
	T           *Trained
	Temperature float64

	g     *autograd.Graph
	cache *gpt.KVCache
	ids   []int     // tokens in the cache
	last  []float32 // logits after the last cached token
	Fed   int       // tokens run through the model so far (prefill included)
}

// Next returns the next token after text.
func (s *TokenSampler) Next(text string, rng *rand.Rand) string {
	m := s.T.Model
	ids := s.T.Encode(text)
	if len(ids) == 0 || len(ids) >= m.Config.Context {
		return ""
	}
	if s.cache == nil {
		s.cache, s.g = m.NewKVCache(1), autograd.NoGrad()
	}
	n := 0
	for n < len(s.ids) && n < len(ids) && s.ids[n] == ids[n] {
		n++
	}
	if n < len(s.ids) {
		// The text does not extend the cached tokens: start again.
		s.cache.Reset()
		s.ids, s.last, n = s.ids[:0], nil, 0
	}
	if n < len(ids) {
		lg := m.Forward(s.g, ids[n:], 1, len(ids)-n, gpt.ForwardOptions{Cache: s.cache}).Logits.Value.Data
		V := m.Config.VocabSize
		s.last = append(s.last[:0], lg[(len(ids)-n-1)*V:]...)
		s.g.Reset()
		s.Fed += len(ids) - n
		s.ids = append(s.ids, ids[n:]...)
	}
	id := gpt.SampleToken(s.last, gpt.SampleOptions{Temperature: s.Temperature}, rng)
	if id == tokenizer.EOSID {
		return ""
	}
	return s.T.Tok.Token(id)
}

// ThinkMix writes every problem once as a Think trace, drawn from rng: with
// probability stop the thinker quits after k of its n scratchpad lines
// (k uniform in 0…n−1) and answers anyway (arith.ThinkStop); with
// probability wait it pauses after k lines (k uniform in 0…n) with a "Wait"
// line and then finishes (arith.ThinkWait); otherwise the full trace. A
// model trained on it sometimes wants to stop early — and has seen what
// comes after a Wait.
func ThinkMix(problems []arith.Problem, stop, wait float64, rng *rand.Rand) []Example {
	data := make([]Example, 0, len(problems))
	for _, p := range problems {
		p.Format = arith.Think
		n := len(p.GoldSteps())
		c := p.Completion()
		switch u := rng.Float64(); {
		case u < stop:
			c = p.ThinkStop(rng.IntN(n))
		case u < stop+wait:
			c = p.ThinkWait(rng.IntN(n + 1))
		}
		data = append(data, Example{Prompt: p.Prompt(), Completion: c})
	}
	return data
}

// ThinkTokens is the length in tokens of the thinking in a completion: what
// lies between "<think>" and "</think>" (to the end if never closed; the
// completion may start before "<think>" or after it). reason.Budget counts
// an inserted Wait as one thinking token; here "Wait\n" is its five.
func ThinkTokens(tok *tokenizer.Char, completion string) int {
	if _, rest, ok := strings.Cut(completion, arith.ThinkStart); ok {
		completion = rest
	}
	think, _, _ := strings.Cut(completion, arith.ThinkEnd)
	return len(tok.EncodeWithSpecials(think))
}
