package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"unicode/utf8"

	"transformers/autograd"
	"transformers/gpt"
	"transformers/gpt/interp"
	"transformers/gpt/modeldir"
	"transformers/gpt/tokenizer"
)

// decode reads a JSON request body of at most maxJSONBody bytes into v,
// refusing unknown fields and trailing data, with errors naming the field.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxJSONBody)
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil && dec.More() {
		err = errors.New("more than one JSON value")
	}
	if err == nil {
		return nil
	}
	var mbe *http.MaxBytesError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &mbe):
		return &apiError{http.StatusRequestEntityTooLarge, fmt.Sprintf("request body: over the limit of %d bytes", mbe.Limit)}
	case errors.As(err, &te) && te.Field != "":
		field := te.Field[strings.LastIndexByte(te.Field, '.')+1:] // "sampling.temperature" → "temperature"
		return badRequest("%s: want %s, got a JSON %s", field, te.Type, te.Value)
	case errors.Is(err, io.EOF):
		return badRequest("request body: empty; want a JSON object")
	}
	return badRequest("request body: %s", strings.TrimPrefix(err.Error(), "json: "))
}

// input is the text to look at: exactly one of Text (encoded as the model
// reads a new document, see modeldir.Dir.EncodePrompt) and IDs.
type input struct {
	Text *string `json:"text"`
	IDs  []int   `json:"ids"`
}

// sampling holds the sampling controls of /api/next and /api/generate.
type sampling struct {
	Temperature float64 `json:"temperature"` // 0 is greedy
	TopK        int     `json:"top_k"`       // 0 keeps every token
	TopP        float64 `json:"top_p"`       // 1 keeps every token
	K           int     `json:"k"`           // how many of the most likely tokens to return
}

func defaultSampling() sampling { return sampling{Temperature: 1, TopP: 1, K: 10} }

func (s sampling) check(vocab int) error {
	switch {
	case !(s.Temperature >= 0 && s.Temperature <= 10):
		return badRequest("temperature must be in [0, 10] (0 is greedy), got %g", s.Temperature)
	case s.TopK < 0 || s.TopK > vocab:
		return badRequest("top_k must be in [0, %d] (0 keeps every token), got %d", vocab, s.TopK)
	case !(s.TopP > 0 && s.TopP <= 1):
		return badRequest("top_p must be in (0, 1], got %g", s.TopP)
	case s.K < 1 || s.K > 100:
		return badRequest("k must be in [1, 100], got %d", s.K)
	}
	return nil
}

func (s sampling) options() gpt.SampleOptions {
	return gpt.SampleOptions{Temperature: s.Temperature, TopK: s.TopK, TopP: s.TopP}
}

// limit is the longest sequence the server analyses for m.
func (s *Server) limit(m *Model) int { return min(s.opt.MaxTokens, m.Model.Config.Context) }

// ids resolves in to token ids for m, checking every id and the length.
func (s *Server) ids(m *Model, in input) ([]int, error) {
	var ids []int
	switch {
	case (in.Text == nil) == (in.IDs == nil):
		return nil, badRequest("give exactly one of text and ids")
	case in.Text != nil:
		if m.Tokenizer == nil {
			return nil, badRequest("text: this model has no tokenizer; send ids instead")
		}
		ids = m.EncodePrompt(*in.Text)
		if len(ids) == 0 {
			return nil, badRequest("text: empty, and the tokenizer has no end-of-text token to start from")
		}
	default:
		ids = in.IDs
		if len(ids) == 0 {
			return nil, badRequest("ids: empty; give at least one token id")
		}
		V := m.Model.Config.VocabSize
		if m.Tokenizer != nil {
			V = min(V, m.Tokenizer.VocabSize()) // a GPT-2 matrix may be padded past the tokenizer
		}
		for i, id := range ids {
			if id < 0 || id >= V {
				return nil, badRequest("ids[%d] = %d is outside the vocabulary [0, %d)", i, id, V)
			}
		}
	}
	if n := s.limit(m); len(ids) > n {
		return nil, badRequest("the text is %d tokens; at most %d fit (the model's context is %d)", len(ids), n, m.Model.Config.Context)
	}
	return ids, nil
}

// Token is one token as the page shows it.
type Token struct {
	ID      int    `json:"id"`
	Text    string `json:"text"`              // the piece, with bytes that are not UTF-8 written as \xNN
	Special bool   `json:"special,omitempty"` // <|eos|> and its kind
}

// token describes id under m's tokenizer.
func token(m *Model, id int) Token {
	if m.Tokenizer == nil || id >= m.Tokenizer.VocabSize() {
		return Token{ID: id, Text: fmt.Sprintf("#%d", id)}
	}
	// GPT-2's ids below NumSpecial are ordinary bytes; ours are <|bos|>, <|eos|>, ….
	special := id == modeldir.EOS(m.Tokenizer) || m.Kind != modeldir.KindHuggingFace && tokenizer.IsSpecial(id)
	return Token{ID: id, Text: piece(m.Tokenizer.Token(id)), Special: special}
}

// piece returns s with every byte that is not part of valid UTF-8 written
// as \xNN (a byte-level token may hold half a character).
func piece(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			fmt.Fprintf(&b, `\x%02X`, s[i])
		} else {
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

func tokens(m *Model, ids []int) []Token {
	out := make([]Token, len(ids))
	for i, id := range ids {
		out[i] = token(m, id)
	}
	return out
}

// Candidate is one token of a next-token distribution.
type Candidate struct {
	Token
	P     float64 `json:"p"`     // probability under the sampling controls (what generation draws from)
	Logit float32 `json:"logit"` // the model's raw score
}

// Distribution is a next-token distribution: the top K of what
// gpt.Distribution returns for the logits.
type Distribution struct {
	Top        []Candidate `json:"top"`
	Candidates int         `json:"candidates"` // tokens left after top-k and top-p
}

func distribution(m *Model, logits []float32, s sampling) Distribution {
	d := gpt.Distribution(logits, s.options())
	out := Distribution{Candidates: len(d)}
	for _, c := range d[:min(s.K, len(d))] {
		out.Top = append(out.Top, Candidate{token(m, c.ID), c.P, logits[c.ID]})
	}
	return out
}

// handleModel serves the model card.
func (s *Server) handleModel(w http.ResponseWriter, r *http.Request) error {
	m := s.Model()
	writeJSON(w, http.StatusOK, s.card(m))
	return nil
}

type tokenizeResponse struct {
	IDs    []int   `json:"ids"`
	Tokens []Token `json:"tokens"`
	Limit  int     `json:"limit"`
}

func (s *Server) handleTokenize(w http.ResponseWriter, r *http.Request) error {
	var in input
	m, ids, err := s.decodeInput(w, r, &in, &in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, tokenizeResponse{ids, tokens(m, ids), s.limit(m)})
	return nil
}

type nextRequest struct {
	input
	sampling
}

type nextResponse struct {
	Tokens []Token `json:"tokens"`
	Distribution
}

// decodeInput decodes req, a request carrying a text or ids (in), and
// returns the model requests see now with the text's ids, checked against it.
func (s *Server) decodeInput(w http.ResponseWriter, r *http.Request, req any, in *input) (*Model, []int, error) {
	if err := decode(w, r, req); err != nil {
		return nil, nil, err
	}
	m := s.Model()
	ids, err := s.ids(m, *in)
	if err != nil {
		return nil, nil, err
	}
	return m, ids, nil
}

// decodeSampled is decodeInput for a request that also carries sampling
// controls (sm), checked too.
func (s *Server) decodeSampled(w http.ResponseWriter, r *http.Request, req any, in *input, sm *sampling) (*Model, []int, error) {
	m, ids, err := s.decodeInput(w, r, req, in)
	if err != nil {
		return nil, nil, err
	}
	if err := sm.check(m.Model.Config.VocabSize); err != nil {
		return nil, nil, err
	}
	return m, ids, nil
}

// handleNext serves the distribution of the token after the text.
func (s *Server) handleNext(w http.ResponseWriter, r *http.Request) error {
	req := nextRequest{sampling: defaultSampling()}
	m, ids, err := s.decodeSampled(w, r, &req, &req.input, &req.sampling)
	if err != nil {
		return err
	}
	release, err := s.acquire(r.Context())
	if err != nil {
		return err
	}
	defer release()
	V := m.Model.Config.VocabSize
	lg := m.Model.Logits(autograd.NoGrad(), ids, 1, len(ids)).Value.Data
	writeJSON(w, http.StatusOK, nextResponse{tokens(m, ids), distribution(m, lg[(len(ids)-1)*V:], req.sampling)})
	return nil
}

type generateRequest struct {
	input
	sampling
	N    int    `json:"n"`
	Seed uint64 `json:"seed"`
}

// Step is one generated token with the distribution it was drawn from.
type Step struct {
	Token
	P            float64 `json:"p"` // the chosen token's probability under the sampling controls (what it was drawn with)
	Distribution `json:"distribution"`
}

type generateResponse struct {
	Prompt  []Token `json:"prompt"`
	Steps   []Step  `json:"steps"`
	Text    string  `json:"text"`    // the generated tokens decoded
	Stopped string  `json:"stopped"` // "n" (all n tokens) or "eos"
}

// handleGenerate extends the text by up to n tokens with gpt.Model.Generate
// (KV cache), keeping every step's distribution.
func (s *Server) handleGenerate(w http.ResponseWriter, r *http.Request) error {
	req := generateRequest{sampling: defaultSampling(), N: 1, Seed: s.opt.Seed}
	m, ids, err := s.decodeSampled(w, r, &req, &req.input, &req.sampling)
	if err != nil {
		return err
	}
	ctx := m.Model.Config.Context
	if room := min(maxGenerate, ctx-len(ids)); req.N < 1 || req.N > room {
		return badRequest("n must be in [1, %d] (the text is %d tokens and the context %d), got %d", max(room, 0), len(ids), ctx, req.N)
	}
	release, err := s.acquire(r.Context())
	if err != nil {
		return err
	}
	defer release()
	var steps []Step
	var full []gpt.TokenProb // the current step's whole distribution, for the chosen token's p
	eos := modeldir.EOS(m.Tokenizer)
	opt := req.options()
	out := m.Model.Generate(ids, gpt.GenerateOptions{
		SampleOptions: opt, MaxTokens: req.N, EOS: eos,
		Rng: rand.New(rand.NewPCG(req.Seed, 0)),
		OnLogits: func(z []float32) {
			full = gpt.Distribution(z, opt)
			steps = append(steps, Step{Distribution: distribution(m, z, req.sampling)})
		},
		OnToken: func(id int) {
			st := &steps[len(steps)-1]
			st.Token = token(m, id)
			for _, c := range full {
				if c.ID == id {
					st.P = c.P
				}
			}
		},
	})
	resp := generateResponse{Prompt: tokens(m, ids), Steps: steps, Stopped: "n"}
	if len(out) > 0 && out[len(out)-1] == eos {
		resp.Stopped = "eos"
	}
	if m.Tokenizer != nil {
		resp.Text = piece(m.Tokenizer.Decode(out))
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// HeadScores are one head's induction-circuit scores (interp.PreviousToken
// and interp.PrefixMatching).
type HeadScores struct {
	Layer         int      `json:"layer"`
	Head          int      `json:"head"`
	PreviousToken float64  `json:"previous_token"`
	PrefixMatch   *float64 `json:"prefix_match"` // null on a text with no repeated token
}

type attentionResponse struct {
	Tokens []Token          `json:"tokens"`
	Layers int              `json:"layers"`
	Heads  int              `json:"heads"`
	T      int              `json:"t"`
	Maps   [][][][]float32  `json:"maps"`   // [layer][head][query][key]
	Scores []HeadScores     `json:"scores"` // on this text
	Probe  probeDescription `json:"probe"`  // on repeated random sequences
}

type probeDescription struct {
	About  string       `json:"about"`
	Scores []HeadScores `json:"scores"`
}

// handleAttention serves interp.Attention for the text, every head's scores
// on it, and the model's scores on the standard repeated-sequence probe.
func (s *Server) handleAttention(w http.ResponseWriter, r *http.Request) error {
	var in input
	m, ids, err := s.decodeInput(w, r, &in, &in)
	if err != nil {
		return err
	}
	release, err := s.acquire(r.Context())
	if err != nil {
		return err
	}
	defer release()
	maps := interp.Attention(m.Model, ids)
	cfg := m.Model.Config
	resp := attentionResponse{Tokens: tokens(m, ids), Layers: cfg.Layers, Heads: cfg.Heads, T: len(ids)}
	resp.Maps = make([][][][]float32, len(maps))
	for l, heads := range maps {
		resp.Maps[l] = make([][][]float32, len(heads))
		for h, a := range heads {
			resp.Maps[l][h] = float32s(a)
			sc := HeadScores{Layer: l, Head: h}
			if len(ids) > 1 {
				sc.PreviousToken = interp.PreviousToken(a)
			}
			if p, ok := interp.PrefixMatching(a, ids); ok {
				sc.PrefixMatch = &p
			}
			resp.Scores = append(resp.Scores, sc)
		}
	}
	resp.Probe = probeDescription{About: probeAbout(cfg), Scores: m.probeScores(s.opt.Seed)}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

func float32s(a [][]float64) [][]float32 {
	out := make([][]float32, len(a))
	for i, row := range a {
		out[i] = make([]float32, len(row))
		for j, v := range row {
			out[i][j] = float32(v)
		}
	}
	return out
}

// The probe: probeSeqs random sequences of probeLen tokens (at most the
// context), each a random pattern of probeMinP…probeMaxP tokens repeated, as
// in chapter 19.
const (
	probeSeqs = 8
	probeLen  = 48
	probeMinP = 8
	probeMaxP = 16
)

func probeAbout(cfg gpt.Config) string {
	return fmt.Sprintf("mean over %d sequences of %d random tokens, each a pattern of %d–%d tokens repeated (interp.Repeats, interp.ScoreHeads)",
		probeSeqs, min(probeLen, cfg.Context), probeMinP, probeMaxP)
}

// probeScores computes interp.ScoreHeads on the probe once per model.
func (m *Model) probeScores(seed uint64) []HeadScores {
	m.probeOnce.Do(func() {
		cfg := m.Model.Config
		T := min(probeLen, cfg.Context)
		maxP := max(1, min(probeMaxP, T/2))
		seqs, _ := interp.Repeats(rand.New(rand.NewPCG(seed, 0x70726f6265)), probeSeqs, T, cfg.VocabSize, min(probeMinP, maxP), maxP)
		m.probe = interp.ScoreHeads(m.Model, seqs)
	})
	out := make([]HeadScores, len(m.probe))
	for i, sc := range m.probe {
		p := sc.PrefixMatch
		out[i] = HeadScores{Layer: sc.Layer, Head: sc.Head, PreviousToken: sc.PreviousToken, PrefixMatch: &p}
	}
	return out
}

type lensRequest struct {
	input
	K int `json:"k"`
}

// LensEntry is one (layer, position) cell of the logit lens.
type LensEntry struct {
	Token
	P float64 `json:"p"`
}

type lensResponse struct {
	Tokens []Token         `json:"tokens"`
	Layers int             `json:"layers"` // Layers+1 rows: the embeddings, then after each block
	Top    [][][]LensEntry `json:"top"`    // [layer][position][rank]
}

// handleLens serves interp.LensTop for the text.
func (s *Server) handleLens(w http.ResponseWriter, r *http.Request) error {
	req := lensRequest{K: 3}
	m, ids, err := s.decodeInput(w, r, &req, &req.input)
	if err != nil {
		return err
	}
	if req.K < 1 || req.K > 10 {
		return badRequest("k must be in [1, 10], got %d", req.K)
	}
	release, err := s.acquire(r.Context())
	if err != nil {
		return err
	}
	defer release()
	tops := interp.LensTop(m.Model, ids, req.K)
	resp := lensResponse{Tokens: tokens(m, ids), Layers: len(tops), Top: make([][][]LensEntry, len(tops))}
	for l, row := range tops {
		resp.Top[l] = make([][]LensEntry, len(row))
		for t, ranked := range row {
			for _, c := range ranked {
				resp.Top[l][t] = append(resp.Top[l][t], LensEntry{token(m, c.ID), c.P})
			}
		}
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}
