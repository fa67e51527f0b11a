package interp_test

import (
	"fmt"

	"transformers/gpt/interp"
)

// An induction head at query i attends to the token that followed the last
// copy of the token at i; on a sequence of period 3 that is key i−2.
func ExamplePrefixMatching() {
	ids := []int{5, 6, 7, 5, 6, 7}
	a := make([][]float64, len(ids))
	for i := range a {
		a[i] = make([]float64, len(ids))
		a[i][max(i-2, 0)] = 1
	}
	score, _ := interp.PrefixMatching(a, ids)
	fmt.Printf("prefix matching %.2f, previous token %.2f\n", score, interp.PreviousToken(a))
	// Output: prefix matching 1.00, previous token 0.20
}
