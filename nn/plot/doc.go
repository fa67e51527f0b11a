// Package plot draws the pictures the chapters produce — loss curves (LineChart), attention maps
// and logit-lens tables (Heatmap, laid out per layer × head with Grid), 2-D sample clouds and
// their trajectories (Scatter), and grids or animations of generated images (ImageGrid, WriteGIF)
// — with the standard library alone.
//
// Text uses a built-in, hand-drawn 5×7 pixel font (digits, A–Z, a–z and common punctuation) at
// an integer scale. Nothing is anti-aliased, so every pixel has exactly the colour that was
// drawn: output is a deterministic function of the input (same input, same bytes), and tests can
// check pixels.
//
// Every writer (WritePNG, WriteSVG, WriteGIF) creates the parent directory if needed, writes a
// temporary file in the same directory and renames it over the destination, so a reader never
// sees a half-written picture; errors name the path.
package plot
