package arith_test

import (
	"fmt"

	"transformers/reason/arith"
)

// A thinker that quits after one line, and one that is told to Wait there
// and finishes the scratchpad.
func ExampleProblem_ThinkWait() {
	p := arith.Problem{A: 47, B: 36, Op: arith.Add, Format: arith.Think}
	fmt.Printf("%q\n", p.ThinkStop(1))
	fmt.Printf("%q\n", p.ThinkWait(1))
	// Output:
	// "<think>\n7+6+0=13 w3 c1\n</think>\nA:83\n"
	// "<think>\n7+6+0=13 w3 c1\nWait\n4+3+1=8 w8 c0\n</think>\nA:83\n"
}
