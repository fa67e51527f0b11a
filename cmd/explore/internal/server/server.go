// Package server is the explorer's web side: one embedded page (HTML, CSS
// and plain JavaScript under web/) and a small JSON API over a gpt.Model.
// Every number it serves comes from the library — gpt (logits, sampling
// distributions, generation through the KV cache), gpt/interp (attention
// maps, head scores, the logit lens) and gpt/train (live training) — so the
// page shows exactly what the book's code computes.
//
//	GET  /                   the page (also /app.js, /style.css)
//	GET  /api/model          the model card: config, parameters by component, tensors, source
//	POST /api/tokenize       {text | ids} → the tokens with their ids and pieces
//	POST /api/next           {text | ids, temperature, top_k, top_p, k} → the next-token distribution
//	POST /api/generate       {…, n, seed} → n tokens through the KV cache, each step's distribution
//	POST /api/attention      {text | ids} → every layer's and head's attention, with head scores
//	POST /api/lens           {text | ids, k} → the logit lens: top k tokens per layer and position
//	POST /api/train          multipart: steps, seed, optional file data → starts a tiny training run
//	GET  /api/train/events   Server-Sent Events: one JSON object per step, then a "done" event
//	POST /api/train/stop     stops the run; the model trained so far replaces the current one
//
// Bad input is answered with HTTP 400 (413 for a body over its limit, 409
// for a training request that conflicts with the run in progress) and
// {"error": "..."} naming the field at fault. A panic in a handler becomes a
// 500, never a crash. The model is an immutable snapshot behind an atomic
// pointer: requests read it concurrently, and a finished training run swaps
// in a new one without disturbing requests in flight.
package server

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"runtime"
	"sync"
	"sync/atomic"

	"transformers/gpt/interp"
	"transformers/gpt/modeldir"
)

//go:embed web
var web embed.FS

// Limits and defaults.
const (
	DefaultMaxTokens = 128     // the longest text analysed, unless the model's context is shorter
	DefaultMaxUpload = 1 << 20 // bytes of training text one may upload
	maxJSONBody      = 1 << 16 // bytes of a JSON request body
	maxGenerate      = 256     // tokens one generate request may ask for
)

// DefaultPrompt is the text the page starts with: a story opening from the
// built-in corpus's world, with a repeated word ("boat") so induction heads
// have something to do.
const DefaultPrompt = "Iris had a blue boat. One morning, the boat was gone! Iris looked"

// Model is one immutable model snapshot the server explores: the opened
// directory (weights, tokenizer, metadata) and a sentence saying where the
// weights came from.
type Model struct {
	*modeldir.Dir
	Source string

	probeOnce sync.Once
	probe     []interp.HeadScore
}

// NewModel wraps d. The model must not be modified afterwards: requests
// read it concurrently.
func NewModel(d *modeldir.Dir, source string) *Model { return &Model{Dir: d, Source: source} }

// Options configures a Server. The zero value uses the defaults.
type Options struct {
	MaxTokens int    // the longest text analysed (0: DefaultMaxTokens); never more than the model's context
	MaxUpload int64  // the largest training text accepted, in bytes (0: DefaultMaxUpload)
	Seed      uint64 // default seed of training runs and of the head-score probe sequences
	// Logf, if non-nil, receives one line per recovered panic and per
	// training run.
	Logf func(format string, args ...any)
}

// Server serves the page and the API. Build it with New.
type Server struct {
	opt   Options
	model atomic.Pointer[Model]
	mux   *http.ServeMux
	sem   chan struct{} // bounds concurrent forward passes (memory, for large models)

	mu  sync.Mutex // guards run
	run *trainRun  // the current or last training run, nil before the first
	wg  sync.WaitGroup
}

// New returns a server exploring m.
func New(m *Model, opt Options) *Server {
	if opt.MaxTokens <= 0 {
		opt.MaxTokens = DefaultMaxTokens
	}
	if opt.MaxUpload <= 0 {
		opt.MaxUpload = DefaultMaxUpload
	}
	s := &Server{opt: opt, mux: http.NewServeMux(), sem: make(chan struct{}, 2*runtime.GOMAXPROCS(0))}
	s.model.Store(m)
	s.routes()
	return s
}

// Model returns the model requests currently see.
func (s *Server) Model() *Model { return s.model.Load() }

// SetModel makes m the model of every later request.
func (s *Server) SetModel(m *Model) { s.model.Store(m) }

// Close stops a training run in progress and waits for it to end.
func (s *Server) Close() {
	s.mu.Lock()
	if s.run != nil {
		s.run.cancel()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

func (s *Server) routes() {
	for _, f := range []struct{ path, file, ctype string }{
		{"GET /{$}", "web/index.html", "text/html; charset=utf-8"},
		{"GET /app.js", "web/app.js", "text/javascript; charset=utf-8"},
		{"GET /style.css", "web/style.css", "text/css; charset=utf-8"},
	} {
		s.mux.HandleFunc(f.path, asset(f.file, f.ctype))
	}
	endpoints := []struct {
		method, path string
		h            func(http.ResponseWriter, *http.Request) error
	}{
		{"GET", "/api/model", s.handleModel},
		{"POST", "/api/tokenize", s.handleTokenize},
		{"POST", "/api/next", s.handleNext},
		{"POST", "/api/generate", s.handleGenerate},
		{"POST", "/api/attention", s.handleAttention},
		{"POST", "/api/lens", s.handleLens},
		{"POST", "/api/train", s.handleTrain},
		{"GET", "/api/train/events", s.handleTrainEvents},
		{"POST", "/api/train/stop", s.handleTrainStop},
	}
	allow := map[string]string{}
	for _, e := range endpoints {
		s.mux.Handle(e.method+" "+e.path, s.api(e.h))
		allow[e.path] = e.method
	}
	// Everything else under /api/ is answered in JSON too: 405 for a known
	// path with the wrong method, 404 for an unknown one.
	s.mux.Handle("/api/", s.api(func(w http.ResponseWriter, r *http.Request) error {
		if m, ok := allow[r.URL.Path]; ok {
			w.Header().Set("Allow", m)
			return &apiError{http.StatusMethodNotAllowed, fmt.Sprintf("%s wants %s, got %s", r.URL.Path, m, r.Method)}
		}
		return &apiError{http.StatusNotFound, fmt.Sprintf("no endpoint %s %s", r.Method, r.URL.Path)}
	}))
}

// ServeHTTP serves the page and the API. A request from another web
// origin (a page elsewhere trying to drive this server) is refused, and a
// panic in any handler is answered with a 500 instead of ending the server.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	recoverer(s.logf, sameOrigin(s.mux)).ServeHTTP(w, r)
}

func (s *Server) logf(format string, args ...any) {
	if s.opt.Logf != nil {
		s.opt.Logf(format, args...)
	}
}

// asset serves one embedded file with a fixed content type: the server
// serves nothing else from disk or memory.
func asset(name, ctype string) http.HandlerFunc {
	b, err := web.ReadFile(name)
	if err != nil {
		panic("server: missing embedded asset " + name) // a build error, caught by the tests
	}
	return func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Type", ctype)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Content-Security-Policy", "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:")
		h.Set("Cache-Control", "no-cache")
		w.Write(b)
	}
}

// recoverer turns a panic in next into a logged 500 with a JSON error.
func recoverer(logf func(string, ...any), next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v) // net/http's own way to abort a response
			}
			logf("explore: panic serving %s %s: %v", r.Method, r.URL.Path, v)
			writeJSON(w, http.StatusInternalServerError, errorBody{fmt.Sprintf("internal error: %v", v)})
		}()
		next.ServeHTTP(w, r)
	})
}

// sameOrigin refuses requests that a browser marks as coming from a page of
// another origin: the explorer listens on loopback, but any web page the
// reader opens could otherwise post to it.
func sameOrigin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if o := r.Header.Get("Origin"); o != "" {
			u, err := url.Parse(o)
			if err != nil || u.Host != r.Host {
				writeJSON(w, http.StatusForbidden, errorBody{fmt.Sprintf("origin %q may not use this server (host %q)", o, r.Host)})
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// apiError is an error with the HTTP status it is answered with.
type apiError struct {
	status int
	msg    string
}

func (e *apiError) Error() string { return e.msg }

// badRequest is a 400 naming what is wrong.
func badRequest(format string, args ...any) error {
	return &apiError{http.StatusBadRequest, fmt.Sprintf(format, args...)}
}

type errorBody struct {
	Error string `json:"error"`
}

// api adapts a handler that returns an error: an *apiError is answered
// with its status, any other error with 500, both as {"error": "..."}.
func (s *Server) api(h func(w http.ResponseWriter, r *http.Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := h(w, r)
		if err == nil {
			return
		}
		var ae *apiError
		if errors.As(err, &ae) {
			writeJSON(w, ae.status, errorBody{ae.msg})
			return
		}
		if errors.Is(err, context.Canceled) {
			return // the client went away
		}
		writeJSON(w, http.StatusInternalServerError, errorBody{err.Error()})
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":"encoding the response failed"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(b)
	w.Write([]byte("\n"))
}

// acquire takes one of the forward-pass slots, or fails when the client
// gives up first.
func (s *Server) acquire(ctx context.Context) (release func(), err error) {
	select {
	case s.sem <- struct{}{}:
		return func() { <-s.sem }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// mustJSON encodes v, which is one of this package's plain structs.
func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic("server: encoding " + fmt.Sprintf("%T", v) + ": " + err.Error())
	}
	return b
}
