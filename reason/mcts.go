package reason

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// PUCT is the AlphaZero selection score of a child: its mean value q plus
// the exploration bonus c·p·√N/(1+n), where p is the child's prior, N the
// parent's visits (at least 1, so priors rank the children of a fresh node)
// and n the child's.
func PUCT(q, p float64, parentVisits, visits int, c float64) float64 {
	return q + c*p*math.Sqrt(float64(max(parentVisits, 1)))/float64(1+visits)
}

// ChildStats is what PUCT selection reads of one child.
type ChildStats struct {
	Prior  float64
	Visits int
	Value  float64 // sum of backed-up values; the mean is Value/Visits (0 when unvisited)
}

// SelectPUCT returns the index of the child with the highest PUCT score
// (ties to the lowest index), or −1 for no children. parentVisits is N.
func SelectPUCT(children []ChildStats, parentVisits int, c float64) int {
	best, bestScore := -1, math.Inf(-1)
	for i, ch := range children {
		q := 0.0
		if ch.Visits > 0 {
			q = ch.Value / float64(ch.Visits)
		}
		if v := PUCT(q, ch.Prior, parentVisits, ch.Visits, c); v > bestScore {
			best, bestScore = i, v
		}
	}
	return best
}

// MCTS is Monte Carlo tree search over reasoning steps with PUCT selection.
// Each iteration walks from the root by SelectPUCT to a leaf; an unfinished
// leaf is expanded with K proposals (identical lines merge, prior = share of
// the K proposals); the leaf's value comes from Value (a process reward
// model or oracle) or, when Value is nil, from a rollout (proposals until
// Done or MaxDepth) scored by Reward; finished leaves are scored by Reward;
// the value is added along the path.
type MCTS struct {
	Prompt     string
	Propose    Sampler
	Value      Scorer // leaf value; nil means rollouts
	Reward     Scorer // value of a finished solution (verifier or outcome reward model)
	Done       func(steps []string) bool
	K          int     // proposals per expansion
	C          float64 // exploration constant of PUCT
	Iterations int
	MaxDepth   int
}

type mctsNode struct {
	steps    []string
	kids     []*mctsNode
	stats    ChildStats
	done     bool
	expanded bool
	reward   float64 // cached Reward of a finished node
	scored   bool
}

// MCTSResult is the outcome of a search with its cost.
type MCTSResult struct {
	Steps        []string // the best finished solution seen (tree nodes and rollouts, highest reward first), or the most-visited path
	Reward       float64
	Found        bool // a finished solution was reached
	ProposeCalls int
	ScoreCalls   int // Value and Reward calls
	Nodes        int

	rollBest   []string // best finished rollout
	rollReward float64
}

// Calls is the total model calls.
func (r MCTSResult) Calls() int { return r.ProposeCalls + r.ScoreCalls }

// Search runs the iterations and returns the result.
func (m *MCTS) Search(rng *rand.Rand) MCTSResult {
	if m.Propose == nil || m.Reward == nil || m.Done == nil || m.K < 1 || m.MaxDepth < 1 || m.Iterations < 1 {
		panic(fmt.Sprintf("reason.MCTS: need Propose, Reward, Done, K ≥ 1, MaxDepth ≥ 1, Iterations ≥ 1 (K=%d MaxDepth=%d Iterations=%d)", m.K, m.MaxDepth, m.Iterations))
	}
	var r MCTSResult
	r.rollReward = math.Inf(-1)
	root := &mctsNode{}
	r.Nodes = 1
	reward := func(n *mctsNode) float64 {
		if !n.scored {
			r.ScoreCalls++
			n.reward, n.scored = m.Reward.Score(m.Prompt, n.steps), true
		}
		return n.reward
	}
	for it := 0; it < m.Iterations; it++ {
		path := []*mctsNode{root}
		n := root
		for n.expanded && !n.done && len(n.kids) > 0 {
			st := make([]ChildStats, len(n.kids))
			for i, k := range n.kids {
				st[i] = k.stats
			}
			n = n.kids[SelectPUCT(st, n.stats.Visits, m.C)]
			path = append(path, n)
		}
		var v float64
		switch {
		case n.done:
			v = reward(n)
		case len(n.steps) >= m.MaxDepth:
			n.done = true
			v = reward(n)
		default:
			n.expanded = true
			count := map[string]int{}
			var order []string
			for i := 0; i < m.K; i++ {
				r.ProposeCalls++
				line := FirstLine(m.Propose.Sample(StepPrompt(m.Prompt, n.steps), rng))
				if line == "" {
					continue
				}
				if count[line] == 0 {
					order = append(order, line)
				}
				count[line]++
			}
			for _, line := range order {
				kid := &mctsNode{steps: append(slices.Clone(n.steps), line)}
				kid.stats.Prior = float64(count[line]) / float64(m.K)
				kid.done = m.Done(kid.steps)
				n.kids = append(n.kids, kid)
				r.Nodes++
			}
			if m.Value != nil {
				r.ScoreCalls++
				v = m.Value.Score(m.Prompt, n.steps)
			} else {
				v = m.rollout(n.steps, rng, &r)
			}
		}
		for _, p := range path {
			p.stats.Visits++
			p.stats.Value += v
		}
	}
	// The answer: the best finished node that was scored.
	var best *mctsNode
	stack := []*mctsNode{root}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if n.done && n.scored && (best == nil || n.reward > best.reward ||
			(n.reward == best.reward && n.stats.Visits > best.stats.Visits)) {
			best = n
		}
		for i := len(n.kids) - 1; i >= 0; i-- {
			stack = append(stack, n.kids[i])
		}
	}
	if best != nil && best.reward >= r.rollReward {
		r.Steps, r.Reward, r.Found = best.steps, best.reward, true
		return r
	}
	if r.rollBest != nil {
		r.Steps, r.Reward, r.Found = r.rollBest, r.rollReward, true
		return r
	}
	n := root
	for len(n.kids) > 0 {
		next := n.kids[0]
		for _, k := range n.kids[1:] {
			if k.stats.Visits > next.stats.Visits {
				next = k
			}
		}
		n = next
	}
	r.Steps = n.steps
	return r
}

// rollout continues steps with single proposals until Done or MaxDepth and
// returns the Reward of the result.
func (m *MCTS) rollout(steps []string, rng *rand.Rand, r *MCTSResult) float64 {
	steps = slices.Clone(steps)
	for len(steps) < m.MaxDepth && !(len(steps) > 0 && m.Done(steps)) {
		r.ProposeCalls++
		steps = append(steps, FirstLine(m.Propose.Sample(StepPrompt(m.Prompt, steps), rng)))
	}
	r.ScoreCalls++
	v := m.Reward.Score(m.Prompt, steps)
	if m.Done(steps) && v > r.rollReward {
		r.rollBest, r.rollReward = steps, v
	}
	return v
}
