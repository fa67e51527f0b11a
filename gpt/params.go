package gpt

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"transformers/autograd"
)

// ParamCounts is a model's number of scalar parameters by component.
type ParamCounts struct {
	Embeddings int // wte, wpe
	Attention  int // attn.* and crossattn.*
	MLP        int // mlp.*
	Norms      int // ln_1, ln_2, ln_cross, ln_f
	Head       int // lm_head (0 when tied) and anything else
	Total      int
}

// Component classifies a parameter name into one of ParamCounts' fields.
func Component(name string) string {
	switch {
	case strings.HasPrefix(name, "wte.") || strings.HasPrefix(name, "wpe."):
		return "embeddings"
	case strings.Contains(name, ".attn.") || strings.Contains(name, ".crossattn."):
		return "attention"
	case strings.Contains(name, ".mlp."):
		return "mlp"
	case strings.HasPrefix(name, "ln_") || strings.Contains(name, ".ln_"):
		return "norms"
	default:
		return "head"
	}
}

// CountParams sums params by Component.
func CountParams(params []*autograd.Var) ParamCounts {
	var c ParamCounts
	for _, p := range params {
		n := p.Value.Numel()
		switch Component(p.Name) {
		case "embeddings":
			c.Embeddings += n
		case "attention":
			c.Attention += n
		case "mlp":
			c.MLP += n
		case "norms":
			c.Norms += n
		default:
			c.Head += n
		}
		c.Total += n
	}
	return c
}

// ParamCount returns m's parameter count by component.
func (m *Model) ParamCount() ParamCounts { return CountParams(m.Parameters()) }

// WriteTable prints the counts as an aligned table with each component's
// share of the total.
func (c ParamCounts) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "component\tparameters\tshare\t\n")
	row := func(name string, n int) {
		share := 0.0
		if c.Total > 0 {
			share = 100 * float64(n) / float64(c.Total)
		}
		fmt.Fprintf(tw, "%s\t%d\t%.1f%%\t\n", name, n, share)
	}
	row("embeddings", c.Embeddings)
	row("attention", c.Attention)
	row("mlp", c.MLP)
	row("norms", c.Norms)
	row("head", c.Head)
	row("total", c.Total)
	return tw.Flush()
}
