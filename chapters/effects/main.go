// Command effects runs chapters on several seeds and prints one table of
// their headline effects: each chapter whose point is "technique X improves
// Y" prints a line (package chapters/internal/effect) with Y before and
// after X on the same held-out items, the paired gain and its standard
// error; this program collects those lines over the seeds and reports, per
// effect, the gain on each seed, its mean, min and max, and whether it was
// positive, and more than twice its standard error, on every seed.
//
//	go run ./chapters/effects                         # every chapter that reports an effect, seeds 1,2,3
//	go run ./chapters/effects -chapters 32 -seeds 1,2,3,4,5
//
// Each chapter runs with its defaults (about two minutes each), so the full
// table takes a while; `make effects` runs it.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"transformers/chapters/internal/effect"
	"transformers/chapters/internal/show"
)

// Reporting lists the chapters that print an effect line.
var Reporting = []string{"20-sft", "22-reward-model", "23-ppo", "24-dpo", "25-chain-of-thought", "26-self-consistency", "29-best-of-n", "30-mcts", "32-grpo", "33-distillation"}

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintf(os.Stderr, "effects: %v\n", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("effects", flag.ContinueOnError)
	fs.SetOutput(stderr)
	chapters := fs.String("chapters", strings.Join(Reporting, ","), "comma-separated chapter `dirs` under chapters/ (or their numbers)")
	seedList := fs.String("seeds", "1,2,3", "comma-separated `seeds`")
	if err := fs.Parse(args); err != nil {
		return err
	}
	seeds, err := parseSeeds(*seedList)
	if err != nil {
		return err
	}
	dirs, err := resolve(*chapters)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "effects-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	var order []key
	results := map[key]map[uint64]effect.Result{}
	for _, dir := range dirs {
		bin := filepath.Join(tmp, dir)
		if out, err := exec.Command("go", "build", "-o", bin, "./chapters/"+dir).CombinedOutput(); err != nil {
			return fmt.Errorf("-chapters %s: go build: %v\n%s", dir, err, out)
		}
		for _, seed := range seeds {
			t0 := time.Now()
			out, err := runChapter(bin, dir, seed, filepath.Join(tmp, "out", dir, strconv.FormatUint(seed, 10)))
			if err != nil {
				return err
			}
			rs := effect.Lines(out)
			for _, r := range rs {
				k := key{dir, r.Name}
				if _, seen := results[k]; !seen {
					order = append(order, k)
					results[k] = map[uint64]effect.Result{}
				}
				results[k][seed] = r
			}
			n := len(rs)
			fmt.Fprintf(stderr, "%s -seed %d: %d effect line(s) in %s\n", dir, seed, n, time.Since(t0).Round(time.Second))
			for _, r := range rs {
				fmt.Fprintf(stderr, "  %s: gain %+.2f ± %.2f, n %d\n", r.Name, r.Gain, r.SE, r.N)
			}
			if n == 0 {
				return fmt.Errorf("-chapters %s: -seed %d printed no effect line", dir, seed)
			}
		}
	}

	head, rows := summarize(seeds, order, results)
	show.Heading(stdout, fmt.Sprintf("Headline effects on seeds %s (gain ± paired standard error, points)", *seedList))
	show.Table(stdout, head, rows)
	return nil
}

// runChapter runs one chapter binary from the repository root (so shipped
// bases are found), with its output files under out when it takes -out.
func runChapter(bin, dir string, seed uint64, out string) ([]byte, error) {
	args := []string{"-seed", strconv.FormatUint(seed, 10)}
	help, _ := exec.Command(bin, "-h").CombinedOutput()
	if bytes.Contains(help, []byte("-out")) {
		args = append(args, "-out", out)
	}
	cmd := exec.Command(bin, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	b, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%s %s: %v\n%s", dir, strings.Join(args, " "), err, stderr.String())
	}
	return b, nil
}

func yes(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func parseSeeds(s string) ([]uint64, error) {
	var out []uint64
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.ParseUint(strings.TrimSpace(f), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("-seeds %q: %q is not a seed", s, f)
		}
		out = append(out, v)
	}
	return out, nil
}

// resolve turns "32,26-self-consistency" into chapter directories.
func resolve(list string) ([]string, error) {
	entries, err := os.ReadDir("chapters")
	if err != nil {
		return nil, fmt.Errorf("run from the repository root: %w", err)
	}
	var out []string
	for _, f := range strings.Split(list, ",") {
		f = strings.TrimSpace(f)
		found := ""
		for _, e := range entries {
			if e.IsDir() && (e.Name() == f || strings.HasPrefix(e.Name(), f+"-")) {
				found = e.Name()
			}
		}
		if found == "" {
			return nil, fmt.Errorf("-chapters: no chapter %q under chapters/", f)
		}
		out = append(out, found)
	}
	return out, nil
}

// key names one effect of one chapter.
type key struct{ chapter, name string }

// summarize builds the table: per effect, the gain ± SE on each seed, the
// mean, min and max of the gain, and whether it was positive, and more than
// twice its standard error, on every seed (an effect a seed did not report
// counts as neither).
func summarize(seeds []uint64, order []key, results map[key]map[uint64]effect.Result) ([]string, [][]string) {
	head := []string{"chapter", "effect", "n"}
	for _, s := range seeds {
		head = append(head, fmt.Sprintf("gain, seed %d", s))
	}
	head = append(head, "mean", "min", "max", "> 0 every seed", "> 2 SE every seed")
	var rows [][]string
	for _, k := range order {
		rs := results[k]
		var first effect.Result
		for _, seed := range seeds {
			if r, ok := rs[seed]; ok {
				first = r
				break
			}
		}
		row := []string{k.chapter, k.name + " (" + first.Before + " → " + first.After + ")", strconv.Itoa(first.N)}
		var gains []float64
		pos, sig := true, true
		for _, seed := range seeds {
			r, ok := rs[seed]
			if !ok {
				row = append(row, "—")
				pos, sig = false, false
				continue
			}
			gains = append(gains, r.Gain)
			row = append(row, fmt.Sprintf("%+.1f ± %.1f", r.Gain, r.SE))
			pos = pos && r.Gain > 0
			sig = sig && r.Gain > 2*r.SE
		}
		mean := 0.0
		for _, g := range gains {
			mean += g / float64(len(gains))
		}
		row = append(row, fmt.Sprintf("%+.1f", mean), fmt.Sprintf("%+.1f", slices.Min(gains)), fmt.Sprintf("%+.1f", slices.Max(gains)), yes(pos), yes(sig))
		rows = append(rows, row)
	}
	return head, rows
}
