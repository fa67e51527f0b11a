// Command explore serves a local page for looking inside a GPT: its tokens,
// the next-token distribution under temperature, top-k and top-p (and
// generation through the KV cache, one step at a time), every layer's and
// head's attention with the heads' previous-token and induction scores, the
// logit lens, a live training panel and the model card.
//
//	go run ./cmd/explore                      # the shipped story-world base (testdata/bases/story), at once
//	go run ./cmd/explore -tiny                # a tiny model trained now, in a few seconds
//	go run ./cmd/explore -model out/gpt       # any directory gpt train writes, or a Hugging Face GPT-2 directory
//
// It listens on 127.0.0.1:8080 (-addr; port 0 picks a free one) and prints
// the page's URL once the model is ready.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"transformers/cmd/explore/internal/server"
	"transformers/gpt/modeldir"
	"transformers/gpt/train"
	"transformers/nn/bases"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintf(os.Stderr, "explore: %s\n", strings.ReplaceAll(err.Error(), "\n", "; "))
		os.Exit(2)
	}
}

// run parses the flags, opens or trains the model, and serves until ctx ends.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("explore", flag.ContinueOnError)
	fs.SetOutput(stderr)
	model := fs.String("model", "", "model `dir`ectory (gpt train output, a .safetensors file, or a Hugging Face GPT-2 directory); empty: the shipped story base, hash-verified")
	tiny := fs.Bool("tiny", false, "explore a tiny model trained now for -steps steps instead of the shipped base")
	addr := fs.String("addr", "127.0.0.1:8080", "listen `address` (host:port; port 0 picks a free port)")
	seed := fs.Uint64("seed", 1, "seed of the default tiny model, of training runs started from the page and of the head-score probes")
	steps := fs.Int("steps", 200, "training steps of the tiny model (-tiny, or when the shipped base is missing)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (flags only)", fs.Arg(0))
	}
	if *steps < 1 || *steps > server.MaxTrainSteps {
		return fmt.Errorf("-steps %d: want a value in [1, %d]", *steps, server.MaxTrainSteps)
	}
	var m *server.Model
	var err error
	switch {
	case *model != "" && *tiny:
		return errors.New("-model and -tiny: give one of them")
	case *model != "":
		m, err = openModel(*model)
	case *tiny:
		m, err = tinyModel(ctx, *steps, *seed, stdout)
	default:
		m, err = defaultModel(ctx, *steps, *seed, stdout)
	}
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("-addr %s: %w", *addr, err)
	}
	if host, _, _ := net.SplitHostPort(*addr); !isLoopback(host) {
		fmt.Fprintf(stderr, "explore: warning: listening on %s, which is not loopback: anyone who can reach it can use the explorer\n", ln.Addr())
	}
	srv := server.New(m, server.Options{Seed: *seed, Logf: func(f string, a ...any) { fmt.Fprintf(stderr, f+"\n", a...) }})
	defer srv.Close()
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: time.Minute}
	fmt.Fprintf(stdout, "model: %s\n", m.Source)
	fmt.Fprintf(stdout, "explorer ready at http://%s/\n", ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		hs.Shutdown(sctx)
		return nil
	}
}

// openModel opens -model with modeldir.Load.
func openModel(path string) (*server.Model, error) {
	d, err := modeldir.Load(path)
	if err != nil {
		return nil, fmt.Errorf("-model %w", err)
	}
	source := "loaded from " + path
	switch {
	case d.Kind == modeldir.KindHuggingFace:
		source += " (a Hugging Face GPT-2 checkpoint)"
	case d.Meta["step"] != "":
		source += " (a gpt train checkpoint at step " + d.Meta["step"] + ")"
	}
	if d.Tokenizer == nil {
		source += "; it has no tokenizer, so the page works on token ids"
	}
	return server.NewModel(d, source), nil
}

// StoryBase and storyRebuild name the shipped base the explorer opens by
// default (see nn/bases and chapters/internal/storybase).
const (
	storyBase    = "story"
	storyRebuild = "go run ./chapters/bases -name story"
)

// defaultModel is the model explored without -model: one that needs no
// waiting. That is the shipped story-world base, its hash verified (it
// loads in well under a second); when it is missing or fails its check —
// the explorer run outside the repository, say — it is the tiny recipe
// trained now, and the reason is printed.
func defaultModel(ctx context.Context, steps int, seed uint64, stdout io.Writer) (*server.Model, error) {
	man, path, err := bases.Load(storyBase, storyRebuild)
	if err == nil {
		var m *server.Model
		if m, err = openModel(path); err == nil {
			m.Source = fmt.Sprintf("the shipped story-world base (%s, sha256 %.12s…): %d updates, %d tokens seen, validation loss %.4f nats/char, trained in %.0f s by `%s`", path, man.SHA256, man.Steps, man.Tokens, man.ValLoss, man.WallSeconds, man.Command)
			return m, nil
		}
	}
	fmt.Fprintf(stdout, "shipped base not used: %v\n", err)
	return tinyModel(ctx, steps, seed, stdout)
}

// tinyModel trains the explorer's tiny recipe now on the built-in corpus
// (about three seconds for 200 steps).
func tinyModel(ctx context.Context, steps int, seed uint64, stdout io.Writer) (*server.Model, error) {
	fmt.Fprintf(stdout, "training a tiny model (%d steps on the built-in corpus, seed %d) for a few seconds…\n", steps, seed)
	t0 := time.Now()
	var last train.Metrics
	m, err := server.Tiny{Steps: steps, Seed: seed}.Train(ctx, func(mt train.Metrics) { last = mt })
	if err != nil {
		return nil, err
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	val := 0.0
	if last.ValLoss != nil {
		val = *last.ValLoss
	}
	fmt.Fprintf(stdout, "trained in %.1f s: validation loss %.3f nats/token\n", time.Since(t0).Seconds(), val)
	return m, nil
}

// isLoopback reports whether host names only this machine.
func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
