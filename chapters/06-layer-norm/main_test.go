package main

import (
	"testing"

	"transformers/chapters/internal/part1/part1test"
)

func TestChapter(t *testing.T) {
	part1test.Run(t, run, "0.0000  0.9992")
}
