// Package show prints what the chapter programs compute: labelled, aligned
// matrices with their shapes, section headings and key–value lines. Every
// chapter uses it, so the book's pages all look alike.
package show

import (
	"fmt"
	"io"
	"strings"
	"unicode"
)

// Heading prints a chapter or section title underlined.
func Heading(w io.Writer, title string) {
	fmt.Fprintf(w, "\n%s\n%s\n", title, strings.Repeat("─", textWidth(title)))
}

// Matrix prints a named matrix with its shape, one labelled row per line.
// rowLabels and colLabels may be nil (indices are used). Numbers are printed
// with the given decimals, right-aligned in columns of equal width.
func Matrix(w io.Writer, name string, rows [][]float64, rowLabels, colLabels []string, decimals int) {
	cols := 0
	if len(rows) > 0 {
		cols = len(rows[0])
	}
	fmt.Fprintf(w, "%s [%d×%d]\n", name, len(rows), cols)
	Rows(w, rows, rowLabels, colLabels, decimals)
}

// Rows prints the body of Matrix (no name line): labelled, aligned rows.
func Rows(w io.Writer, rows [][]float64, rowLabels, colLabels []string, decimals int) {
	cells := make([][]string, len(rows))
	width := 0
	for i, r := range rows {
		cells[i] = make([]string, len(r))
		for j, x := range r {
			cells[i][j] = Num(x, decimals)
			width = max(width, len(cells[i][j]))
		}
	}
	for _, c := range colLabels {
		width = max(width, textWidth(c))
	}
	labelW := 0
	for i := range rows {
		labelW = max(labelW, textWidth(label(rowLabels, i)))
	}
	if colLabels != nil {
		fmt.Fprintf(w, "  %s ", pad("", labelW))
		for _, c := range colLabels {
			fmt.Fprintf(w, " %s", padLeft(c, width))
		}
		fmt.Fprintln(w)
	}
	for i := range rows {
		fmt.Fprintf(w, "  %s ", pad(label(rowLabels, i), labelW))
		for _, c := range cells[i] {
			fmt.Fprintf(w, " %s", padLeft(c, width))
		}
		fmt.Fprintln(w)
	}
}

// Vector prints a named vector with its length on one line.
func Vector(w io.Writer, name string, xs []float64, decimals int) {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = Num(x, decimals)
	}
	fmt.Fprintf(w, "%s [%d] = %s\n", name, len(xs), strings.Join(parts, ", "))
}

// Num formats x with the given decimals; −∞ prints as "-inf" and −0 as 0.
func Num(x float64, decimals int) string {
	s := fmt.Sprintf("%.*f", decimals, x)
	if strings.Trim(s, "-0.") == "" && strings.HasPrefix(s, "-") {
		s = s[1:]
	}
	return s
}

// KV prints "key: value" lines with the keys aligned. pairs alternate key, value.
func KV(w io.Writer, pairs ...string) {
	kw := 0
	for i := 0; i < len(pairs); i += 2 {
		kw = max(kw, textWidth(pairs[i]))
	}
	for i := 0; i+1 < len(pairs); i += 2 {
		fmt.Fprintf(w, "  %s  %s\n", pad(pairs[i]+":", kw+1), pairs[i+1])
	}
}

// Table prints rows of strings with a header, columns aligned (text left,
// numbers right).
func Table(w io.Writer, header []string, rows [][]string) {
	width := make([]int, len(header))
	for j, h := range header {
		width[j] = textWidth(h)
	}
	for _, r := range rows {
		for j, c := range r {
			width[j] = max(width[j], textWidth(c))
		}
	}
	line := func(r []string) {
		var b strings.Builder
		b.WriteString(" ")
		for j, c := range r {
			b.WriteString(" ")
			if isNumber(c) {
				b.WriteString(padLeft(c, width[j]))
			} else {
				b.WriteString(pad(c, width[j]))
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
	line(header)
	sep := make([]string, len(header))
	for j := range sep {
		sep[j] = strings.Repeat("-", width[j])
	}
	line(sep)
	for _, r := range rows {
		line(r)
	}
}

func isNumber(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !strings.ContainsRune("0123456789.-+e,%×", r) {
			return false
		}
	}
	return true
}

func label(labels []string, i int) string {
	if labels != nil && i < len(labels) {
		return labels[i]
	}
	return fmt.Sprint(i)
}

// textWidth counts the columns s occupies: runes, less combining marks (m̂ is one column).
func textWidth(s string) int {
	n := 0
	for _, r := range s {
		if !unicode.Is(unicode.Mn, r) {
			n++
		}
	}
	return n
}

func pad(s string, n int) string {
	if k := n - textWidth(s); k > 0 {
		return s + strings.Repeat(" ", k)
	}
	return s
}

func padLeft(s string, n int) string {
	if k := n - textWidth(s); k > 0 {
		return strings.Repeat(" ", k) + s
	}
	return s
}

// Term formats x for use inside a written-out sum: negatives get parentheses,
// so "0.13 + (-0.03)" reads unambiguously.
func Term(x float64, decimals int) string {
	s := Num(x, decimals)
	if strings.HasPrefix(s, "-") {
		return "(" + s + ")"
	}
	return s
}
