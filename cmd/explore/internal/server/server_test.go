package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"transformers/autograd"
	"transformers/gpt"
	"transformers/gpt/interp"
	"transformers/gpt/modeldir"
)

var (
	tinyOnce  sync.Once
	tinyModel *Model
	tinyErr   error
)

// testModel is a tiny model trained for 10 steps (a real tokenizer, real
// weights; the tests compare the API with the library, not quality).
func testModel(t *testing.T) *Model {
	t.Helper()
	tinyOnce.Do(func() { tinyModel, tinyErr = Tiny{Steps: 10, Seed: 3}.Train(context.Background(), nil) })
	if tinyErr != nil {
		t.Fatal(tinyErr)
	}
	return tinyModel
}

func newTestServer(t *testing.T, m *Model) (*Server, *httptest.Server) {
	t.Helper()
	s := New(m, Options{Seed: 1, Logf: t.Logf})
	ts := httptest.NewServer(s)
	t.Cleanup(func() { ts.Close(); s.Close() })
	return s, ts
}

// call POSTs body (JSON-encoded unless it is a string) to path, or GETs
// when body is nil, and decodes the JSON answer into out (if non-nil).
func call(t *testing.T, ts *httptest.Server, path string, body any, out any) int {
	t.Helper()
	var resp *http.Response
	var err error
	if body == nil {
		resp, err = http.Get(ts.URL + path)
	} else {
		b, ok := body.(string)
		if !ok {
			raw, err := json.Marshal(body)
			if err != nil {
				t.Fatal(err)
			}
			b = string(raw)
		}
		resp, err = http.Post(ts.URL+path, "application/json", strings.NewReader(b))
	}
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s: %v in %q", path, err, raw)
		}
	}
	return resp.StatusCode
}

func str(s string) *string { return &s }

func lastLogits(m *Model, ids []int) []float32 {
	V := m.Model.Config.VocabSize
	return m.Model.Logits(autograd.NoGrad(), ids, 1, len(ids)).Value.Data[(len(ids)-1)*V:]
}

func TestTokenize(t *testing.T) {
	m := testModel(t)
	_, ts := newTestServer(t, m)
	var got tokenizeResponse
	if code := call(t, ts, "/api/tokenize", input{Text: str(DefaultPrompt)}, &got); code != 200 {
		t.Fatalf("status %d", code)
	}
	want := m.EncodePrompt(DefaultPrompt)
	if !slices.Equal(got.IDs, want) || len(got.Tokens) != len(want) {
		t.Fatalf("ids %v, want %v", got.IDs, want)
	}
	for i, tok := range got.Tokens {
		if tok.ID != want[i] || tok.Text != piece(m.Tokenizer.Token(want[i])) {
			t.Errorf("token %d = %+v, want id %d piece %q", i, tok, want[i], m.Tokenizer.Token(want[i]))
		}
	}
	if !got.Tokens[0].Special || got.Limit != min(DefaultMaxTokens, m.Model.Config.Context) {
		t.Errorf("first token %+v (want <|eos|>, special), limit %d", got.Tokens[0], got.Limit)
	}
}

// TestNext: the distribution is gpt.Distribution of the model's logits.
func TestNext(t *testing.T) {
	m := testModel(t)
	_, ts := newTestServer(t, m)
	ids := m.EncodePrompt(DefaultPrompt)
	logits := lastLogits(m, ids)
	for _, s := range []sampling{
		{Temperature: 1, TopP: 1, K: 10},
		{Temperature: 0.3, TopK: 5, TopP: 1, K: 10},
		{Temperature: 2, TopP: 0.5, K: 100},
		{Temperature: 0, TopP: 1, K: 3},
	} {
		var got nextResponse
		if code := call(t, ts, "/api/next", nextRequest{input{IDs: ids}, s}, &got); code != 200 {
			t.Fatalf("%+v: status %d", s, code)
		}
		want := gpt.Distribution(logits, s.options())
		if got.Candidates != len(want) || len(got.Top) != min(s.K, len(want)) {
			t.Fatalf("%+v: %d candidates, %d shown; want %d, %d", s, got.Candidates, len(got.Top), len(want), min(s.K, len(want)))
		}
		for i, c := range got.Top {
			if c.ID != want[i].ID || math.Abs(c.P-want[i].P) > 1e-12 || c.Logit != logits[c.ID] {
				t.Errorf("%+v rank %d: %+v, want id %d p %g logit %g", s, i, c, want[i].ID, want[i].P, logits[want[i].ID])
			}
		}
	}
}

// TestGenerate: the tokens are gpt.Model.Generate's with the same seed, and
// each step's distribution is that of the logits of the text so far.
func TestGenerate(t *testing.T) {
	m := testModel(t)
	_, ts := newTestServer(t, m)
	ids := m.EncodePrompt("Mia")
	req := generateRequest{input: input{IDs: ids}, sampling: sampling{Temperature: 0.9, TopK: 50, TopP: 0.95, K: 5}, N: 12, Seed: 7}
	var got generateResponse
	if code := call(t, ts, "/api/generate", req, &got); code != 200 {
		t.Fatalf("status %d", code)
	}
	want := m.Model.Generate(ids, gpt.GenerateOptions{SampleOptions: req.options(), MaxTokens: req.N, EOS: modeldir.EOS(m.Tokenizer), Rng: rand.New(rand.NewPCG(7, 0))})
	var gotIDs []int
	for _, st := range got.Steps {
		gotIDs = append(gotIDs, st.ID)
	}
	if !slices.Equal(gotIDs, want) {
		t.Fatalf("generated %v, Generate gives %v", gotIDs, want)
	}
	if got.Text != m.Tokenizer.Decode(want) {
		t.Errorf("text %q, want %q", got.Text, m.Tokenizer.Decode(want))
	}
	seq := slices.Clone(ids)
	for i, st := range got.Steps {
		// The KV cache and a full forward pass agree to rounding.
		d := gpt.Distribution(lastLogits(m, seq), req.options())
		for r, c := range st.Distribution.Top {
			if c.ID != d[r].ID || math.Abs(c.P-d[r].P) > 1e-4 {
				t.Errorf("step %d rank %d: %+v, full forward gives %+v", i, r, c, d[r])
			}
		}
		for _, c := range d {
			if c.ID == st.ID && math.Abs(c.P-st.P) > 1e-4 {
				t.Errorf("step %d: chosen p %g, want %g", i, st.P, c.P)
			}
		}
		seq = append(seq, st.ID)
	}
}

// TestAttention: the maps are interp.Attention's, the head scores
// interp.PreviousToken's and interp.PrefixMatching's, the probe
// interp.ScoreHeads's.
func TestAttention(t *testing.T) {
	m := testModel(t)
	_, ts := newTestServer(t, m)
	ids := m.EncodePrompt(DefaultPrompt)
	var got attentionResponse
	if code := call(t, ts, "/api/attention", input{Text: str(DefaultPrompt)}, &got); code != 200 {
		t.Fatalf("status %d", code)
	}
	want := interp.Attention(m.Model, ids)
	cfg := m.Model.Config
	if got.Layers != cfg.Layers || got.Heads != cfg.Heads || got.T != len(ids) || len(got.Maps) != cfg.Layers {
		t.Fatalf("layers %d heads %d t %d; want %d %d %d", got.Layers, got.Heads, got.T, cfg.Layers, cfg.Heads, len(ids))
	}
	for l := range want {
		for h := range want[l] {
			for i := range want[l][h] {
				for j, v := range want[l][h][i] {
					if got.Maps[l][h][i][j] != float32(v) {
						t.Fatalf("map %d.%d [%d][%d] = %g, want %g", l, h, i, j, got.Maps[l][h][i][j], v)
					}
				}
			}
			sc := got.Scores[l*cfg.Heads+h]
			pm, ok := interp.PrefixMatching(want[l][h], ids)
			if sc.Layer != l || sc.Head != h || sc.PreviousToken != interp.PreviousToken(want[l][h]) || (sc.PrefixMatch != nil) != ok || ok && *sc.PrefixMatch != pm {
				t.Errorf("head %d.%d scores %+v, want previous %g prefix %g (%v)", l, h, sc, interp.PreviousToken(want[l][h]), pm, ok)
			}
		}
	}
	T := min(probeLen, cfg.Context)
	seqs, _ := interp.Repeats(rand.New(rand.NewPCG(1, 0x70726f6265)), probeSeqs, T, cfg.VocabSize, probeMinP, probeMaxP)
	for i, sc := range interp.ScoreHeads(m.Model, seqs) {
		p := got.Probe.Scores[i]
		if p.Layer != sc.Layer || p.Head != sc.Head || p.PreviousToken != sc.PreviousToken || *p.PrefixMatch != sc.PrefixMatch {
			t.Errorf("probe %d: %+v, want %+v", i, p, sc)
		}
	}
}

// TestLens: the tops are interp.Top of interp.LogitLens.
func TestLens(t *testing.T) {
	m := testModel(t)
	_, ts := newTestServer(t, m)
	ids := m.EncodePrompt(DefaultPrompt)
	var got lensResponse
	if code := call(t, ts, "/api/lens", lensRequest{input{IDs: ids}, 4}, &got); code != 200 {
		t.Fatalf("status %d", code)
	}
	lens := interp.LogitLens(m.Model, ids)
	if got.Layers != len(lens.Probs) {
		t.Fatalf("%d layers, want %d", got.Layers, len(lens.Probs))
	}
	for l := range lens.Probs {
		for pos := range ids {
			want := interp.Top(lens.Probs[l][pos], 4)
			for r, e := range got.Top[l][pos] {
				if e.ID != want[r] || e.P != lens.Probs[l][pos][want[r]] {
					t.Errorf("layer %d pos %d rank %d: %+v, want id %d p %g", l, pos, r, e, want[r], lens.Probs[l][pos][want[r]])
				}
			}
		}
	}
}

func TestModelCard(t *testing.T) {
	m := testModel(t)
	_, ts := newTestServer(t, m)
	var got Card
	if code := call(t, ts, "/api/model", nil, &got); code != 200 {
		t.Fatalf("status %d", code)
	}
	pc := m.Model.ParamCount()
	if got.Config != m.Model.Config || got.Params.Total != pc.Total || got.Params.Attention != pc.Attention || got.Params.MLP != pc.MLP {
		t.Errorf("card config %+v params %+v; want %+v %+v", got.Config, got.Params, m.Model.Config, pc)
	}
	if len(got.Tensors) != len(m.Model.Parameters()) || got.Source != m.Source || got.DefaultPrompt != DefaultPrompt || got.Tokenizer.Type != "byte-level BPE" {
		t.Errorf("card %+v", got)
	}
}

// TestHuggingFaceIDs: a Hugging Face directory without a tokenizer works on
// ids, and its logits are the library's.
func TestHuggingFaceIDs(t *testing.T) {
	d, err := modeldir.Load("../../../../testdata/hf/tiny-f32")
	if err != nil {
		t.Fatal(err)
	}
	m := NewModel(d, "test")
	_, ts := newTestServer(t, m)
	var card Card
	call(t, ts, "/api/model", nil, &card)
	if card.Tokenizer.Type != "none" || len(card.DefaultIDs) == 0 {
		t.Fatalf("card tokenizer %+v default ids %v", card.Tokenizer, card.DefaultIDs)
	}
	var got nextResponse
	if code := call(t, ts, "/api/next", map[string]any{"ids": card.DefaultIDs, "temperature": 0}, &got); code != 200 {
		t.Fatalf("status %d", code)
	}
	logits := lastLogits(m, card.DefaultIDs)
	if got.Top[0].ID != gpt.SampleToken(logits, gpt.SampleOptions{}, nil) || got.Top[0].Logit != logits[got.Top[0].ID] {
		t.Errorf("top %+v", got.Top[0])
	}
	if code := call(t, ts, "/api/next", map[string]any{"text": "hi"}, nil); code != 400 {
		t.Errorf("text without a tokenizer: status %d, want 400", code)
	}
}

// TestBadInput: every endpoint answers bad input with its status and a JSON
// error naming the field at fault.
func TestBadInput(t *testing.T) {
	m := testModel(t)
	_, ts := newTestServer(t, m)
	V := m.Model.Config.VocabSize
	long := strings.Repeat("Iris had a boat. ", 40)
	ids := m.EncodePrompt("Mia")
	big := `{"text": "` + strings.Repeat("a", maxJSONBody) + `"}`
	tests := []struct {
		path string
		body any
		code int
		want string
	}{
		{"/api/tokenize", "", 400, "empty"},
		{"/api/tokenize", "{", 400, "request body"},
		{"/api/tokenize", `{"text": "a"} {"text": "b"}`, 400, "more than one"},
		{"/api/tokenize", `{"txt": "a"}`, 400, "txt"},
		{"/api/tokenize", `{"text": 3}`, 400, "text"},
		{"/api/tokenize", `{}`, 400, "exactly one of text and ids"},
		{"/api/tokenize", map[string]any{"text": "a", "ids": []int{1}}, 400, "exactly one"},
		{"/api/tokenize", map[string]any{"ids": []int{}}, 400, "ids: empty"},
		{"/api/tokenize", map[string]any{"ids": []int{1, V}}, 400, "ids[1]"},
		{"/api/tokenize", map[string]any{"ids": []int{-1}}, 400, "ids[0]"},
		{"/api/tokenize", map[string]any{"text": long}, 400, "context"},
		{"/api/tokenize", big, 413, "limit"},
		{"/api/next", map[string]any{"ids": ids, "temperature": -1}, 400, "temperature"},
		{"/api/next", map[string]any{"ids": ids, "temperature": 11}, 400, "temperature"},
		{"/api/next", map[string]any{"ids": ids, "temperature": "hot"}, 400, "temperature"},
		{"/api/next", map[string]any{"ids": ids, "top_k": -1}, 400, "top_k"},
		{"/api/next", map[string]any{"ids": ids, "top_k": V + 1}, 400, "top_k"},
		{"/api/next", map[string]any{"ids": ids, "top_p": 0}, 400, "top_p"},
		{"/api/next", map[string]any{"ids": ids, "top_p": 1.5}, 400, "top_p"},
		{"/api/next", map[string]any{"ids": ids, "k": 0}, 400, "k must"},
		{"/api/next", map[string]any{"ids": ids, "k": 101}, 400, "k must"},
		{"/api/next", map[string]any{"text": long}, 400, "context"},
		{"/api/generate", map[string]any{"ids": ids, "n": 0}, 400, "n must"},
		{"/api/generate", map[string]any{"ids": ids, "n": m.Model.Config.Context}, 400, "n must"},
		{"/api/generate", map[string]any{"ids": ids, "seed": -1}, 400, "seed"},
		{"/api/generate", map[string]any{"ids": ids, "top_p": -0.5}, 400, "top_p"},
		{"/api/generate", map[string]any{"ids": []int{V}}, 400, "ids[0]"},
		{"/api/attention", map[string]any{"ids": []int{V + 5}}, 400, "ids[0]"},
		{"/api/attention", map[string]any{"text": long}, 400, "context"},
		{"/api/attention", `[]`, 400, "request body"},
		{"/api/lens", map[string]any{"ids": ids, "k": 0}, 400, "k must"},
		{"/api/lens", map[string]any{"ids": ids, "k": 11}, 400, "k must"},
		{"/api/lens", map[string]any{}, 400, "exactly one"},
		{"/api/train", `{"steps": 5}`, 400, "multipart"},
		{"/api/train/stop", `{}`, 409, "no training run"},
		{"/api/model", `{"text": "a"}`, 405, "/api/model wants GET, got POST"},
		{"/api/nothing", `{}`, 404, "no endpoint"},
	}
	for _, tt := range tests {
		var got errorBody
		code := call(t, ts, tt.path, tt.body, &got)
		if code != tt.code || !strings.Contains(got.Error, tt.want) {
			t.Errorf("%s %.60v: %d %q; want %d and %q", tt.path, tt.body, code, got.Error, tt.code, tt.want)
		}
	}
	// The events stream has nothing to stream before a run.
	var got errorBody
	if code := call(t, ts, "/api/train/events", nil, &got); code != 409 || got.Error == "" {
		t.Errorf("events before a run: %d %q", code, got.Error)
	}
	// A POST endpoint refuses GET; a page of another origin is refused.
	if resp, err := http.Get(ts.URL + "/api/next"); err != nil || resp.StatusCode != 405 {
		t.Errorf("GET /api/next: %v %v", resp.StatusCode, err)
	}
	req, _ := http.NewRequest("POST", ts.URL+"/api/next", strings.NewReader(`{"text":"a"}`))
	req.Header.Set("Origin", "http://evil.example")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 403 {
		t.Errorf("cross-origin POST: %v %v", resp.StatusCode, err)
	}
}

// multipartBody builds a /api/train form.
func multipartBody(t *testing.T, fields map[string]string, data []byte) (string, *bytes.Buffer) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for k, v := range fields {
		w.WriteField(k, v)
	}
	if data != nil {
		fw, err := w.CreateFormFile("data", "upload.txt")
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(data)
	}
	w.Close()
	return w.FormDataContentType(), &buf
}

func postForm(t *testing.T, ts *httptest.Server, fields map[string]string, data []byte) (int, string) {
	t.Helper()
	ct, body := multipartBody(t, fields, data)
	resp, err := http.Post(ts.URL+"/api/train", ct, body)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var e errorBody
	json.NewDecoder(resp.Body).Decode(&e)
	return resp.StatusCode, e.Error
}

func TestTrainBadInput(t *testing.T) {
	m := testModel(t)
	s := New(m, Options{Seed: 1, MaxUpload: 4096})
	ts := httptest.NewServer(s)
	defer ts.Close()
	defer s.Close()
	tests := []struct {
		name   string
		fields map[string]string
		data   []byte
		code   int
		want   string
	}{
		{"zero steps", map[string]string{"steps": "0"}, nil, 400, "steps"},
		{"too many steps", map[string]string{"steps": "5000"}, nil, 400, "steps"},
		{"steps not a number", map[string]string{"steps": "ten"}, nil, 400, "steps"},
		{"negative seed", map[string]string{"seed": "-1"}, nil, 400, "seed"},
		{"unknown field", map[string]string{"lr": "1"}, nil, 400, "lr"},
		{"invalid UTF-8", nil, []byte("hello \xff world"), 400, "offset 6"},
		{"too short", nil, []byte("A short text."), 400, "longer text"},
		{"too large", nil, bytes.Repeat([]byte("a"), 4097), 413, "limit"},
		{"much too large", nil, bytes.Repeat([]byte("a"), 200_000), 413, "limit"},
	}
	for _, tt := range tests {
		code, msg := postForm(t, ts, tt.fields, tt.data)
		if code != tt.code || !strings.Contains(msg, tt.want) {
			t.Errorf("%s: %d %q; want %d and %q", tt.name, code, msg, tt.code, tt.want)
		}
	}
}

// events reads a Server-Sent Events stream until its "done" or "error".
func events(t *testing.T, ts *httptest.Server, each func(Event)) []Event {
	t.Helper()
	resp, err := http.Get(ts.URL + "/api/train/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("content type %q", ct)
	}
	var out []Event
	dec := newSSEReader(resp.Body)
	for {
		data, err := dec()
		if err != nil {
			t.Fatalf("stream ended without done: %v (after %d events)", err, len(out))
		}
		var e Event
		if err := json.Unmarshal(data, &e); err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
		if each != nil {
			each(e)
		}
		if e.Type == "done" || e.Type == "error" {
			return out
		}
	}
}

// newSSEReader returns a function giving each "data:" payload in turn.
func newSSEReader(r io.Reader) func() ([]byte, error) {
	buf := make([]byte, 0, 4096)
	tmp := make([]byte, 4096)
	return func() ([]byte, error) {
		for {
			if i := bytes.Index(buf, []byte("\n\n")); i >= 0 {
				msg := buf[:i]
				buf = append([]byte(nil), buf[i+2:]...)
				return bytes.TrimPrefix(msg, []byte("data: ")), nil
			}
			n, err := r.Read(tmp)
			buf = append(buf, tmp[:n]...)
			if err != nil && n == 0 {
				return nil, err
			}
		}
	}
}

// TestTrainLive: a run streams start, every step in order with validation
// every evalEvery steps, and done; its model then replaces the old one; a
// second start while it runs is refused.
func TestTrainLive(t *testing.T) {
	m := testModel(t)
	s, ts := newTestServer(t, m)
	if code, msg := postForm(t, ts, map[string]string{"steps": "20", "seed": "2"}, nil); code != 202 {
		t.Fatalf("start: %d %q", code, msg)
	}
	code, msg := postForm(t, ts, map[string]string{"steps": "20"}, nil)
	conflict := code == 409 && strings.Contains(msg, "already")
	evs := events(t, ts, nil)
	if !conflict && !(code == 202) { // 202 only if the first run had already ended
		t.Errorf("second start: %d %q", code, msg)
	}
	if evs[0].Type != "start" || evs[0].Steps != 20 || evs[0].Baseline <= 0 {
		t.Errorf("first event %+v", evs[0])
	}
	steps := evs[1 : len(evs)-1]
	if len(steps) != 20 {
		t.Fatalf("%d step events, want 20", len(steps))
	}
	for i, e := range steps {
		if e.Type != "step" || e.Step != i+1 || !(e.Loss > 0) || e.TokS <= 0 || (e.ValLoss != nil) != ((i+1)%evalEvery == 0) {
			t.Errorf("step event %d: %+v", i, e)
		}
	}
	done := evs[len(evs)-1]
	if done.Type != "done" || done.Step != 20 {
		t.Fatalf("last event %+v", done)
	}
	if conflict {
		// Replaying the finished run's stream gives the same events.
		if again := events(t, ts, nil); len(again) != len(evs) {
			t.Errorf("replay: %d events, want %d", len(again), len(evs))
		}
	}
	nm := s.Model()
	if nm == m || nm.Kind != KindTrained || !strings.Contains(nm.Source, "20 of 20 steps") {
		t.Fatalf("model after the run: %q", nm.Source)
	}
	var next nextResponse
	if code := call(t, ts, "/api/next", map[string]any{"text": "Mia", "temperature": 0}, &next); code != 200 {
		t.Fatalf("next on the new model: %d", code)
	}
	if want := gpt.SampleToken(lastLogits(nm, nm.EncodePrompt("Mia")), gpt.SampleOptions{}, nil); next.Top[0].ID != want {
		t.Errorf("next on the new model: %d, want %d", next.Top[0].ID, want)
	}
}

// TestTrainStopAndUpload: stopping a long run on an uploaded text ends it
// early and leaves its model in place, usable.
func TestTrainStopAndUpload(t *testing.T) {
	m := testModel(t)
	s, ts := newTestServer(t, m)
	text := []byte(strings.Repeat("The cat sat on the mat. The dog lay on the rug. ", 120))
	if code, msg := postForm(t, ts, map[string]string{"steps": "2000"}, text); code != 202 {
		t.Fatalf("start: %d %q", code, msg)
	}
	stopped := false
	evs := events(t, ts, func(e Event) {
		if e.Type == "step" && !stopped {
			stopped = true
			var out map[string]bool
			if code := call(t, ts, "/api/train/stop", map[string]any{}, &out); code != 200 || !out["stopping"] {
				t.Errorf("stop: %d %v", code, out)
			}
		}
	})
	done := evs[len(evs)-1]
	if done.Type != "done" || done.Step >= 2000 || done.Step < 1 {
		t.Fatalf("last event %+v", done)
	}
	nm := s.Model()
	if !strings.Contains(nm.Source, "stopped early") || !strings.Contains(nm.Source, "upload.txt") || nm.StartsWithEOS() {
		t.Errorf("model after stop: %q", nm.Source)
	}
	var tok tokenizeResponse
	if code := call(t, ts, "/api/tokenize", map[string]any{"text": "The cat"}, &tok); code != 200 || !slices.Equal(tok.IDs, nm.Tokenizer.Encode("The cat")) {
		t.Errorf("tokenize on the new model: %d %v", code, tok.IDs)
	}
	if code := call(t, ts, "/api/train/stop", map[string]any{}, nil); code != 409 {
		t.Errorf("stop after the end: %d, want 409", code)
	}
}

// TestRecover: a panicking handler answers 500 with a JSON error and the
// server goes on serving.
func TestRecover(t *testing.T) {
	broken := NewModel(&modeldir.Dir{}, "no weights") // every forward pass dereferences nil
	_, ts := newTestServer(t, broken)
	for range 2 {
		var got errorBody
		if code := call(t, ts, "/api/next", map[string]any{"ids": []int{0}}, &got); code != 500 || !strings.Contains(got.Error, "internal error") {
			t.Errorf("status %d %q, want 500 and an internal error", code, got.Error)
		}
	}
	h := recoverer(t.Logf, http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") }))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if rec.Code != 500 || !strings.Contains(rec.Body.String(), "boom") {
		t.Errorf("recoverer: %d %q", rec.Code, rec.Body.String())
	}
}

// TestAssets: the page and its two files are served with their types;
// nothing else is.
func TestAssets(t *testing.T) {
	_, ts := newTestServer(t, testModel(t))
	for _, tt := range []struct{ path, ctype, want string }{
		{"/", "text/html", `id="attention"`},
		{"/app.js", "text/javascript", "EventSource"},
		{"/style.css", "text/css", ".tok"},
	} {
		resp, err := http.Get(ts.URL + tt.path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), tt.ctype) || !strings.Contains(string(b), tt.want) {
			t.Errorf("%s: %d %q", tt.path, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
	}
	for _, p := range []string{"/index.html", "/web/app.js", "/go.mod", "/../go.mod", "/%2e%2e/go.mod", "/server.go"} {
		resp, err := http.Get(ts.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 404 {
			t.Errorf("%s: status %d, want 404", p, resp.StatusCode)
		}
	}
}

// TestConcurrent: many clients at once, while the model pointer is swapped
// and the probe computed for the first time, all get the library's answers
// (run with -race).
func TestConcurrent(t *testing.T) {
	m := testModel(t)
	twin := NewModel(m.Dir, m.Source) // same weights, its own probe cache
	s, ts := newTestServer(t, m)
	ids := m.EncodePrompt(DefaultPrompt)
	wantTop := gpt.SampleToken(lastLogits(m, ids), gpt.SampleOptions{}, nil)
	wantAttn := interp.Attention(m.Model, ids)
	wantGen := m.Model.Generate(ids[:8], gpt.GenerateOptions{SampleOptions: gpt.SampleOptions{Temperature: 1, TopP: 1}, MaxTokens: 6, EOS: modeldir.EOS(m.Tokenizer), Rng: rand.New(rand.NewPCG(3, 0))})
	const clients = 32
	var wg sync.WaitGroup
	stop := make(chan struct{})
	go func() { // swap the snapshot back and forth while requests run
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
				s.SetModel([]*Model{m, twin}[i%2])
				time.Sleep(100 * time.Microsecond)
			}
		}
	}()
	errs := make(chan string, clients*4)
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			switch c % 4 {
			case 0:
				var got nextResponse
				if call(t, ts, "/api/next", map[string]any{"ids": ids, "temperature": 0}, &got) != 200 || got.Top[0].ID != wantTop {
					errs <- "next"
				}
			case 1:
				var got attentionResponse
				if call(t, ts, "/api/attention", map[string]any{"ids": ids}, &got) != 200 || got.Maps[1][2][5][3] != float32(wantAttn[1][2][5][3]) {
					errs <- "attention"
				}
			case 2:
				var got generateResponse
				call(t, ts, "/api/generate", map[string]any{"ids": ids[:8], "n": 6, "seed": 3}, &got)
				var gen []int
				for _, st := range got.Steps {
					gen = append(gen, st.ID)
				}
				if !slices.Equal(gen, wantGen) {
					errs <- "generate"
				}
			case 3:
				var got lensResponse
				if call(t, ts, "/api/lens", map[string]any{"ids": ids, "k": 1}, &got) != 200 || len(got.Top) != m.Model.Config.Layers+1 {
					errs <- "lens"
				}
				if call(t, ts, "/api/tokenize", map[string]any{"text": "x"}, nil) != 200 || call(t, ts, "/api/model", nil, nil) != 200 {
					errs <- "tokenize/model"
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	close(errs)
	for e := range errs {
		t.Errorf("a %s request got a wrong answer", e)
	}
}
