package main

import (
	"testing"

	"transformers/chapters/internal/part1/part1test"
)

func TestChapter(t *testing.T) {
	part1test.Run(t, run, "counted from the model's own tensors: 2128 feed-forward parameters")
}
