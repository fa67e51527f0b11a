// Chapter 18 — the KV cache.
//
// Generating token t+1 needs attention of position t over every earlier
// key and value. Those keys and values never change once computed (a
// causal model cannot look ahead), so a cache keeps them per layer and each
// new token costs one query row instead of a forward pass over the whole
// prefix. The program checks that cached and uncached logits agree at every
// position for every kind of position encoding, then times greedy
// generation of 64, 128 and 256 tokens with and without the cache.
//
//	go run ./chapters/18-kv-cache [-seed 1] [-d-model 256] [-layers 4] [-lengths 64,128,256] [-out out/18-kv-cache]
package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"transformers/autograd"
	"transformers/chapters/internal/part2"
	"transformers/chapters/internal/show"
	"transformers/gpt"
	"transformers/nn/plot"
)

func main() {
	if err := run(os.Stdout, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "18-kv-cache:", err)
		os.Exit(2)
	}
}

func run(w io.Writer, args []string) error {
	fs, seed, out := part2.Flags("18-kv-cache")
	dModel := fs.Int("d-model", 128, "width of the timed model (the book's GPT: 256)")
	procs := fs.Int("procs", 1, "cores used while timing (1: the least disturbed by other work on a busy machine)")
	repeats := fs.Int("repeats", 3, "timed runs per length; the fastest counts (the machine may be busy)")
	layers := fs.Int("layers", 4, "blocks of the timed model (the book's GPT: 4)")
	lengthsFlag := fs.String("lengths", "64,128,256", "comma-separated numbers of generated tokens to time")
	checkT := fs.Int("check-t", 40, "positions compared in the logits check")
	fs.SetOutput(w)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := part2.Positive("d-model", *dModel, "layers", *layers, "check-t", *checkT, "repeats", *repeats, "procs", *procs); err != nil {
		return err
	}
	if *dModel%4 != 0 {
		return fmt.Errorf("-d-model %d must be divisible by the 4 heads", *dModel)
	}
	var lengths []int
	for _, f := range strings.Split(*lengthsFlag, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return fmt.Errorf("-lengths %q: %q is not a positive number", *lengthsFlag, f)
		}
		lengths = append(lengths, n)
	}
	part2.Intro(w, "Chapter 18 · The KV cache", *seed, *out)
	data := part2.LoadCorpus(20_000)
	V := data.Tok.VocabSize()
	prompt := data.Tok.Encode("Once upon a time")

	show.Heading(w, "What the cache holds: every layer's keys and values, growing by one position per token")
	small := gpt.DefaultConfig(V)
	small.DModel, small.DFF, small.Layers, small.Heads = 64, 256, 2, 4
	m := gpt.New(small, part2.Rng(*seed, 1))
	cache := m.NewKVCache(1)
	g := autograd.NoGrad()
	m.Forward(g, prompt, 1, len(prompt), gpt.ForwardOptions{Cache: cache})
	var rows [][]string
	rows = append(rows, []string{fmt.Sprintf("prompt (%d tokens)", len(prompt)), fmt.Sprint(cache.Len), fmt.Sprint(cache.KeyShape()), fmt.Sprint(cache.Layers[0].K.Shape)})
	next := prompt[len(prompt)-1]
	for i := range 3 {
		m.Forward(g, []int{next}, 1, 1, gpt.ForwardOptions{Cache: cache})
		rows = append(rows, []string{fmt.Sprintf("+ token %d", i+1), fmt.Sprint(cache.Len), fmt.Sprint(cache.KeyShape()), fmt.Sprint(cache.Layers[0].K.Shape)})
	}
	show.Table(w, []string{"after", "cache.Len", "layer 0 keys (and values) [B, H, T, D]", "buffer [B, H, capacity, D]"}, rows)
	fmt.Fprintln(w, "the buffers have room for more positions and double when full, so a new token copies only its own keys and values")
	fmt.Fprintf(w, "size: 2 (K and V) × layers × positions × d_model floats; for the book's GPT at 256 positions 2×4×256×256×4 B = %d KiB\n", 2*4*256*256*4/1024)

	show.Heading(w, fmt.Sprintf("Identical logits: one pass over %d tokens vs the prompt then one token at a time", *checkT))
	ids := append([]int(nil), data.Train[:*checkT]...)
	var check [][]string
	worst := 0.0
	for _, pos := range []string{gpt.PosLearned, gpt.PosSinusoidal, gpt.PosALiBi, gpt.PosRoPE} {
		c := small
		c.Positions = pos
		mm := gpt.New(c, part2.Rng(*seed, 2))
		full := mm.Logits(g, ids, 1, *checkT).Value.Data
		kv := mm.NewKVCache(1)
		p := len(prompt)
		got := append([]float32(nil), mm.Forward(g, ids[:p], 1, p, gpt.ForwardOptions{Cache: kv}).Logits.Value.Data...)
		for t := p; t < *checkT; t++ {
			got = append(got, mm.Forward(g, ids[t:t+1], 1, 1, gpt.ForwardOptions{Cache: kv}).Logits.Value.Data...)
		}
		d := part2.MaxAbsDiff(full, got)
		worst = max(worst, d)
		check = append(check, []string{pos, fmt.Sprint(*checkT), fmt.Sprint(len(full) / V), part2.Sci(d)})
	}
	show.Table(w, []string{"positions", "tokens", "logit rows compared", "max |uncached − cached|"}, check)
	if worst == 0 {
		fmt.Fprintln(w, "bit-identical: each cached row is computed with the same sums in the same order as in the full pass.")
	} else {
		fmt.Fprintln(w, "the differences are float32 rounding: a one-row matmul may sum in another order than the full one.")
	}

	cfg := gpt.DefaultConfig(V)
	cfg.DModel, cfg.DFF, cfg.Layers = *dModel, 4**dModel, *layers
	longest := 0
	for _, n := range lengths {
		longest = max(longest, n)
	}
	cfg.Context = max(cfg.Context, len(prompt)+longest)
	big := gpt.New(cfg, part2.Rng(*seed, 3))
	show.Heading(w, fmt.Sprintf("Timed: greedy generation after a %d-token prompt (d_model %d, %d layers, %d parameters, best of %d on %d core(s))", len(prompt), *dModel, *layers, big.ParamCount().Total, *repeats, *procs))
	var trows [][]string
	chart := &plot.LineChart{Title: "greedy generation time", XLabel: "generated tokens", YLabel: "seconds"}
	var xs, cached, uncached []float64
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(*procs))
	// Rounds over all lengths, keeping each length's fastest run: a burst of
	// other work on the machine then spoils one round, not one length.
	best := make([]timing, len(lengths))
	for r := range *repeats {
		for i, n := range lengths {
			t := measure(big, prompt, n)
			if r == 0 {
				best[i] = t
			}
			for k := range t.d {
				best[i].d[k] = min(best[i].d[k], t.d[k])
			}
			best[i].same = best[i].same && t.same
		}
	}
	_, hasCPU := part2.CPUTime()
	for i, n := range lengths {
		t := best[i]
		row := []string{fmt.Sprint(n), part2.Ms(t.d[0]), part2.Ms(t.d[1]), fmt.Sprintf("%.2f×", float64(t.d[1])/float64(t.d[0]))}
		if hasCPU {
			row = append(row, part2.Ms(t.d[2]), part2.Ms(t.d[3]), fmt.Sprintf("%.2f×", float64(t.d[3])/float64(t.d[2])))
		}
		trows = append(trows, append(row, fmt.Sprint(t.same)))
		xs = append(xs, float64(n))
		cached = append(cached, t.d[0].Seconds())
		uncached = append(uncached, t.d[1].Seconds())
	}
	header := []string{"tokens", "with cache", "without", "speed-up"}
	if hasCPU {
		header = append(header, "CPU with", "CPU without", "CPU speed-up")
	}
	show.Table(w, append(header, "same tokens"), trows)
	if hasCPU {
		fmt.Fprintln(w, "(wall time is what a user waits; CPU time is the work done, and is less disturbed by other programs on the machine)")
	}
	chart.Add("without cache", xs, uncached)
	chart.Add("with cache", xs, cached)
	if err := part2.Write(w, chart, *out, "speedup.png"); err != nil {
		return err
	}
	fmt.Fprintln(w, "without the cache step t reprocesses all t positions (total work grows like n²); with it each step is one")
	fmt.Fprintln(w, "position (work grows like n), so the speed-up grows with the length. The book measured 1.9× on one layer.")
	return nil
}

// timing holds one length's wall and CPU times: d = [wall cached, wall
// uncached, CPU cached, CPU uncached].
type timing struct {
	d    [4]time.Duration
	same bool
}

// measure times greedy generation of n tokens after prompt with and without
// the cache, and reports whether both produced the same tokens.
func measure(m *gpt.Model, prompt []int, n int) timing {
	c0, _ := part2.CPUTime()
	t0 := time.Now()
	a := m.Generate(prompt, gpt.GenerateOptions{MaxTokens: n, EOS: -1})
	c1, _ := part2.CPUTime()
	t1 := time.Now()
	b := m.Generate(prompt, gpt.GenerateOptions{MaxTokens: n, EOS: -1, NoCache: true})
	c2, _ := part2.CPUTime()
	return timing{d: [4]time.Duration{t1.Sub(t0), time.Since(t1), c1 - c0, c2 - c1}, same: slices.Equal(a, b)}
}
