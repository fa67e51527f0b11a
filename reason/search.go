package reason

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// StepSearch describes a search over reasoning steps for one prompt: a step
// sampler proposes the next line, a scorer values partial solutions, and Done
// says when a partial solution is finished (an answer line, or a dead end).
type StepSearch struct {
	Prompt    string
	Propose   Sampler // StepPrompt(Prompt, steps) → text whose FirstLine is the next step
	Score     Scorer  // value of a partial or finished solution
	Done      func(steps []string) bool
	K         int     // proposals sampled per expanded node
	Beam      int     // b: nodes kept per depth (BFS)
	MaxDepth  int     // longest solution considered
	Threshold float64 // a finished node scoring ≥ Threshold is accepted; DFS prunes nodes below it
	MaxCalls  int     // DFS stops after this many proposal calls (0: no limit)
}

// SearchResult is the outcome of a search, with its cost.
type SearchResult struct {
	Steps        []string // the accepted solution, or the best node seen when none was accepted
	Score        float64
	Found        bool // a finished node reached Threshold
	ProposeCalls int  // sampler calls
	ScoreCalls   int  // scorer calls
	Expanded     int  // nodes expanded
	Backtracks   int  // DFS: times a node's children were exhausted without success
}

// Calls is the total model calls (proposals and scores).
func (r SearchResult) Calls() int { return r.ProposeCalls + r.ScoreCalls }

type scored struct {
	steps []string
	score float64
}

func (s *StepSearch) check(op string) {
	if s.Propose == nil || s.Score == nil || s.Done == nil || s.K < 1 || s.MaxDepth < 1 {
		panic(fmt.Sprintf("reason.%s: need Propose, Score, Done, K ≥ 1 and MaxDepth ≥ 1 (K=%d MaxDepth=%d)", op, s.K, s.MaxDepth))
	}
}

// expand samples K proposals for node, drops duplicate and empty lines, and
// scores each distinct child.
func (s *StepSearch) expand(node []string, rng *rand.Rand, r *SearchResult) []scored {
	r.Expanded++
	var kids []scored
	seen := map[string]bool{}
	for i := 0; i < s.K; i++ {
		r.ProposeCalls++
		line := FirstLine(s.Propose.Sample(StepPrompt(s.Prompt, node), rng))
		if line == "" || seen[line] {
			continue
		}
		seen[line] = true
		child := append(slices.Clone(node), line)
		r.ScoreCalls++
		kids = append(kids, scored{child, s.Score.Score(s.Prompt, child)})
	}
	// Best first; equal scores keep proposal order.
	slices.SortStableFunc(kids, func(a, b scored) int {
		switch {
		case a.score > b.score:
			return -1
		case a.score < b.score:
			return 1
		}
		return 0
	})
	return kids
}

// BFS is tree-of-thoughts breadth-first search: at each depth every frontier
// node is expanded (K proposals, each child scored), finished children that
// reach Threshold end the search (best score first), and the best Beam
// unfinished children form the next frontier. When nothing is accepted it
// returns the best node seen.
func (s *StepSearch) BFS(rng *rand.Rand) SearchResult {
	s.check("BFS")
	if s.Beam < 1 {
		panic(fmt.Sprintf("reason.BFS: Beam = %d", s.Beam))
	}
	var r SearchResult
	best := scored{score: math.Inf(-1)}
	frontier := [][]string{nil}
	for depth := 0; depth < s.MaxDepth && len(frontier) > 0; depth++ {
		var next []scored
		var done []scored
		for _, node := range frontier {
			for _, k := range s.expand(node, rng, &r) {
				if k.score > best.score {
					best = k
				}
				if s.Done(k.steps) {
					done = append(done, k)
				} else {
					next = append(next, k)
				}
			}
		}
		for _, d := range done { // done is in expansion order; take the best
			if d.score >= s.Threshold && (!r.Found || d.score > r.Score) {
				r.Steps, r.Score, r.Found = d.steps, d.score, true
			}
		}
		if r.Found {
			return r
		}
		slices.SortStableFunc(next, func(a, b scored) int {
			switch {
			case a.score > b.score:
				return -1
			case a.score < b.score:
				return 1
			}
			return 0
		})
		frontier = frontier[:0]
		for i := 0; i < len(next) && i < s.Beam; i++ {
			frontier = append(frontier, next[i].steps)
		}
	}
	if !math.IsInf(best.score, -1) {
		r.Steps, r.Score = best.steps, best.score
	}
	return r
}

// DFS is tree-of-thoughts depth-first search: expand a node, visit its
// children best first, skip (prune) children scoring below Threshold, accept
// the first finished child that reaches it, and backtrack when a node's
// children are exhausted. It stops after MaxCalls proposal calls if set.
func (s *StepSearch) DFS(rng *rand.Rand) SearchResult {
	s.check("DFS")
	var r SearchResult
	best := scored{score: math.Inf(-1)}
	var visit func(node []string, depth int) bool
	visit = func(node []string, depth int) bool {
		if s.MaxCalls > 0 && r.ProposeCalls >= s.MaxCalls {
			return false
		}
		for _, k := range s.expand(node, rng, &r) {
			if k.score > best.score {
				best = k
			}
			if k.score < s.Threshold {
				continue
			}
			if s.Done(k.steps) {
				r.Steps, r.Score, r.Found = k.steps, k.score, true
				return true
			}
			if depth+1 < s.MaxDepth && visit(k.steps, depth+1) {
				return true
			}
		}
		r.Backtracks++
		return false
	}
	if !visit(nil, 0) && !math.IsInf(best.score, -1) {
		r.Steps, r.Score = best.steps, best.score
	}
	return r
}

// Greedy samples one chain step by step (one proposal per step, no scoring,
// no backtracking) until Done or MaxDepth: the baseline the searches are
// measured against. Found is left false; the caller verifies.
func (s *StepSearch) Greedy(rng *rand.Rand) SearchResult {
	var r SearchResult
	var steps []string
	for len(steps) < s.MaxDepth {
		r.ProposeCalls++
		line := FirstLine(s.Propose.Sample(StepPrompt(s.Prompt, steps), rng))
		steps = append(steps, line)
		if s.Done(steps) {
			break
		}
	}
	r.Steps = steps
	return r
}
