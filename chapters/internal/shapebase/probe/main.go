// Command probe trains a text-conditioned DiT recipe into a folder (or loads
// one) and measures shape and colour adherence on seen and held-out prompts
// under several guidance schemes. A development tool for the shapes-text
// base; its figures are what chose the recipe.
package main

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"

	"transformers/chapters/internal/shapebase"
	"transformers/diffusion"
	"transformers/tensor"
)

func main() {
	r := shapebase.TextDefault()
	dir := flag.String("dir", "", "base folder (trained into if -train)")
	trainIt := flag.Bool("train", false, "train the recipe into -dir first")
	flag.IntVar(&r.Steps, "steps", r.Steps, "")
	flag.IntVar(&r.Dim, "dim", r.Dim, "")
	flag.IntVar(&r.Depth, "depth", r.Depth, "")
	flag.IntVar(&r.Patch, "patch", r.Patch, "")
	flag.IntVar(&r.TextDepth, "text-depth", r.TextDepth, "")
	flag.IntVar(&r.Batch, "batch", r.Batch, "")
	flag.Float64Var(&r.LR, "lr", r.LR, "")
	flag.Float64Var(&r.WordDrop, "word-drop", r.WordDrop, "")
	n := flag.Int("n", 96, "prompts per split")
	sampleSteps := flag.Int("sample-steps", 20, "")
	schemes := flag.String("schemes", "cfg3,cfg5,comp1,comp2,comp3,attr1,attr2", "")
	flag.Parse()
	if *trainIt {
		if _, err := shapebase.BuildText(os.Stdout, r, *dir); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	t, _, err := shapebase.LoadTextFrom(*dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	ev := rand.New(rand.NewPCG(1, 2))
	for _, held := range []bool{false, true} {
		var want []diffusion.Attrs
		for k := 0; k < *n; k++ {
			want = append(want, diffusion.RandomAttrs(ev, held))
		}
		noise := tensor.Randn(ev, 1, *n, diffusion.ImageSize, diffusion.ImageSize, 3)
		for _, s := range strings.Split(*schemes, ",") {
			field, err := t.Field(want, s)
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
			x, _ := diffusion.Sample(field, noise, *sampleSteps, diffusion.Euler, nil)
			per := diffusion.ImageSize * diffusion.ImageSize * 3
			var sh, co, sc, all int
			for i := range want {
				rd := diffusion.Check(x.Data[i*per : (i+1)*per])
				ok, e := diffusion.Score(rd, want[i])
				if rd.Found && ok[0] {
					sh++
				}
				if rd.Found && ok[1] {
					co++
				}
				if rd.Found && ok[0] && ok[1] {
					sc++
				}
				if e {
					all++
				}
			}
			f := func(k int) float64 { return 100 * float64(k) / float64(*n) }
			fmt.Printf("held=%-5v %-6s shape %3.0f colour %3.0f shape+colour %3.0f all %3.0f\n", held, s, f(sh), f(co), f(sc), f(all))
		}
	}
}
