package parse

import (
	"slices"
	"strconv"
	"testing"
)

func TestInt(t *testing.T) {
	tests := []struct {
		in   string
		want int
		ok   bool
	}{
		{"0", 0, true},
		{"843", 843, true},
		{" 843 ", 843, true},
		{"-12", -12, true},
		{"007", 7, true},
		{"", 0, false},
		{"-", 0, false},
		{"+5", 0, false},
		{"1e3", 0, false},
		{"12a", 0, false},
		{"--1", 0, false},
		{"1 2", 0, false},
		{"123456789012345678", 123456789012345678, true},
		{"1234567890123456789", 0, false}, // too long: would risk overflow
	}
	for _, tt := range tests {
		got, ok := Int(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("Int(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestAnswer(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{"A:843\n", "843", true},
		{"A:843", "843", true},
		{"  A: 843  \n", "843", true},
		{"8+5+0=13 w3 c1\nA:843\nA:999\n", "843", true}, // the first answer line counts
		{"A:-0\n", "0", true},
		{"A:0843\n", "843", true},
		{"A:-35\n", "-35", true},
		{"<think>\n1\n</think>\nA:12\n", "12", true},
		{"<think>1</think>A:7", "7", true},
		{"A:84 3\n", "", false},
		{"A:\n", "", false},
		{"A:abc\nA:5\n", "", false}, // a malformed first answer is wrong, no second chance
		{"843\n", "", false},
		{"a:843\n", "", false},
		{"", "", false},
		{"A:99999999999999999999999\n", "", false},
	}
	for _, tt := range tests {
		got, ok := Answer(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("Answer(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestSteps(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"a\nb\nA:1\nc\n", []string{"a", "b"}},
		{"<think>\n a \n\n b\n</think>\nA:3\n", []string{"a", "b"}},
		{"<think>x</think>A:3", []string{"x"}},
		{"<think>x</think>y", []string{"x", "y"}},
		{"no answer\nline two", []string{"no answer", "line two"}},
		{"<think>\na\nWait\nb\n</think>\nA:1\n", []string{"a", "b"}},
		{"Wait for it\nA:1", []string{"Wait for it"}},
		{"A:5\n", nil},
		{"", nil},
	}
	for _, tt := range tests {
		if got := Steps(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("Steps(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

func TestThink(t *testing.T) {
	tests := []struct {
		in, thinking, after string
		closed              bool
	}{
		{"<think>\nabc\n</think>\nA:1\n", "\nabc\n", "\nA:1\n", true},
		{"abc</think>x", "abc", "x", true},
		{"<think>\nabc", "\nabc", "", false},
	}
	for _, tt := range tests {
		th, af, cl := Think(tt.in)
		if th != tt.thinking || af != tt.after || cl != tt.closed {
			t.Errorf("Think(%q) = %q, %q, %v; want %q, %q, %v", tt.in, th, af, cl, tt.thinking, tt.after, tt.closed)
		}
	}
}

// FuzzAnswer checks that arbitrary text never panics, and that an accepted
// answer is canonical and survives a round trip.
func FuzzAnswer(f *testing.F) {
	for _, s := range []string{"A:843\n", "A:-0", "<think>\n</think>\nA:1", "A:", "\xff\xfeA:1", "A:--1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, ok := Answer(s)
		_ = Steps(s)
		_, _, _ = Think(s)
		if !ok {
			return
		}
		n, err := strconv.Atoi(a)
		if err != nil || strconv.Itoa(n) != a {
			t.Fatalf("Answer(%q) = %q is not a canonical integer", s, a)
		}
		if b, ok2 := Answer(AnswerPrefix + a); !ok2 || b != a {
			t.Fatalf("round trip of %q gave %q, %v", a, b, ok2)
		}
	})
}
