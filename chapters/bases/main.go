// Command bases rebuilds the base models the chapters stand on and verifies
// the shipped ones.
//
//	go run ./chapters/bases -name story     # train the recipe, write testdata/bases/story
//	go run ./chapters/bases -verify         # re-run each recipe's first updates, compare bit for bit
//
// A base is trained from the built-in data with a fixed seed; its manifest
// records the command, seed, steps, tokens, losses, wall time and the
// weights' SHA-256 (package nn/bases).
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"

	"transformers/chapters/internal/shapebase"
	"transformers/chapters/internal/storybase"
	"transformers/nn/bases"
)

// recipe is one rebuildable base.
type recipe struct {
	build  func(w io.Writer, dir string) (bases.Manifest, error)
	verify func(m bases.Manifest) error
}

func recipes() map[string]recipe {
	return map[string]recipe{
		storybase.Name: {
			build: func(w io.Writer, dir string) (bases.Manifest, error) {
				return storybase.Build(w, storybase.Default(), dir)
			},
			verify: storybase.VerifyPrefix,
		},
		shapebase.TextName: {
			build: func(w io.Writer, dir string) (bases.Manifest, error) {
				return shapebase.BuildText(w, shapebase.TextDefault(), dir)
			},
			verify: shapebase.VerifyText,
		},
		shapebase.LatentName: {
			build: func(w io.Writer, dir string) (bases.Manifest, error) {
				return shapebase.BuildLatent(w, shapebase.LatentDefault(), dir)
			},
			verify: shapebase.VerifyLatent,
		},
	}
}

func main() {
	if err := run(os.Stdout, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "bases:", err)
		os.Exit(2)
	}
}

func run(w io.Writer, args []string) error {
	fs := flag.NewFlagSet("bases", flag.ContinueOnError)
	fs.SetOutput(w)
	name := fs.String("name", "", "base to rebuild (one of the recipes; empty with -verify: all)")
	verify := fs.Bool("verify", false, "re-run the first logged updates of each shipped base and compare with its manifest")
	out := fs.String("out", "", "folder to write into (default testdata/bases/NAME)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	rs := recipes()
	var names []string
	for n := range rs {
		names = append(names, n)
	}
	slices.Sort(names)
	if *name != "" {
		if _, ok := rs[*name]; !ok {
			return fmt.Errorf("-name %q: no such recipe (have %v)", *name, names)
		}
		names = []string{*name}
	} else if !*verify {
		return fmt.Errorf("-name is required to rebuild (have %v), or pass -verify", names)
	}
	for _, n := range names {
		dir := *out
		if dir == "" {
			d, err := bases.Dir(n)
			if err != nil {
				return err
			}
			dir = d
		}
		if *verify {
			m, _, err := bases.Verify(dir, "go run ./chapters/bases -name "+n)
			if err != nil {
				return err
			}
			t0 := time.Now()
			if err := rs[n].verify(m); err != nil {
				return fmt.Errorf("%s: %w", n, err)
			}
			fmt.Fprintf(w, "%s: sha256 %s ok; first %d training losses re-run bit for bit in %.1f s\n", n, m.SHA256[:12], len(m.Curve), time.Since(t0).Seconds())
			continue
		}
		m, err := rs[n].build(w, dir)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "wrote %s (%d bytes, sha256 %s): val loss %.4f after %d steps in %.0f s\n",
			filepath.Join(dir, m.File), m.Bytes, m.SHA256, m.ValLoss, m.Steps, m.WallSeconds)
	}
	return nil
}
