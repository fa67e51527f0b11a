package main

import (
	"testing"

	"transformers/chapters/internal/part1/part1test"
)

func TestChapter(t *testing.T) {
	part1test.Run(t, run, "checked 3456 parameters: backward and finite differences agree")
}
