package main

import (
	"testing"

	"transformers/chapters/internal/part1/part1test"
)

func TestChapter(t *testing.T) {
	part1test.Run(t, run, "head 0 weights row 1 [2] = 0.5014, 0.4986")
}
