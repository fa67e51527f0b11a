// Command gpt trains, samples, inspects and prints the logits of the GPTs of
// Part 2.
//
//	gpt train   [flags]   train on the built-in corpus (or -data FILE); writes -out (default out/gpt)
//	gpt sample  [flags]   continue a prompt with a trained model
//	gpt logits  [flags]   print every position's logits as JSON
//	gpt inspect [flags]   print a model's config and parameter table
//	gpt bench   [flags]   measure speed on issue 5's reference GPT; one JSON line
//
// Run "gpt <command> -h" for a command's flags. A bad flag, path or value is
// reported on one line and exits with status 2.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// usageError is a mistake in the command line: reported on one line, exit 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func badf(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

type command struct {
	name, help string
	run        func(args []string, stdout, stderr io.Writer) error
}

// commands lists the sub-commands in the order usage prints them.
func commands() []command {
	return []command{
		{"train", "train a model (on the built-in corpus unless -data is given)", cmdTrain},
		{"sample", "generate text from a trained model", cmdSample},
		{"logits", "print every position's logits as JSON", cmdLogits},
		{"inspect", "print a model's config and parameter table", cmdInspect},
		{"bench", "measure training, generation and sgemm speed (one JSON line)", cmdBench},
	}
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "usage: gpt <command> [flags]\n\ncommands:\n")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.help)
	}
	fmt.Fprintf(w, "\nRun \"gpt <command> -h\" for the flags of a command.\n")
}

// run is the whole program: it returns the exit status (0 success, 1 a
// failure while working, 2 a bad command line, path or value).
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	if args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help" {
		usage(stdout)
		return 0
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(args[1:], stdout, stderr)
		var ue usageError
		switch {
		case err == nil:
			return 0
		case errors.Is(err, flag.ErrHelp):
			return 0
		case errors.As(err, &ue):
			fmt.Fprintf(stderr, "gpt %s: %s\n", c.name, oneLine(ue.msg))
			return 2
		default:
			fmt.Fprintf(stderr, "gpt %s: %s\n", c.name, oneLine(err.Error()))
			return 1
		}
	}
	fmt.Fprintf(stderr, "gpt: unknown command %q (want train, sample, logits, inspect or bench)\n", args[0])
	return 2
}

func oneLine(s string) string { return strings.ReplaceAll(strings.TrimSpace(s), "\n", "; ") }

// parse parses args into fs; -h prints the flags to stdout and returns
// flag.ErrHelp; any other problem becomes a one-line usageError.
func parse(fs *flag.FlagSet, args []string, stdout io.Writer, synopsis string) error {
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(stdout, "usage: gpt %s [flags]\n\n%s\n\nflags:\n", fs.Name(), synopsis)
			fs.SetOutput(stdout)
			fs.PrintDefaults()
			return err
		}
		return badf("%v", err)
	}
	if fs.NArg() > 0 {
		return badf("unexpected argument %q (flags only)", fs.Arg(0))
	}
	return nil
}
