package plot

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"fmt"
	"image/color"
	"io"
	"strconv"
)

// EncodeSVG writes the chart as an SVG document to w, with the same layout as the PNG but
// vector lines and real (monospace) text.
func (c *LineChart) EncodeSVG(w io.Writer) error {
	width, height, s, lw := c.dims()
	a := c.layout()
	bw := bufio.NewWriter(w)
	num := func(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }
	hex := func(col color.RGBA) string { return fmt.Sprintf("#%02x%02x%02x", col.R, col.G, col.B) }
	esc := func(t string) string {
		var b bytes.Buffer
		xml.EscapeText(&b, []byte(t))
		return b.String()
	}
	fs := 10 * s
	text := func(x, y float64, anchor, t string, size int, col color.RGBA, extra string) {
		fmt.Fprintf(bw, `<text x="%s" y="%s" text-anchor="%s" font-family="monospace" font-size="%d" fill="%s"%s>%s</text>`+"\n",
			num(x), num(y), anchor, size, hex(col), extra, esc(t))
	}
	fmt.Fprintf(bw, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d">`+"\n", width, height, width, height)
	fmt.Fprintf(bw, `<rect width="%d" height="%d" fill="#ffffff"/>`+"\n", width, height)
	fmt.Fprintf(bw, `<clipPath id="plot"><rect x="%d" y="%d" width="%d" height="%d"/></clipPath>`+"\n", a.x0, a.y0, a.x1-a.x0, a.y1-a.y0)
	th := float64(TextHeight(s))
	ys, yl := a.yTicks()
	for i, v := range ys {
		y := a.py(v)
		if !finite(y) || y < float64(a.y0)-0.5 || y > float64(a.y1)+0.5 {
			continue
		}
		fmt.Fprintf(bw, `<line x1="%d" y1="%s" x2="%d" y2="%s" stroke="#e1e1e1"/>`+"\n", a.x0, num(y), a.x1, num(y))
		text(float64(a.x0-6), y+th/2, "end", yl[i], fs, darkGray, "")
	}
	xs, xl := a.xTicks(8)
	for i, v := range xs {
		x := a.px(v)
		if x < float64(a.x0)-0.5 || x > float64(a.x1)+0.5 {
			continue
		}
		fmt.Fprintf(bw, `<line x1="%s" y1="%d" x2="%s" y2="%d" stroke="#e1e1e1"/>`+"\n", num(x), a.y0, num(x), a.y1)
		text(x, float64(a.y1+6)+th, "middle", xl[i], fs, darkGray, "")
	}
	fmt.Fprintf(bw, `<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#3c3c3c"/>`+"\n", a.x0, a.y0, a.x1-a.x0, a.y1-a.y0)
	for i, se := range c.Series {
		col := hex(c.seriesColor(i))
		var pts []string
		flush := func() {
			if len(pts) > 0 {
				fmt.Fprintf(bw, `<polyline clip-path="url(#plot)" fill="none" stroke="%s" stroke-width="%d" stroke-linejoin="round" points="`, col, lw)
				for j, p := range pts {
					if j > 0 {
						bw.WriteByte(' ')
					}
					bw.WriteString(p)
				}
				bw.WriteString(`"/>` + "\n")
			}
			pts = pts[:0]
		}
		for j := range se.X {
			x, y := a.px(se.X[j]), a.py(se.Y[j])
			if !finite(x) || !finite(y) {
				flush()
				continue
			}
			pts = append(pts, num(x)+","+num(y))
		}
		flush()
	}
	if c.Title != "" {
		text(float64(a.x0+a.x1)/2, 10+float64(TextHeight(2*s)), "middle", c.Title, 2*fs, black, ` font-weight="bold"`)
	}
	if c.XLabel != "" {
		text(float64(a.x0+a.x1)/2, float64(a.y1+6+8)+2*th, "middle", c.XLabel, fs, black, "")
	}
	if c.YLabel != "" {
		cy := float64(a.y0+a.y1) / 2
		text(10+th, cy, "middle", c.YLabel, fs, black, fmt.Sprintf(` transform="rotate(-90 %s %s)"`, num(10+th), num(cy)))
	}
	var named []int
	wmax := 0
	for i, se := range c.Series {
		if se.Name != "" {
			named = append(named, i)
			wmax = max(wmax, TextWidth(se.Name, s))
		}
	}
	if len(named) > 0 {
		rowH := th + float64(4*s)
		sw := 14 * s
		bwid := 6 + sw + 6 + wmax + 6
		bh := 6 + float64(len(named))*rowH - float64(4*s) + 6
		x0 := a.x1 - 8 - bwid
		y0 := float64(a.y0 + 8)
		fmt.Fprintf(bw, `<rect x="%d" y="%s" width="%d" height="%s" fill="#ffffff" stroke="#969696"/>`+"\n", x0, num(y0), bwid, num(bh))
		for k, i := range named {
			y := y0 + 6 + float64(k)*rowH
			fmt.Fprintf(bw, `<line x1="%d" y1="%s" x2="%d" y2="%s" stroke="%s" stroke-width="%d"/>`+"\n", x0+6, num(y+th/2), x0+6+sw, num(y+th/2), hex(c.seriesColor(i)), lw)
			text(float64(x0+6+sw+6), y+th, "start", c.Series[i].Name, fs, black, "")
		}
	}
	bw.WriteString("</svg>\n")
	return bw.Flush()
}

// WriteSVG writes the chart as SVG to path atomically, creating the parent directory if needed.
func (c *LineChart) WriteSVG(path string) error { return writeAtomic(path, c.EncodeSVG) }
