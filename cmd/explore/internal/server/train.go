package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"transformers/gpt"
	"transformers/gpt/corpus"
	"transformers/gpt/modeldir"
	"transformers/gpt/tokenizer"
	"transformers/gpt/train"
)

// Training limits and the tiny recipe's fixed sizes.
const (
	MaxTrainSteps   = 2000    // the longest run the page may start
	TinyCorpusBytes = 200_000 // bytes of the built-in corpus a tiny model trains on
	tinyVocab       = 512     // BPE vocabulary: 264 specials and bytes, 248 merges
	tinyContext     = 64      // positions, and the training window
	evalEvery       = 10      // steps between validation passes (and stop checks)
)

// KindTrained is the modeldir kind of a model trained by the explorer.
const KindTrained = "trained in the explorer"

// Tiny is the recipe of the tiny GPT the explorer trains from scratch: a
// byte-level BPE of tinyVocab ids learned from the training text, 2 layers,
// 4 heads, d_model 48, context 64 (77 k parameters), AdamW at 1e-2 with a
// 10-step warm-up and a cosine to 1e-3, batches of 8×64 tokens. On two cores
// 200 steps take about three seconds and reach a validation loss near 1.7
// nats/token on the built-in corpus (unigram baseline 4.7).
type Tiny struct {
	Text  string // training text; "" trains on TinyCorpusBytes of the built-in corpus
	About string // where Text came from, for the model card ("upload notes.txt")
	Steps int    // optimizer steps, in [1, MaxTrainSteps]
	Seed  uint64 // initialisation and batches
}

// TinyConfig is the tiny recipe's model for a vocabulary of the given size.
func TinyConfig(vocab int) gpt.Config {
	c := gpt.DefaultConfig(vocab)
	c.Context, c.Layers, c.Heads, c.DModel, c.DFF = tinyContext, 2, 4, 48, 192
	return c
}

func (t Tiny) trainConfig() train.Config {
	return train.Config{
		Steps: t.Steps, Batch: 8, Accum: 1, SeqLen: tinyContext, LR: 1e-2, MinLR: 1e-3, Warmup: min(10, t.Steps),
		WeightDecay: 0.1, Clip: 1, EvalEvery: evalEvery, EvalBatches: 2, Seed: t.Seed,
	}
}

// tinyData is a recipe's tokenizer and token streams.
type tinyData struct {
	tk         *tokenizer.BPE
	train, val []int
	baseline   float64 // unigram entropy of the validation tokens
	documents  bool    // the text is the built-in corpus: stories end with <|eos|>
	about      string
}

// data tokenizes the recipe's text: the built-in corpus split by whole
// stories (each ending with <|eos|>), or a text split at 90 %.
func (t Tiny) data() (*tinyData, error) {
	if t.Steps < 1 || t.Steps > MaxTrainSteps {
		return nil, badRequest("steps must be in [1, %d], got %d", MaxTrainSteps, t.Steps)
	}
	d := &tinyData{about: t.About}
	var trainText, valText string
	if t.Text == "" {
		trainText, valText = corpus.Split(corpus.Corpus(corpus.DefaultSeed, TinyCorpusBytes), corpus.DefaultValFraction)
		d.documents = true
		if d.about == "" {
			d.about = fmt.Sprintf("the built-in corpus (%d kB of stories)", TinyCorpusBytes/1000)
		}
	} else {
		cut := len(t.Text) * 9 / 10
		for cut < len(t.Text) && !utf8.RuneStart(t.Text[cut]) {
			cut++
		}
		trainText, valText = t.Text[:cut], t.Text[cut:]
	}
	tk, err := tokenizer.TrainBPE(trainText, tinyVocab)
	if err != nil {
		return nil, err
	}
	d.tk = tk
	encode := func(s string) []int {
		if !d.documents {
			return tk.Encode(s)
		}
		var ids []int
		for _, st := range corpus.SplitStories(s) {
			ids = append(ids, tk.Encode(st)...)
			ids = append(ids, tokenizer.EOSID)
		}
		return ids
	}
	d.train, d.val = encode(trainText), encode(valText)
	if need := tinyContext + 2; len(d.train) < need || len(d.val) < need {
		return nil, badRequest("data: the text gives %d training and %d validation tokens (its last 10 %%); each needs at least %d — upload a longer text",
			len(d.train), len(d.val), need)
	}
	d.baseline = corpus.UnigramEntropy(d.val, tk.VocabSize())
	return d, nil
}

// Train builds and trains the tiny model, calling onStep (if non-nil) with
// every step's metrics in order. When ctx is cancelled it stops within
// evalEvery steps and returns the model as trained so far.
func (t Tiny) Train(ctx context.Context, onStep func(train.Metrics)) (*Model, error) {
	d, err := t.data()
	if err != nil {
		return nil, err
	}
	return t.train(ctx, d, onStep)
}

func (t Tiny) train(ctx context.Context, d *tinyData, onStep func(train.Metrics)) (*Model, error) {
	t0 := time.Now()
	m := gpt.New(TinyConfig(d.tk.VocabSize()), rand.New(rand.NewPCG(t.Seed, 0)))
	tr, err := train.New(m, d.train, d.val, t.trainConfig())
	if err != nil {
		return nil, err
	}
	// RunUntil evaluates at the end of every chunk; Evaluate draws no random
	// numbers, so chunking leaves the trajectory of a straight Run.
	for tr.Step < t.Steps && ctx.Err() == nil {
		seen := len(tr.History)
		if err := tr.RunUntil(min(tr.Step+evalEvery, t.Steps)); err != nil {
			return nil, err
		}
		if onStep != nil {
			for _, mt := range tr.History[seen:] {
				onStep(mt)
			}
		}
	}
	val := tr.BestVal
	if n := len(tr.History); n > 0 && tr.History[n-1].ValLoss != nil {
		val = *tr.History[n-1].ValLoss
	}
	stopped := ""
	if tr.Step < t.Steps {
		stopped = " (stopped early)"
	}
	source := fmt.Sprintf("trained from scratch in this explorer: %d of %d steps%s on %s, seed %d, in %.1f s; validation loss %.3f nats/token (unigram baseline %.3f)",
		tr.Step, t.Steps, stopped, d.about, t.Seed, time.Since(t0).Seconds(), val, d.baseline)
	meta := map[string]string{modeldir.MetaEOS: strconv.FormatBool(d.documents), "step": strconv.Itoa(tr.Step)}
	return NewModel(&modeldir.Dir{Model: m, Tokenizer: d.tk, Meta: meta, Kind: KindTrained}, source), nil
}

// Event is one message of /api/train/events.
type Event struct {
	Type     string   `json:"type"` // "start", "step", "done" or "error"
	Step     int      `json:"step"`
	Steps    int      `json:"steps"`
	Loss     float64  `json:"loss,omitempty"`
	ValLoss  *float64 `json:"val_loss,omitempty"`
	TokS     float64  `json:"tok_s,omitempty"`
	LR       float64  `json:"lr,omitempty"`
	Baseline float64  `json:"baseline,omitempty"` // start: the unigram entropy of the validation tokens
	Message  string   `json:"message,omitempty"`  // start: the data; done: the new model's source; error: what failed
}

// trainRun is one training run's event log, which any number of
// subscribers replay and follow.
type trainRun struct {
	cancel  context.CancelFunc
	mu      sync.Mutex
	events  []Event
	changed chan struct{} // closed and replaced when an event arrives
	done    bool
}

func newTrainRun(cancel context.CancelFunc) *trainRun {
	return &trainRun{cancel: cancel, changed: make(chan struct{})}
}

func (r *trainRun) add(e Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
	r.done = r.done || e.Type == "done" || e.Type == "error"
	close(r.changed)
	r.changed = make(chan struct{})
}

func (r *trainRun) finished() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.done
}

// since returns the events from index i on, whether the run has ended, and
// a channel closed at the next event.
func (r *trainRun) since(i int) ([]Event, bool, <-chan struct{}) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Event(nil), r.events[i:]...), r.done, r.changed
}

type trainResponse struct {
	Steps       int    `json:"steps"`
	About       string `json:"about"`
	TrainTokens int    `json:"train_tokens"`
	ValTokens   int    `json:"val_tokens"`
}

// handleTrain starts a training run of the tiny recipe (202), unless one is
// in progress (409). Its model replaces the current one when it ends.
func (s *Server) handleTrain(w http.ResponseWriter, r *http.Request) error {
	t, err := s.parseTrain(w, r)
	if err != nil {
		return err
	}
	d, err := t.data()
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.run != nil && !s.run.finished() {
		return &apiError{http.StatusConflict, "a training run is already in progress; stop it first (POST /api/train/stop)"}
	}
	ctx, cancel := context.WithCancel(context.Background())
	run := newTrainRun(cancel)
	s.run = run
	run.add(Event{Type: "start", Steps: t.Steps, Baseline: d.baseline,
		Message: fmt.Sprintf("%d training and %d validation tokens from %s", len(d.train), len(d.val), d.about)})
	s.logf("explore: training a tiny model for %d steps on %s", t.Steps, d.about)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer cancel()
		m, err := t.train(ctx, d, func(mt train.Metrics) {
			run.add(Event{Type: "step", Step: mt.Step, Steps: t.Steps, Loss: mt.Loss, ValLoss: mt.ValLoss, TokS: mt.TokS, LR: mt.LR})
		})
		if err != nil {
			s.logf("explore: training failed: %v", err)
			run.add(Event{Type: "error", Steps: t.Steps, Message: err.Error()})
			return
		}
		s.SetModel(m)
		s.logf("explore: now exploring the model %s", m.Source)
		step, _ := strconv.Atoi(m.Meta["step"])
		run.add(Event{Type: "done", Step: step, Steps: t.Steps, Message: m.Source})
	}()
	writeJSON(w, http.StatusAccepted, trainResponse{t.Steps, d.about, len(d.train), len(d.val)})
	return nil
}

// parseTrain reads the multipart form of /api/train: steps, seed and an
// optional file "data" (UTF-8, at most MaxUpload bytes).
func (s *Server) parseTrain(w http.ResponseWriter, r *http.Request) (Tiny, error) {
	t := Tiny{Steps: 200, Seed: s.opt.Seed}
	r.Body = http.MaxBytesReader(w, r.Body, s.opt.MaxUpload+maxJSONBody)
	mr, err := r.MultipartReader()
	if err != nil {
		return t, badRequest("request body: want multipart/form-data with fields steps, seed and an optional file data (%v)", err)
	}
	tooLarge := func(what string) error {
		return &apiError{http.StatusRequestEntityTooLarge, fmt.Sprintf("%s: over the limit of %d bytes", what, s.opt.MaxUpload)}
	}
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return t, nil
		}
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return t, tooLarge("request body")
		}
		if err != nil {
			return t, badRequest("request body: %v", err)
		}
		switch name := p.FormName(); name {
		case "steps", "seed":
			b, err := io.ReadAll(io.LimitReader(p, 32))
			if err != nil {
				return t, badRequest("%s: %v", name, err)
			}
			v, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
			if name == "seed" {
				if err != nil {
					return t, badRequest("seed must be a non-negative integer, got %q", b)
				}
				t.Seed = v
				continue
			}
			if err != nil || v < 1 || v > MaxTrainSteps {
				return t, badRequest("steps must be an integer in [1, %d], got %q", MaxTrainSteps, b)
			}
			t.Steps = int(v)
		case "data":
			b, err := io.ReadAll(io.LimitReader(p, s.opt.MaxUpload+1))
			if errors.As(err, &mbe) || int64(len(b)) > s.opt.MaxUpload {
				return t, tooLarge("data")
			}
			if err != nil {
				return t, badRequest("data: %v", err)
			}
			if len(b) == 0 {
				continue // an empty file input: train on the built-in corpus
			}
			if off := invalidUTF8(b); off >= 0 {
				return t, badRequest("data: not valid UTF-8 (first bad byte at offset %d); upload a plain-text file", off)
			}
			t.Text = string(b)
			t.About = fmt.Sprintf("the upload %q (%d bytes)", p.FileName(), len(b))
		default:
			return t, badRequest("unknown form field %q (want steps, seed, data)", name)
		}
	}
}

// invalidUTF8 returns the offset of the first byte that is not valid
// UTF-8, or −1.
func invalidUTF8(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 {
			return i
		}
		i += n
	}
	return -1
}

// handleTrainEvents streams the current (or last) run's events as
// Server-Sent Events, from its start, until it ends or the client leaves.
func (s *Server) handleTrainEvents(w http.ResponseWriter, r *http.Request) error {
	s.mu.Lock()
	run := s.run
	s.mu.Unlock()
	if run == nil {
		return &apiError{http.StatusConflict, "no training run has been started (POST /api/train)"}
	}
	fl, ok := w.(http.Flusher)
	if !ok {
		return errors.New("streaming is not supported by this connection")
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	fl.Flush()
	for i := 0; ; {
		evs, done, changed := run.since(i)
		for _, e := range evs {
			if _, err := fmt.Fprintf(w, "data: %s\n\n", mustJSON(e)); err != nil {
				return nil
			}
		}
		fl.Flush()
		i += len(evs)
		if done {
			return nil
		}
		select {
		case <-changed:
		case <-r.Context().Done():
			return nil
		}
	}
}

// handleTrainStop stops the run in progress; its model so far replaces the
// current one (watch the "done" event).
func (s *Server) handleTrainStop(w http.ResponseWriter, r *http.Request) error {
	s.mu.Lock()
	run := s.run
	s.mu.Unlock()
	if run == nil || run.finished() {
		return &apiError{http.StatusConflict, "no training run is in progress"}
	}
	run.cancel()
	writeJSON(w, http.StatusOK, map[string]bool{"stopping": true})
	return nil
}
