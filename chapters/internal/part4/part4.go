// Package part4 holds what the chapter programs of Part 4 (25–33) share:
// the character tokenizer of the reasoning tasks, training a tiny GPT on
// prompt → completion pairs with the loss on the completion only, caching
// the trained model in the chapter's folder, and samplers that turn the
// model into a reason.Sampler (whole completions or one step at a time)
// or answer many prompts in one batched pass.
package part4

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"

	"transformers/autograd"
	"transformers/chapters/internal/show"
	"transformers/gpt"
	"transformers/gpt/tokenizer"
	"transformers/nn"
	"transformers/reason/arith"
)

// Alphabet is every character the arithmetic and countdown prompts and
// completions use; "<think>" and "</think>" are special tokens.
const Alphabet = arith.Alphabet + "NT"

// Tokenizer returns the character tokenizer over Alphabet.
func Tokenizer() *tokenizer.Char { return tokenizer.NewChar(Alphabet) }

// Example is one training pair: the model learns to write Completion (and
// then stop) after Prompt.
type Example struct{ Prompt, Completion string }

// Config sets the model and the training run.
type Config struct {
	Layers, DModel, Context int
	Steps, Batch            int
	LR                      float64
	Seed                    uint64
}

// Validate reports the first bad value, naming its flag.
func (c Config) Validate() error {
	for _, p := range []struct {
		name string
		v    int
	}{{"layers", c.Layers}, {"d-model", c.DModel}, {"context", c.Context}, {"steps", c.Steps}, {"batch", c.Batch}} {
		if p.v < 1 {
			return fmt.Errorf("-%s %d: must be at least 1", p.name, p.v)
		}
	}
	if c.DModel%4 != 0 {
		return fmt.Errorf("-d-model %d must be divisible by the 4 heads", c.DModel)
	}
	if !(c.LR > 0) || math.IsInf(c.LR, 1) {
		return fmt.Errorf("-lr %g: must be positive", c.LR)
	}
	return nil
}

// Trained is a model trained on examples, with its tokenizer and the
// training losses.
type Trained struct {
	Model  *gpt.Model
	Tok    *tokenizer.Char
	Losses []float64 // mean completion-token loss of each update
	Cached bool      // loaded from the cache instead of trained
	Time   time.Duration
}

// Encode returns the token ids of a prompt or completion (think markers
// become their special ids).
func (t *Trained) Encode(s string) []int { return t.Tok.EncodeWithSpecials(s) }

// key is a digest of everything that determines the trained weights.
func key(cfg Config, data []Example) string {
	h := sha256.New()
	b, _ := json.Marshal(cfg)
	h.Write(b)
	for _, e := range data {
		fmt.Fprintf(h, "%q%q", e.Prompt, e.Completion)
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// LoadOrTrain returns the model trained on data under cfg: read from
// dir/name.safetensors when a previous run saved it with the same config
// and data (a digest in its metadata), otherwise trained (progress lines
// to w) and saved there. dir "" never caches.
func LoadOrTrain(w io.Writer, dir, name string, cfg Config, data []Example) (*Trained, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if len(data) == 0 {
		return nil, fmt.Errorf("%s: no training examples", name)
	}
	tok := Tokenizer()
	k := key(cfg, data)
	path := filepath.Join(dir, name+".safetensors")
	if dir != "" {
		if m, meta, err := gpt.Load(path); err == nil && meta["part4_key"] == k {
			fmt.Fprintf(w, "loaded the trained model from %s (same config and data)\n", path)
			return &Trained{Model: m, Tok: tok, Cached: true}, nil
		}
	}
	t0 := time.Now()
	tr := Train(w, tok, cfg, data)
	tr.Time = time.Since(t0)
	if dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
		if err := tr.Model.Save(path, map[string]string{"part4_key": k}); err != nil {
			return nil, err
		}
		fmt.Fprintf(w, "saved the trained model to %s (the next run loads it)\n", path)
	}
	return tr, nil
}

// Train trains a fresh GPT (4 heads, learned positions) on data: each
// update draws Batch examples, packs prompt ++ completion ++ EOS to the
// longest in the batch, and minimises the cross-entropy of the completion
// and EOS tokens only (prompt and padding targets are ignored), with AdamW,
// a warm-up of Steps/10 and a cosine decay to LR/10, clipping at norm 1.
// A progress line goes to w every Steps/5 updates.
func Train(w io.Writer, tok *tokenizer.Char, cfg Config, data []Example) *Trained {
	rng := rand.New(rand.NewPCG(cfg.Seed, 41))
	mc := gpt.DefaultConfig(tok.VocabSize())
	mc.Context, mc.Layers, mc.DModel, mc.DFF, mc.Heads = cfg.Context, cfg.Layers, cfg.DModel, 4*cfg.DModel, 4
	m := gpt.New(mc, rng)
	params := m.Parameters()
	opt := nn.NewAdamW(nn.DecayGroups(params, 0.01), cfg.LR)
	opt.Beta2 = 0.98
	sched := nn.WarmupCosine(cfg.LR, cfg.LR/10, max(1, cfg.Steps/10), cfg.Steps)
	enc := make([][2][]int, len(data))
	for i, e := range data {
		c := append(tok.EncodeWithSpecials(e.Completion), tokenizer.EOSID)
		enc[i] = [2][]int{tok.EncodeWithSpecials(e.Prompt), c}
	}
	g := autograd.New()
	tr := &Trained{Model: m, Tok: tok}
	every := max(1, cfg.Steps/5)
	t0 := time.Now()
	for step := range cfg.Steps {
		opt.SetLR(sched(step))
		opt.ZeroGrad()
		idx := make([]int, cfg.Batch)
		T := 0
		for b := range idx {
			idx[b] = rng.IntN(len(enc))
			T = max(T, len(enc[idx[b]][0])+len(enc[idx[b]][1])-1)
		}
		T = min(T, cfg.Context)
		x, y := make([]int, cfg.Batch*T), make([]int, cfg.Batch*T)
		for b, i := range idx {
			seq := append(append([]int{}, enc[i][0]...), enc[i][1]...)
			np := len(enc[i][0])
			for t := range T {
				x[b*T+t], y[b*T+t] = tokenizer.PADID, autograd.IgnoreIndex
				if t < len(seq) {
					x[b*T+t] = seq[t]
				}
				if t+1 < len(seq) && t+1 >= np {
					y[b*T+t] = seq[t+1]
				}
			}
		}
		g.Reset()
		out := m.Forward(g, x, cfg.Batch, T, gpt.ForwardOptions{})
		loss := g.CrossEntropy(out.Logits, y, nil)
		g.Backward(loss)
		nn.ClipGradNorm(params, 1)
		opt.Step()
		l := float64(loss.Value.Data[0])
		tr.Losses = append(tr.Losses, l)
		if (step+1)%every == 0 || step+1 == cfg.Steps {
			fmt.Fprintf(w, "  update %4d/%d  completion loss %.4f  (%.0f s)\n", step+1, cfg.Steps, l, time.Since(t0).Seconds())
		}
	}
	g.Reset()
	return tr
}

// Sampler is a reason.Sampler over the trained model: it continues a
// prompt at Temperature (0: greedy) for at most MaxTokens tokens, stopping
// at EOS, or at the end of the first line when Step is set (a step sampler
// for tree search, whose result is one step line).
type Sampler struct {
	T           *Trained
	Temperature float64
	MaxTokens   int
	Step        bool
}

// Sample generates one completion (one model call).
func (s Sampler) Sample(prompt string, rng *rand.Rand) string {
	ids := s.T.Encode(prompt)
	if len(ids) >= s.T.Model.Config.Context {
		return "" // no room left to write
	}
	return s.decode(s.T.Model.Generate(ids, s.options(rng)))
}

func (s Sampler) options(rng *rand.Rand) gpt.GenerateOptions {
	eos := tokenizer.EOSID
	if s.Step {
		eos = s.T.Tok.Encode("\n")[0]
	}
	return gpt.GenerateOptions{SampleOptions: gpt.SampleOptions{Temperature: s.Temperature}, MaxTokens: s.MaxTokens, EOS: eos, Rng: rng}
}

func (s Sampler) decode(ids []int) string {
	if n := len(ids); n > 0 && ids[n-1] == tokenizer.EOSID {
		ids = ids[:n-1]
	}
	return s.T.Tok.Decode(ids)
}

// Batch generates n completions of every prompt in batched passes of at
// most 64 rows (n·len(prompts) model calls): out[i][j] is sample j of
// prompt i. Samples are drawn from rng in row order. A prompt that fills
// the model's context gets empty completions.
func (s Sampler) Batch(prompts []string, n int, rng *rand.Rand) [][]string {
	var rows [][]int
	var at []int // index into outs of each generated row
	outs := make([]string, len(prompts)*n)
	for i, p := range prompts {
		ids := s.T.Encode(p)
		if len(ids) >= s.T.Model.Config.Context {
			continue
		}
		for j := range n {
			rows, at = append(rows, ids), append(at, i*n+j)
		}
	}
	for i := 0; i < len(rows); i += 64 {
		for j, ids := range s.T.Model.GenerateBatch(rows[i:min(i+64, len(rows))], s.options(rng)) {
			outs[at[i+j]] = s.decode(ids)
		}
	}
	res := make([][]string, len(prompts))
	for i := range prompts {
		res[i] = outs[i*n : (i+1)*n]
	}
	return res
}

// Pct formats a fraction as a percentage with one decimal.
func Pct(x float64) string { return fmt.Sprintf("%.1f %%", 100*x) }

// Trim shortens s to its first line plus an ellipsis, for tables.
func Trim(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 && i < len(s)-1 {
		return s[:i] + " …"
	}
	return strings.TrimSpace(s)
}

// FormatMix writes every problem in each of the given formats: the training
// set of a model whose prompt trigger selects the format.
func FormatMix(problems []arith.Problem, formats ...arith.Format) []Example {
	var data []Example
	for _, p := range problems {
		for _, f := range formats {
			p.Format = f
			data = append(data, Example{Prompt: p.Prompt(), Completion: p.Completion()})
		}
	}
	return data
}

// Context is the longest prompt ++ completion ++ EOS in data, in tokens.
func Context(tok *tokenizer.Char, data []Example) int {
	n := 0
	for _, e := range data {
		n = max(n, len(tok.EncodeWithSpecials(e.Prompt))+len(tok.EncodeWithSpecials(e.Completion))+1)
	}
	return n
}

// Frac is the share of true values (0 for none).
func Frac(b []bool) float64 {
	n := 0
	for _, x := range b {
		if x {
			n++
		}
	}
	return float64(n) / float64(max(1, len(b)))
}

// PairTable prints, problem by problem, how two methods' results agree: a
// 2×2 table of counts with a's outcome across and b's down. It returns the
// index of the first problem only a got right (−1 if there is none), for an
// example.
func PairTable(w io.Writer, a, b string, aOK, bOK []bool) int {
	if len(aOK) != len(bOK) {
		panic(fmt.Sprintf("part4.PairTable: %d results for %s, %d for %s", len(aOK), a, len(bOK), b))
	}
	var both, onlyA, onlyB, none int
	first := -1
	for i := range aOK {
		switch {
		case aOK[i] && bOK[i]:
			both++
		case aOK[i]:
			onlyA++
			if first < 0 {
				first = i
			}
		case bOK[i]:
			onlyB++
		default:
			none++
		}
	}
	show.Table(w, []string{"", a + " right", a + " wrong"}, [][]string{
		{b + " right", fmt.Sprint(both), fmt.Sprint(onlyB)},
		{b + " wrong", fmt.Sprint(onlyA), fmt.Sprint(none)},
	})
	return first
}
