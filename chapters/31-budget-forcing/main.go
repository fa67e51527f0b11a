// Chapter 31 — budget forcing.
//
// A tiny GPT learns multi-digit addition written as a thinking trace,
// "478+365 think\n" → "<think>\n…one scratchpad line per digit…\n</think>\nA:843\n".
// Its training traces are not all tidy: some thinkers quit early and answer
// anyway (arith.ThinkStop), some pause with a line "Wait" and then finish
// (arith.ThinkWait), the rest think to the end. So the trained model, sampled
// at a temperature, sometimes wants to stop thinking too soon.
//
// Budget forcing (s1) controls the length of thinking from outside, one
// token at a time (reason.Budget over a KV-cached part4.TokenSampler):
//
//   - a maximum: after Max thinking tokens "</think>" is appended by force
//     and the model must answer from what it has;
//   - a minimum: while fewer than Min thinking tokens are written, a
//     "</think>" the model proposes is dropped and "Wait" appended instead
//     (at most MaxWaits times), so it keeps thinking.
//
// The program measures held-out accuracy against the maximum (as a
// fraction of the mean length of a gold trace, plus no limit), and with
// and without the minimum, counting the Waits actually inserted. Every
// setting replays the same random draws per problem, so two settings
// differ only where forcing changed the text, and the rescued / broken
// counts are paired.
//
//	go run ./chapters/31-budget-forcing [-digits 3] [-steps 1500] [-temp 1] [-budgets 0,0.25,0.5,0.75,1,1.25] [-waits 1,2] [-out out/31-budget-forcing]
package main

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"

	"transformers/chapters/internal/part2"
	"transformers/chapters/internal/part4"
	"transformers/chapters/internal/show"
	"transformers/nn/plot"
	"transformers/reason"
	"transformers/reason/arith"
)

func main() {
	if err := run(os.Stdout, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "31-budget-forcing:", err)
		os.Exit(2)
	}
}

// setting is one way of forcing: a Budget, or (zero) no thinking at all.
type setting struct {
	name string
	b    reason.Budget
	zero bool // "</think>" straight after "<think>"
	frac float64
}

// result is a setting's outcome on every held-out problem.
type result struct {
	setting
	traces []reason.Trace
	ok     []bool
	calls  int // model calls (the forced answer prefix costs none)
}

func (r result) acc() float64 { return part4.Frac(r.ok) }

// sum adds f over the traces.
func (r result) sum(f func(reason.Trace) int) int {
	s := 0
	for _, t := range r.traces {
		s += f(t)
	}
	return s
}

// mean returns the mean of f over the traces.
func (r result) mean(f func(reason.Trace) int) float64 {
	return float64(r.sum(f)) / float64(max(1, len(r.traces)))
}

func thinkTokens(t reason.Trace) int { return t.ThinkTokens }
func waitsIn(t reason.Trace) int     { return t.WaitsInserted }

func (r result) count(f func(reason.Trace) bool) int {
	n := 0
	for _, t := range r.traces {
		if f(t) {
			n++
		}
	}
	return n
}

func run(w io.Writer, args []string) error {
	fs, seed, out := part2.Flags("31-budget-forcing")
	cfg := part4.Config{Layers: 2, DModel: 64, Steps: 1500, Batch: 32, LR: 1e-2}
	digits := fs.Int("digits", 3, "digits of each operand")
	nTrain := fs.Int("train", 4000, "training problems (one trace each)")
	nTest := fs.Int("test", 200, "held-out problems")
	stop := fs.Float64("stop", 0.25, "share of training traces that quit thinking early")
	wait := fs.Float64("wait", 0.2, `share of training traces with a "Wait" line`)
	temp := fs.Float64("temp", 1, "sampling temperature (0: greedy)")
	budgetsFlag := fs.String("budgets", "0,0.25,0.5,0.75,1,1.25", "thinking budgets (Max) as fractions of the mean gold thinking length; an unlimited row is always added")
	waitsFlag := fs.String("waits", "1,2", "MaxWaits values tried with a thinking minimum")
	fs.IntVar(&cfg.Steps, "steps", cfg.Steps, "optimizer updates")
	fs.IntVar(&cfg.Batch, "batch", cfg.Batch, "examples per update")
	fs.IntVar(&cfg.Layers, "layers", cfg.Layers, "transformer blocks")
	fs.IntVar(&cfg.DModel, "d-model", cfg.DModel, "residual width (4 heads)")
	fs.Float64Var(&cfg.LR, "lr", cfg.LR, "peak learning rate")
	fs.SetOutput(w)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := part2.Positive("digits", *digits, "train", *nTrain, "test", *nTest); err != nil {
		return err
	}
	if *digits > 6 {
		return fmt.Errorf("-digits %d: at most 6", *digits)
	}
	if !(*stop >= 0 && *wait >= 0 && *stop+*wait <= 1) {
		return fmt.Errorf("-stop %g and -wait %g: each must be ≥ 0 and their sum ≤ 1", *stop, *wait)
	}
	if !(*temp >= 0) || math.IsInf(*temp, 1) {
		return fmt.Errorf("-temp %g: must be ≥ 0", *temp)
	}
	fracs, err := floats("budgets", *budgetsFlag)
	if err != nil {
		return err
	}
	waits, err := ints("waits", *waitsFlag)
	if err != nil {
		return err
	}
	cfg.Seed = *seed
	part2.Intro(w, `Chapter 31 · Budget forcing: cut thinking short, or make it go on with "Wait"`, *seed, *out)

	show.Heading(w, "The task: addition thought out inside <think> … </think>")
	ac := arith.Config{Op: arith.Add, MinDigits: *digits, MaxDigits: *digits, Format: arith.Think}
	train := arith.Generate(part2.Rng(*seed, 1), ac, arith.Train, *nTrain)
	test := arith.Generate(part2.Rng(*seed, 2), ac, arith.HeldOut, *nTest)
	data := part4.ThinkMix(train, *stop, *wait, part2.Rng(*seed, 3))
	tok := part4.Tokenizer()
	ex := test[0]
	k := len(ex.GoldSteps()) / 2
	fmt.Fprintf(w, "full trace       %q → %q\n", ex.Prompt(), ex.Completion())
	fmt.Fprintf(w, "quits early      %q → %q\n", ex.Prompt(), ex.ThinkStop(k))
	fmt.Fprintf(w, "pauses to Wait   %q → %q\n", ex.Prompt(), ex.ThinkWait(k))
	var nStop, nWait int
	for i, e := range data { // data[i] is train[i]'s trace
		switch {
		case strings.Contains(e.Completion, arith.Wait):
			nWait++
		case len(arith.ParseSteps(e.Completion)) < len(train[i].GoldSteps()):
			nStop++
		}
	}
	gold := make([]int, len(test))
	gmin, gmax, gsum := math.MaxInt, 0, 0
	for i, p := range test {
		gold[i] = part4.ThinkTokens(tok, p.Completion())
		gmin, gmax, gsum = min(gmin, gold[i]), max(gmax, gold[i]), gsum+gold[i]
	}
	gmean := float64(gsum) / float64(len(test))
	// The context holds the longest training example plus room for three
	// more Waits (a trace that runs out of room stops: the sampler returns "").
	wtoks := len(tok.EncodeWithSpecials(arith.Wait + "\n"))
	cfg.Context = part4.Context(tok, data) + 3*wtoks
	show.KV(w, "training traces", fmt.Sprintf("%d problems of %d digits, one trace each: %d full, %d quit early, %d with a Wait", len(train), *digits, len(data)-nStop-nWait, nStop, nWait),
		"held-out problems", fmt.Sprintf("%d, disjoint from training by a hash of the question", len(test)),
		"gold thinking length", fmt.Sprintf("%d … %d tokens, mean %.1f (between <think> and </think>)", gmin, gmax, gmean),
		`"Wait\n"`, fmt.Sprintf("%d tokens (W and a are byte tokens: not in the alphabet); reason.Budget counts an inserted one as 1 thinking token", wtoks))

	show.Heading(w, fmt.Sprintf("Training: %d layers, d_model %d, %d updates of %d traces", cfg.Layers, cfg.DModel, cfg.Steps, cfg.Batch))
	tm, err := part4.LoadOrTrain(w, *out, "model", cfg, data)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "%d parameters, context %d", tm.Model.ParamCount().Total, cfg.Context)
	if !tm.Cached {
		fmt.Fprintf(w, ", trained in %.1f s", tm.Time.Seconds())
	}
	fmt.Fprintln(w)

	ans := *digits + 8 // "\nA:" + up to digits+1 digits + "\n" + EOS, with slack
	base := reason.Budget{Wait: arith.Wait + "\n", End: arith.ThinkEnd, AnswerTokens: ans}
	gen := &part4.TokenSampler{T: tm, Temperature: *temp}
	eval := func(s setting) result { return evaluate(gen, test, s, *seed) }

	show.Heading(w, fmt.Sprintf("Forcing the end of thinking: accuracy against the budget (temperature %g)", *temp))
	var sweep []result
	for _, f := range fracs {
		b := base
		b.Max = int(math.Round(f * gmean))
		s := setting{name: fmt.Sprintf("%g × mean", f), b: b, zero: b.Max == 0, frac: f}
		sweep = append(sweep, eval(s))
	}
	free := eval(setting{name: "unlimited", b: base, frac: math.Inf(1)})
	sweep = append(sweep, free)
	var rows [][]string
	for _, r := range sweep {
		mx := "none"
		if !math.IsInf(r.frac, 1) {
			mx = strconv.Itoa(r.b.Max)
		}
		rows = append(rows, []string{r.name, mx, part4.Pct(r.acc()),
			fmt.Sprintf("%.1f", r.mean(thinkTokens)),
			part4.Pct(float64(r.count(func(t reason.Trace) bool { return t.ForcedEnd })) / float64(len(test))),
			part4.Pct(float64(r.count(func(t reason.Trace) bool { _, ok := arith.ParseAnswer(t.Text); return ok })) / float64(len(test))),
			fmt.Sprintf("%.1f", float64(r.calls)/float64(len(test)))})
	}
	show.Table(w, []string{"budget", "max thinking tokens", "accuracy", "mean thinking tokens", "end forced", "answer parsed", "model calls"}, rows)
	fmt.Fprintln(w, `after "</think>" the model is handed "A:" (as s1 appends "Final Answer:"); a cut in the middle of a`)
	fmt.Fprintln(w, `scratchpad line is something it never saw in training, and "answer parsed" counts the answers that are a number`)

	// Where the unforced model stops on its own.
	var early, earlyOK, full, fullOK int
	for i, t := range free.traces {
		if len(arith.ParseSteps(t.Text)) < len(test[i].GoldSteps()) && !strings.Contains(t.Text, arith.Wait) {
			early++
			if free.ok[i] {
				earlyOK++
			}
		} else {
			full++
			if free.ok[i] {
				fullOK++
			}
		}
	}
	fmt.Fprintf(w, "left alone, the model quit before the last scratchpad line on %d of %d problems (%s of those answers right); on the other %d, %s right\n",
		early, len(test), part4.Pct(float64(earlyOK)/float64(max(1, early))), full, part4.Pct(float64(fullOK)/float64(max(1, full))))

	show.Heading(w, `Extending thinking with "Wait": a minimum number of thinking tokens`)
	ext := []result{free}
	for _, mn := range []struct {
		name string
		v    int
	}{{"shortest gold", gmin}, {"longest gold", gmax}} {
		for _, mw := range waits {
			b := base
			b.Min, b.MaxWaits = mn.v, mw
			ext = append(ext, eval(setting{name: mn.name, b: b}))
		}
	}
	rows = rows[:0]
	totalWaits := 0
	for _, r := range ext {
		inserted := r.count(func(t reason.Trace) bool { return t.WaitsInserted > 0 })
		ins := r.sum(waitsIn)
		inText := 0
		for _, t := range r.traces {
			inText += strings.Count(t.Text, arith.Wait+"\n")
		}
		totalWaits += ins
		rescued, broken := pairs(r, free)
		name := "none (min 0)"
		if r.b.Min > 0 {
			name = r.name
		}
		perProblem := "-"
		if inserted > 0 {
			perProblem = fmt.Sprintf("%.2f", float64(ins)/float64(inserted))
		}
		rows = append(rows, []string{name, strconv.Itoa(r.b.Min), strconv.Itoa(r.b.MaxWaits), part4.Pct(r.acc()),
			strconv.Itoa(ins), strconv.Itoa(inserted), perProblem, strconv.Itoa(inText - ins),
			fmt.Sprintf("%.1f", r.mean(thinkTokens)),
			strconv.Itoa(rescued), strconv.Itoa(broken), fmt.Sprintf("%+d", rescued-broken)})
	}
	show.Table(w, []string{"minimum", "min tokens", "max Waits", "accuracy", "Waits inserted", "problems with a Wait", "Waits per such problem", "model's own Waits", "mean thinking tokens", "rescued", "broken", "net"}, rows)
	fmt.Fprintln(w, `"rescued": wrong with no minimum, right with it; "broken": the reverse (same random draws per problem in every row).`)
	fmt.Fprintln(w, `A Wait inserted where the model would have stopped early lets it finish the scratchpad; a minimum above a`)
	fmt.Fprintln(w, `problem's full trace inserts Waits after finished work too: training traces show that rarely, and never twice in a row.`)
	fmt.Fprintf(w, "Waits inserted over all rows: %d\n", totalWaits)

	// One rescued trace, to see what a Wait did.
	for _, r := range ext[1:] {
		shown := false
		for i, t := range r.traces {
			if t.WaitsInserted > 0 && r.ok[i] && !free.ok[i] {
				fmt.Fprintf(w, "e.g. %s = %d with min %d: unforced %q\n    forced %q\n", test[i].Question(), test[i].Result(), r.b.Min, free.traces[i].Text, t.Text)
				shown = true
				break
			}
		}
		if shown {
			break
		}
	}

	ch := &plot.LineChart{Title: "Chapter 31: accuracy against thinking", XLabel: "mean thinking tokens", YLabel: "held-out accuracy", YMin: 0, YMax: 1.3} // room above 1 for the legend
	var xs, ys []float64
	for _, r := range sweep {
		xs = append(xs, r.mean(thinkTokens))
		ys = append(ys, r.acc())
	}
	ch.Add("end forced at a budget", xs, ys)
	for _, mw := range waits {
		var ex, ey []float64
		for _, r := range ext {
			if r.b.Min == 0 || r.b.MaxWaits == mw {
				ex = append(ex, r.mean(thinkTokens))
				ey = append(ey, r.acc())
			}
		}
		ch.Add(fmt.Sprintf("minimum, up to %d Waits", mw), ex, ey)
	}
	if err := part2.Write(w, ch, *out, "accuracy.png"); err != nil {
		return err
	}

	best := ext[0]
	for _, r := range ext[1:] {
		if r.acc() > best.acc() {
			best = r
		}
	}
	fmt.Fprintf(w, "headline: thinking budget %s → %s, unlimited → %s", sweep[0].name, part4.Pct(sweep[0].acc()), part4.Pct(free.acc()))
	if best.b.Min == 0 {
		fmt.Fprintf(w, "; no Wait minimum beat thinking unforced\n")
	} else {
		rescued, broken := pairs(best, free)
		fmt.Fprintf(w, "; Waits helped: min %d tokens with up to %d Waits (%d inserted) → %s (%d rescued, %d broken)\n",
			best.b.Min, best.b.MaxWaits, best.sum(waitsIn), part4.Pct(best.acc()), rescued, broken)
	}
	return nil
}

// pairs counts the problems r gets right and base wrong (rescued) and the
// reverse (broken).
func pairs(r, base result) (rescued, broken int) {
	for i := range r.ok {
		switch {
		case r.ok[i] && !base.ok[i]:
			rescued++
		case !r.ok[i] && base.ok[i]:
			broken++
		}
	}
	return rescued, broken
}

// answerPrefix is what follows "</think>": the model is handed the start
// of the answer line, as s1 appends "Final Answer:" after forcing the end
// of thinking — so an answer comes even when thinking was cut mid-line.
const answerPrefix = "\n" + arith.AnswerPrefix

// prefixed wraps a TokenSampler: once thinking has ended it writes
// answerPrefix itself, one character per call, and leaves the rest to the
// model, whose calls it counts.
type prefixed struct {
	gen   reason.TokenSampler
	calls int
}

func (p *prefixed) Next(text string, rng *rand.Rand) string {
	if _, after, ok := strings.Cut(text, arith.ThinkEnd); ok && len(after) < len(answerPrefix) && strings.HasPrefix(answerPrefix, after) {
		return answerPrefix[len(after) : len(after)+1]
	}
	p.calls++
	return p.gen.Next(text, rng)
}

// evaluate runs setting s on every problem, the answer prefix forced (see
// prefixed). Problem i draws from its own generator seeded by (seed, 1000+i)
// in every setting, so two settings see the same samples until forcing
// changes the text.
func evaluate(model reason.TokenSampler, test []arith.Problem, s setting, seed uint64) result {
	r := result{setting: s}
	gen := &prefixed{gen: model}
	for i, p := range test {
		rng := rand.New(rand.NewPCG(seed, 1000+uint64(i)))
		prompt := p.Prompt() + arith.ThinkStart
		var tr reason.Trace
		if s.zero {
			tr = answerNow(gen, s.b, prompt, rng)
		} else {
			tr = s.b.Generate(gen, prompt, rng)
		}
		r.traces = append(r.traces, tr)
		r.ok = append(r.ok, p.Verify(tr.Text))
	}
	r.calls = gen.calls
	return r
}

// answerNow is budget forcing with a budget of zero: "</think>" straight
// after the prompt, then the answer.
func answerNow(gen reason.TokenSampler, b reason.Budget, prompt string, rng *rand.Rand) reason.Trace {
	t := reason.Trace{ForcedEnd: true}
	text := b.End
	for range b.AnswerTokens {
		t.Calls++
		tok := gen.Next(prompt+text, rng)
		if tok == "" {
			break
		}
		text += tok
	}
	t.Text = text
	return t
}

// floats parses a comma-separated list of numbers ≥ 0 for flag name.
func floats(name, s string) ([]float64, error) {
	var out []float64
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil || v < 0 || math.IsNaN(v) || math.IsInf(v, 0) || v > 4 {
			return nil, fmt.Errorf("-%s %q: want comma-separated fractions in [0, 4]", name, s)
		}
		out = append(out, v)
	}
	return out, nil
}

// ints parses a comma-separated list of positive integers for flag name.
func ints(name, s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || v < 1 || v > 16 {
			return nil, fmt.Errorf("-%s %q: want comma-separated integers in 1…16", name, s)
		}
		out = append(out, v)
	}
	return out, nil
}
