package main

import (
	"testing"

	"transformers/chapters/internal/part1/part1test"
)

func TestChapter(t *testing.T) {
	part1test.Run(t, run, "row 4 (<EOS>) has no target, so its logits get no gradient: true")
}
