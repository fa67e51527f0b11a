// Command browsercheck is the explorer's real-browser test (run by
// scripts/browser-test.sh, `make browser-test` and .ci/run): it starts the
// explorer binary on a free loopback port, asks its JSON API what the page
// should show for the default prompt, lets headless Chromium load the page
// and run its JavaScript, and checks the DOM Chromium dumps:
//
//   - the token strip holds exactly the ids /api/tokenize gives;
//   - the next-token panel's top token is /api/next's top token;
//   - the attention panel has one heatmap per layer and head, each of T×T
//     cells, and the logit lens one cell per layer row and position.
//
// It then takes a screenshot and prints its path. The Go tests never need a
// browser; this program is the one place that does.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"html"
	"image/png"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "browsercheck: %v\n", err)
		os.Exit(1)
	}
}

func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("browsercheck", flag.ContinueOnError)
	explore := fs.String("explore", "", "the explorer `binary` (go build -o X ./cmd/explore)")
	chromium := fs.String("chromium", "chromium", "the Chromium `binary`")
	shot := fs.String("screenshot", "explore.png", "where to write the screenshot (`png`)")
	width := fs.Int("width", 1280, "window width of the screenshot, in pixels")
	height := fs.Int("height", 2200, "window height of the screenshot, in pixels")
	timeout := fs.Duration("timeout", 3*time.Minute, "give up after this long")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *explore == "" {
		return errors.New("-explore: the explorer binary is required")
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()

	url, stop, err := start(ctx, *explore, stdout)
	if err != nil {
		return err
	}
	defer stop()

	want, err := expected(url)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "api: %d tokens, %d layers × %d heads, top next token id %d (%q)\n", len(want.ids), want.layers, want.heads, want.topID, want.topText)

	dom, err := chrome(ctx, *chromium, "--dump-dom", url)
	if err != nil {
		return err
	}
	if err := check(string(dom), want); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "page: tokens, next-token top, %d attention heatmaps of %d×%d cells and the logit lens match the API\n", want.layers*want.heads, len(want.ids), len(want.ids))

	if _, err := chrome(ctx, *chromium, "--screenshot="+*shot, fmt.Sprintf("--window-size=%d,%d", *width, *height), "--hide-scrollbars", url); err != nil {
		return err
	}
	f, err := os.Open(*shot)
	if err != nil {
		return fmt.Errorf("screenshot %s: %w", *shot, err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		return fmt.Errorf("screenshot %s: %w", *shot, err)
	}
	fmt.Fprintf(stdout, "screenshot: %s (%d×%d)\n", *shot, img.Bounds().Dx(), img.Bounds().Dy())
	return nil
}

// start runs the explorer on a free loopback port and returns its URL once
// it prints "explorer ready at", and a function that stops it.
func start(ctx context.Context, bin string, stdout io.Writer) (string, func(), error) {
	cmd := exec.CommandContext(ctx, bin, "-addr", "127.0.0.1:0")
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return "", nil, err
	}
	if err := cmd.Start(); err != nil {
		return "", nil, fmt.Errorf("-explore %s: %w", bin, err)
	}
	stop := func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	}
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintf(stdout, "explore: %s\n", line)
			if u, ok := strings.CutPrefix(line, "explorer ready at "); ok {
				urls <- strings.TrimSpace(u)
			}
		}
		close(urls)
	}()
	select {
	case u, ok := <-urls:
		if !ok {
			stop()
			return "", nil, errors.New("the explorer exited before it was ready")
		}
		return u, stop, nil
	case <-ctx.Done():
		stop()
		return "", nil, fmt.Errorf("the explorer was not ready in time: %w", ctx.Err())
	}
}

// want is what the API says the page must show.
type want struct {
	ids           []int
	layers, heads int
	topID         int
	topText       string
}

// expected asks the API for the default prompt's tokens, the next-token
// distribution under the page's default controls, and the model's shape.
func expected(url string) (want, error) {
	var card struct {
		Config struct {
			Layers int `json:"n_layer"`
			Heads  int `json:"n_head"`
		} `json:"config"`
		Tokenizer struct {
			Type string `json:"type"`
		} `json:"tokenizer"`
		DefaultPrompt string `json:"default_prompt"`
		DefaultIDs    []int  `json:"default_ids"`
	}
	if err := call(url+"api/model", nil, &card); err != nil {
		return want{}, err
	}
	var tok struct {
		IDs []int `json:"ids"`
	}
	body := map[string]any{"text": card.DefaultPrompt}
	if card.Tokenizer.Type == "none" {
		body = map[string]any{"ids": card.DefaultIDs}
	}
	if err := call(url+"api/tokenize", body, &tok); err != nil {
		return want{}, err
	}
	var next struct {
		Top []struct {
			ID   int    `json:"id"`
			Text string `json:"text"`
		} `json:"top"`
	}
	// The page's defaults: temperature 1, top-k 0 (all), top-p 1, 12 shown.
	if err := call(url+"api/next", map[string]any{"ids": tok.IDs, "temperature": 1, "top_k": 0, "top_p": 1, "k": 12}, &next); err != nil {
		return want{}, err
	}
	if len(tok.IDs) == 0 || len(next.Top) == 0 || card.Config.Layers == 0 || card.Config.Heads == 0 {
		return want{}, fmt.Errorf("the API answered an empty model card, tokenization or distribution (%d ids, %d candidates, %d×%d heads)", len(tok.IDs), len(next.Top), card.Config.Layers, card.Config.Heads)
	}
	return want{ids: tok.IDs, layers: card.Config.Layers, heads: card.Config.Heads, topID: next.Top[0].ID, topText: next.Top[0].Text}, nil
}

// call GETs (body nil) or POSTs JSON to url and decodes the answer into out.
func call(url string, body any, out any) error {
	var resp *http.Response
	var err error
	if body == nil {
		resp, err = http.Get(url)
	} else {
		b, _ := json.Marshal(body)
		resp, err = http.Post(url, "application/json", bytes.NewReader(b))
	}
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: HTTP %d: %s", url, resp.StatusCode, b)
	}
	return json.Unmarshal(b, out)
}

// chrome runs headless Chromium on url with extra flags, giving the page's
// JavaScript ten seconds of virtual time, and returns what it prints.
func chrome(ctx context.Context, bin string, args ...string) ([]byte, error) {
	url := args[len(args)-1]
	full := append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--virtual-time-budget=10000"}, args[:len(args)-1]...)
	full = append(full, url)
	cmd := exec.CommandContext(ctx, bin, full...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w\n%s", bin, strings.Join(full, " "), err, lastLines(stderr.String(), 10))
	}
	return out, nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// check compares the dumped DOM with what the API said.
func check(dom string, w want) error {
	body, err := attrs(dom, "body")
	if err != nil {
		return err
	}
	if body["data-ready"] != "1" {
		return errors.New("the page's JavaScript never finished its first analysis (no data-ready on <body>)")
	}
	tokens, err := attrs(dom, `id="tokens"`)
	if err != nil {
		return err
	}
	if got, want := tokens["data-ids"], join(w.ids); got != want {
		return fmt.Errorf("token strip shows ids %s, the API gives %s", got, want)
	}
	if got := strings.Count(dom, `<span class="tok`); got < len(w.ids) {
		return fmt.Errorf("token strip has %d token chips, want at least %d", got, len(w.ids))
	}
	next, err := attrs(dom, `id="next"`)
	if err != nil {
		return err
	}
	if got := next["data-top-id"]; got != strconv.Itoa(w.topID) {
		return fmt.Errorf("next-token panel's top token is id %s (%q), the API's is %d (%q)", got, next["data-top-text"], w.topID, w.topText)
	}
	attn, err := attrs(dom, `id="attention"`)
	if err != nil {
		return err
	}
	T := len(w.ids)
	if got, want := attn["data-cells"], strconv.Itoa(w.layers*w.heads*T*T); got != want {
		return fmt.Errorf("attention panel drew %s cells, want %d layers × %d heads × %d×%d = %s", got, w.layers, w.heads, T, T, want)
	}
	if got := len(regexp.MustCompile(`<canvas data-layer="\d+" data-head="\d+"`).FindAllString(dom, -1)); got != w.layers*w.heads {
		return fmt.Errorf("attention panel has %d heatmaps, want %d", got, w.layers*w.heads)
	}
	lens, err := attrs(dom, `id="lens"`)
	if err != nil {
		return err
	}
	if got, want := lens["data-cells"], strconv.Itoa((w.layers+1)*T); got != want {
		return fmt.Errorf("logit lens has %s cells, want (%d layers + embeddings) × %d positions = %s", got, w.layers, T, want)
	}
	return nil
}

// attrs returns the attributes of the first start tag in dom that begins
// with "<"+marker (a tag name) or contains marker (an attribute).
var attrRE = regexp.MustCompile(`([a-zA-Z-]+)="([^"]*)"`)

func attrs(dom, marker string) (map[string]string, error) {
	i := strings.Index(dom, "<"+marker)
	if i < 0 {
		i = strings.Index(dom, marker)
		if i < 0 {
			return nil, fmt.Errorf("the page has no element %s", marker)
		}
		i = strings.LastIndex(dom[:i], "<")
	}
	end := strings.Index(dom[i:], ">")
	if end < 0 {
		return nil, fmt.Errorf("element %s is not closed", marker)
	}
	out := map[string]string{}
	for _, m := range attrRE.FindAllStringSubmatch(dom[i:i+end], -1) {
		out[m[1]] = html.UnescapeString(m[2])
	}
	return out, nil
}

func join(ids []int) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.Itoa(id)
	}
	return strings.Join(s, ",")
}
