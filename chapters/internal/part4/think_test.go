package part4

import (
	"math/rand/v2"
	"strings"
	"testing"

	"transformers/gpt"
	"transformers/gpt/tokenizer"
	"transformers/reason"
	"transformers/reason/arith"
)

func thinkProblems(n int) []arith.Problem {
	return arith.Generate(rand.New(rand.NewPCG(1, 1)), arith.Config{Op: arith.Add, MinDigits: 2, MaxDigits: 3, Format: arith.Think}, arith.Train, n)
}

func TestThinkMix(t *testing.T) {
	ps := thinkProblems(400)
	data := ThinkMix(ps, 0.3, 0.2, rand.New(rand.NewPCG(1, 2)))
	if len(data) != len(ps) {
		t.Fatalf("%d examples for %d problems", len(data), len(ps))
	}
	var stop, wait int
	for i, e := range data {
		p := ps[i]
		if e.Prompt != p.Prompt() || !p.Verify(e.Completion) {
			t.Fatalf("%d: %q → %q does not verify for %s", i, e.Prompt, e.Completion, p.Question())
		}
		steps, gold := arith.ParseSteps(e.Completion), p.GoldSteps()
		switch {
		case strings.Count(e.Completion, arith.Wait+"\n") == 1:
			wait++
			if strings.Join(steps, "|") != strings.Join(gold, "|") {
				t.Errorf("%d: Wait trace %q does not finish the scratchpad", i, e.Completion)
			}
		case len(steps) < len(gold):
			stop++
		case e.Completion != p.Completion():
			t.Errorf("%d: %q is neither full, stopped nor a Wait trace", i, e.Completion)
		}
	}
	// 400 draws: 120 ± 3σ (σ ≈ 9) stop early, 80 ± 3σ (σ ≈ 8) wait.
	if stop < 93 || stop > 147 || wait < 56 || wait > 104 {
		t.Errorf("%d stopped and %d Wait traces of 400, want about 120 and 80", stop, wait)
	}
	// Round trip through the tokenizer: "Wait" survives as byte tokens.
	tok := Tokenizer()
	for _, e := range data {
		if got := tok.Decode(tok.EncodeWithSpecials(e.Completion)); got != e.Completion {
			t.Fatalf("round trip %q → %q", e.Completion, got)
		}
	}
}

func TestThinkTokens(t *testing.T) {
	tok := Tokenizer()
	p := arith.Problem{A: 478, B: 365, Op: arith.Add, Format: arith.Think}
	body := "\n" + strings.Join(p.GoldSteps(), "\n") + "\n"
	if got, want := ThinkTokens(tok, p.Completion()), len(body); got != want {
		t.Errorf("gold: %d thinking tokens, want %d", got, want)
	}
	// Without the opening marker (a budget-forced completion) and unclosed.
	if got := ThinkTokens(tok, "\n8+5"); got != 4 {
		t.Errorf("unclosed: %d, want 4", got)
	}
	// A Wait line is five tokens.
	if got := ThinkTokens(tok, p.ThinkWait(1)) - ThinkTokens(tok, p.Completion()); got != 5 {
		t.Errorf("a Wait line adds %d tokens, want 5", got)
	}
}

// The cached TokenSampler, driven one token at a time, writes exactly what
// Model.Generate writes greedily — also after the text stops extending the
// cache (a rebuild) and when a Wait is spliced in.
func TestTokenSamplerMatchesGenerate(t *testing.T) {
	ps := thinkProblems(30)
	data := ThinkMix(ps, 0.3, 0.2, rand.New(rand.NewPCG(1, 2)))
	tm := tiny(t, data)
	s := &TokenSampler{T: tm}
	ref := func(text string, n int) string {
		ids := tm.Model.Generate(tm.Encode(text), gpt.GenerateOptions{MaxTokens: n, EOS: tokenizer.EOSID})
		if k := len(ids); k > 0 && ids[k-1] == tokenizer.EOSID {
			ids = ids[:k-1]
		}
		return tm.Tok.Decode(ids)
	}
	walk := func(text string, n int) string {
		out := ""
		for range n {
			tok := s.Next(text+out, nil)
			if tok == "" {
				break
			}
			out += tok
		}
		return out
	}
	for _, p := range ps[:3] {
		prompt := p.Prompt() + arith.ThinkStart
		if got, want := walk(prompt, 20), ref(prompt, 20); got != want {
			t.Errorf("%s: sampler %q, Generate %q", p.Question(), got, want)
		}
		spliced := prompt + "\n" + arith.Wait + "\n"
		if got, want := walk(spliced, 10), ref(spliced, 10); got != want {
			t.Errorf("%s after Wait: sampler %q, Generate %q", p.Question(), got, want)
		}
	}
	fed := s.Fed
	// Extending the text by a token the model just wrote costs one position.
	text := ps[0].Prompt() + arith.ThinkStart
	s.Next(text, nil)
	before := s.Fed
	s.Next(text+s.Next(text, nil), nil)
	if s.Fed != before+1 || fed >= before {
		t.Errorf("fed %d then %d tokens, want one more after extending by one token", before, s.Fed)
	}
	// A full context stops the sampler.
	if got := s.Next(strings.Repeat("1", tm.Model.Config.Context), nil); got != "" {
		t.Errorf("full context: %q, want \"\"", got)
	}
	var _ reason.TokenSampler = s
}
