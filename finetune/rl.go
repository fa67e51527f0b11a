package finetune

import (
	"fmt"
	"math/rand/v2"

	"transformers/autograd"
	"transformers/gpt"
	"transformers/gpt/tokenizer"
	"transformers/nn"
)

// Pairs are preference pairs as token ids, ready for a reward model or DPO:
// Prompts[i] is the chat prompt (Prompt), Chosen[i] and Rejected[i] the two
// replies, each closed by <|end|>.
type Pairs struct {
	Prompts, Chosen, Rejected [][]int
}

// Tokenize renders preference pairs with the chat template.
func Tokenize(tok tokenizer.Tokenizer, prefs []Preference) Pairs {
	var p Pairs
	for _, pr := range prefs {
		p.Prompts = append(p.Prompts, Prompt(tok, pr.Example.Prompt))
		p.Chosen = append(p.Chosen, Completion(tok, pr.Chosen))
		p.Rejected = append(p.Rejected, Completion(tok, pr.Rejected))
	}
	return p
}

// Completion encodes an assistant reply as the tokens the model must produce:
// the reply's text then <|end|>.
func Completion(tok tokenizer.Tokenizer, reply string) []int {
	return append(tok.Encode(reply), tokenizer.EndID)
}

// DecodeReply turns generated tokens back into the reply's text: it stops at
// the first <|end|> and drops any other special token.
func DecodeReply(tok tokenizer.Tokenizer, ids []int) string {
	var keep []int
	for _, id := range ids {
		if id == tokenizer.EndID {
			break
		}
		if !tokenizer.IsSpecial(id) {
			keep = append(keep, id)
		}
	}
	return tok.Decode(keep)
}

// Pack lays prompt_i ++ completion_i out as one right-padded [B, T] array
// (padding tokenizer.PADID) with mask 1 on real tokens: the input of a reward
// model, which reads each row at its last real token.
func Pack(prompts, completions [][]int) (ids []int, mask []float32, B, T int) {
	if len(prompts) != len(completions) || len(prompts) == 0 {
		panic(fmt.Sprintf("finetune.Pack: %d prompts and %d completions", len(prompts), len(completions)))
	}
	B = len(prompts)
	for i := range prompts {
		T = max(T, len(prompts[i])+len(completions[i]))
	}
	ids, mask = make([]int, B*T), make([]float32, B*T)
	for i := range prompts {
		row := append(append([]int{}, prompts[i]...), completions[i]...)
		for t := range T {
			if t < len(row) {
				ids[i*T+t], mask[i*T+t] = row[t], 1
			} else {
				ids[i*T+t] = tokenizer.PADID
			}
		}
	}
	return ids, mask, B, T
}

// Score returns the reward model's rewards [B] for prompt ++ completion pairs.
func (rm *RewardModel) Score(g *autograd.Graph, prompts, completions [][]int) *autograd.Var {
	ids, mask, B, T := Pack(prompts, completions)
	return rm.Rewards(g, ids, mask, B, T)
}

// PairLoss is the Bradley–Terry loss of rm on pairs, with the rewards of the
// chosen and rejected replies (both [B]).
func (rm *RewardModel) PairLoss(g *autograd.Graph, p Pairs) (loss, chosen, rejected *autograd.Var) {
	chosen = rm.Score(g, p.Prompts, p.Chosen)
	rejected = rm.Score(g, p.Prompts, p.Rejected)
	return BradleyTerryLoss(g, chosen, rejected), chosen, rejected
}

// SequenceLogProbs returns log π(completion | prompt) for each pair under m,
// shape [B]: the sum of the completion's token log-probabilities, or with
// mean their average (DPO's length-normalised variant).
func SequenceLogProbs(g *autograd.Graph, m *gpt.Model, prompts, completions [][]int, mean bool) *autograd.Var {
	lp, bt := m.LogProbs(g, prompts, completions)
	return bt.SequenceLogProbs(g, lp, mean)
}

// DPOBatchLoss is DPOLoss for pairs p under a policy and its frozen
// reference, with its statistics.
func DPOBatchLoss(g *autograd.Graph, policy, ref *gpt.Model, p Pairs, beta float64, mean bool) (*autograd.Var, DPOStats) {
	pc := SequenceLogProbs(g, policy, p.Prompts, p.Chosen, mean)
	pr := SequenceLogProbs(g, policy, p.Prompts, p.Rejected, mean)
	ng := autograd.NoGrad()
	rc := SequenceLogProbs(ng, ref, p.Prompts, p.Chosen, mean)
	rr := SequenceLogProbs(ng, ref, p.Prompts, p.Rejected, mean)
	loss := DPOLoss(g, pc, pr, rc, rr, beta)
	return loss, ComputeDPOStats(pc.Value.Data, pr.Value.Data, rc.Value.Data, rr.Value.Data, beta)
}

// ActorCritic is PPO's policy with a value head on its final hidden states:
// one forward pass gives the next-token distribution and V(s) at every
// position.
type ActorCritic struct {
	Policy *gpt.Model
	Value  *gpt.ScalarHead
}

// NewActorCritic puts a value head named "value" on policy, initialised to
// output exactly 0.
func NewActorCritic(policy *gpt.Model, rng *rand.Rand) *ActorCritic {
	return &ActorCritic{Policy: policy, Value: gpt.NewScalarHead("value", policy.Config.DModel, 0, rng)}
}

// Parameters returns the policy's parameters then the value head's.
func (ac *ActorCritic) Parameters() []*autograd.Var {
	return append(ac.Policy.Parameters(), ac.Value.Parameters()...)
}

// Evaluation is what one pass of an ActorCritic over prompt ++ completion
// pairs gives, each [B, MaxComp] over the completion tokens: LogProbs
// log π(c_j | prefix), Values V of the state before c_j, and Entropy of the
// distribution c_j was drawn from. Entries where Batch.Mask is 0 are padding.
type Evaluation struct {
	LogProbs, Values, Entropy *autograd.Var
	Batch                     gpt.Batch
}

// Evaluate runs the policy once over prompt ++ completion pairs and reads log
// probabilities, values and entropies at the positions that predict the
// completion tokens (position PromptLen+j−1 for token j).
func (ac *ActorCritic) Evaluate(g *autograd.Graph, prompts, completions [][]int) Evaluation {
	bt := gpt.PackBatch(prompts, completions, tokenizer.PADID)
	out := ac.Policy.Forward(g, bt.IDs, bt.B, bt.T, gpt.ForwardOptions{})
	rows := make([]int, bt.B*bt.MaxComp)
	for b := range bt.B {
		for j := range bt.MaxComp {
			if j < bt.CompLen[b] {
				rows[b*bt.MaxComp+j] = b*bt.T + bt.PromptLen[b] + j - 1
			} // padding reads row 0; its entries are masked out
		}
	}
	V := ac.Policy.Config.VocabSize
	values := g.Reshape(ac.Value.Forward(g, out.Hidden), bt.B*bt.T, 1)
	logits := g.Reshape(out.Logits, bt.B*bt.T, V)
	return Evaluation{
		LogProbs: bt.LogProbs(g, out.Logits),
		Values:   g.Reshape(g.IndexSelect(values, rows), bt.B, bt.MaxComp),
		Entropy:  g.Reshape(Entropy(g, g.IndexSelect(logits, rows)), bt.B, bt.MaxComp),
		Batch:    bt,
	}
}

// PPOConfig holds PPO's coefficients; DefaultPPOConfig gives TRL's defaults.
type PPOConfig struct {
	KLCoef        float64 // β of the per-token KL penalty
	Gamma, Lambda float64 // GAE discount and trace decay
	ClipRange     float64 // ε of the policy ratio
	ClipRangeV    float64 // ε of the value prediction
	ValueCoef     float64 // weight of the value loss
	EntropyCoef   float64 // weight of the entropy bonus (TRL uses none)
	WhitenRewards bool    // whiten the per-token rewards before GAE
}

// DefaultPPOConfig returns TRL's PPOConfig defaults: kl_coef 0.05, γ = 1,
// λ = 0.95, cliprange 0.2, cliprange_value 0.2, vf_coef 0.1, no entropy
// bonus, rewards not whitened.
func DefaultPPOConfig() PPOConfig {
	return PPOConfig{KLCoef: 0.05, Gamma: 1, Lambda: 0.95, ClipRange: 0.2, ClipRangeV: 0.2, ValueCoef: 0.1}
}

// Rollout is one batch of sampled completions with everything PPO fixes
// before its updates: the old policy's log-probabilities and values, the
// reference's log-probabilities, the reward model's scores, and from them
// the advantages and returns. Per-token arrays are [B, T] with T = MaxComp.
type Rollout struct {
	Prompts, Completions  [][]int
	B, T                  int
	Mask                  []float32
	LogProbs, RefLogProbs []float32
	Values                []float32
	Scores                []float32 // [B]
	KL, Rewards           []float32 // per token, from KLRewards
	Advantages, Returns   []float32 // whitened advantages; GAE returns
	Stats                 RolloutStats
}

// NewRollout evaluates sampled completions without gradients — old log-probs
// and values from ac, reference log-probs from ref — and computes the
// per-token rewards r_t = −β·kl_t (+ score at the end), GAE advantages and
// returns, and whitened advantages, as TRL does before its PPO epochs. Every
// completion must have at least one token.
func NewRollout(ac *ActorCritic, ref *gpt.Model, prompts, completions [][]int, scores []float32, cfg PPOConfig) Rollout {
	ng := autograd.NoGrad()
	ev := ac.Evaluate(ng, prompts, completions)
	refLP, _ := ref.LogProbs(ng, prompts, completions)
	bt := ev.Batch
	r := Rollout{
		Prompts: prompts, Completions: completions, B: bt.B, T: bt.MaxComp,
		Mask:        bt.Mask,
		LogProbs:    ev.LogProbs.Value.Data,
		RefLogProbs: refLP.Value.Data,
		Values:      maskOut(ev.Values.Value.Data, bt.Mask),
		Scores:      scores,
	}
	r.Rewards, r.KL = KLRewards(r.LogProbs, r.RefLogProbs, r.Mask, scores, r.B, r.T, cfg.KLCoef)
	rewards := r.Rewards
	if cfg.WhitenRewards {
		rewards = Whiten(rewards, r.Mask, false)
	}
	adv, ret := GAE(rewards, r.Values, r.Mask, r.B, r.T, cfg.Gamma, cfg.Lambda)
	r.Advantages, r.Returns = Whiten(adv, r.Mask, true), ret
	r.Stats = ComputeRolloutStats(r.KL, scores, r.B, r.T, cfg.KLCoef)
	return r
}

func maskOut(x, mask []float32) []float32 {
	out := make([]float32, len(x))
	for i := range x {
		out[i] = x[i] * mask[i]
	}
	return out
}

// PPOLoss is the loss of one PPO update on rollout r:
//
//	L = L_policy + c_v·L_value − c_H·mean H
//
// (PolicyLoss, ValueLoss, Entropy over the real tokens), with TRL's
// statistics. Right after the rollout, before any update, the policy equals
// the old policy: ratio 1, clip fraction 0, approximate KL 0.
func PPOLoss(g *autograd.Graph, ac *ActorCritic, r Rollout, cfg PPOConfig) (*autograd.Var, PPOStats) {
	ev := ac.Evaluate(g, r.Prompts, r.Completions)
	pl, ps := PolicyLoss(g, ev.LogProbs, r.LogProbs, r.Advantages, r.Mask, cfg.ClipRange)
	vl, vs := ValueLoss(g, ev.Values, r.Values, r.Returns, r.Mask, cfg.ClipRangeV)
	ent := MaskedMean(g, ev.Entropy, r.Mask)
	loss := g.Add(pl, g.Scale(vl, float32(cfg.ValueCoef)))
	if cfg.EntropyCoef != 0 {
		loss = g.Sub(loss, g.Scale(ent, float32(cfg.EntropyCoef)))
	}
	return loss, PPOStats{Rollout: r.Stats, Policy: ps, Value: vs, Entropy: float64(ent.Value.Data[0])}
}

// Sample draws one completion per prompt from m (temperature sampling with
// rng, at most maxTokens tokens, stopping after <|end|>), the rollouts of
// PPO and best-of-N.
func Sample(m *gpt.Model, prompts [][]int, maxTokens int, temperature float64, rng *rand.Rand) [][]int {
	return m.GenerateBatch(prompts, gpt.GenerateOptions{
		SampleOptions: gpt.SampleOptions{Temperature: temperature},
		MaxTokens:     maxTokens, EOS: tokenizer.EndID, Rng: rng,
	})
}

// BestOfN returns, for each prompt, the one of n sampled completions the
// reward model scores highest (ties: the first), and its score.
func BestOfN(m *gpt.Model, rm *RewardModel, prompts [][]int, n, maxTokens int, temperature float64, rng *rand.Rand) ([][]int, []float32) {
	best := make([][]int, len(prompts))
	scores := make([]float32, len(prompts))
	for k := range n {
		comps := Sample(m, prompts, maxTokens, temperature, rng)
		for i := range comps {
			if len(comps[i]) == 0 {
				comps[i] = []int{tokenizer.EndID}
			}
		}
		s := rm.Score(autograd.NoGrad(), prompts, comps).Value.Data
		for i := range prompts {
			if k == 0 || s[i] > scores[i] {
				best[i], scores[i] = comps[i], s[i]
			}
		}
	}
	return best, scores
}

// GoldScores grades generated completions comps[i] (token ids, as Sample
// returns them) of examples[i] with the gold scorer: the score PPO's reward
// model is only a proxy for.
func GoldScores(s Scorer, tok tokenizer.Tokenizer, examples []Example, comps [][]int) []float32 {
	if len(examples) != len(comps) {
		panic(fmt.Sprintf("finetune.GoldScores: %d examples and %d completions", len(examples), len(comps)))
	}
	out := make([]float32, len(comps))
	for i, c := range comps {
		out[i] = float32(s.Grade(examples[i], DecodeReply(tok, c)).Score)
	}
	return out
}

// RewardFunc scores completions of prompts (token ids), one number each: a
// reward model's RewardFunc, the gold scorer, or a stub in tests.
type RewardFunc func(prompts, completions [][]int) []float32

// RewardFunc returns the reward model as a RewardFunc (evaluated without
// gradients).
func (rm *RewardModel) RewardFunc() RewardFunc {
	return func(prompts, completions [][]int) []float32 {
		return rm.Score(autograd.NoGrad(), prompts, completions).Value.Data
	}
}

// PPOTrainConfig configures TrainPPO.
type PPOTrainConfig struct {
	PPOConfig
	Updates     int     // rounds of rollout then optimisation
	BatchSize   int     // prompts per rollout, drawn with replacement
	Epochs      int     // optimisation passes over each rollout (TRL: 4)
	LR          float64 // AdamW learning rate (no weight decay)
	ClipNorm    float64 // global gradient-norm clip (0: none)
	MaxTokens   int     // longest completion sampled
	Temperature float64 // sampling temperature of the rollouts
	// Log, if non-nil, is called after every update with its statistics
	// (policy and value statistics averaged over the epochs).
	Log func(update int, s PPOStats)
}

// TrainPPO runs RLHF with PPO: each update samples completions of BatchSize
// prompts from the policy, scores them with reward, builds the rollout
// against the frozen reference (NewRollout) and takes Epochs AdamW steps on
// PPOLoss over the whole rollout. It returns each update's statistics.
func TrainPPO(ac *ActorCritic, ref *gpt.Model, prompts [][]int, reward RewardFunc, cfg PPOTrainConfig, rng *rand.Rand) []PPOStats {
	if len(prompts) == 0 || cfg.BatchSize < 1 || cfg.Epochs < 1 {
		panic(fmt.Sprintf("finetune.TrainPPO: %d prompts, batch %d, %d epochs", len(prompts), cfg.BatchSize, cfg.Epochs))
	}
	params := Trainable(ac.Parameters())
	opt := nn.NewAdamW([]nn.ParamGroup{{Params: params}}, cfg.LR)
	var out []PPOStats
	for u := range cfg.Updates {
		batch := make([][]int, cfg.BatchSize)
		for i := range batch {
			batch[i] = prompts[rng.IntN(len(prompts))]
		}
		comps := Sample(ac.Policy, batch, cfg.MaxTokens, cfg.Temperature, rng)
		for i := range comps {
			if len(comps[i]) == 0 {
				comps[i] = []int{tokenizer.EndID}
			}
		}
		r := NewRollout(ac, ref, batch, comps, reward(batch, comps), cfg.PPOConfig)
		var mean PPOStats
		mean.Rollout = r.Stats
		for range cfg.Epochs {
			opt.ZeroGrad()
			g := autograd.New()
			loss, st := PPOLoss(g, ac, r, cfg.PPOConfig)
			g.Backward(loss)
			if cfg.ClipNorm > 0 {
				nn.ClipGradNorm(params, cfg.ClipNorm)
			}
			opt.Step()
			k := 1 / float64(cfg.Epochs)
			mean.Policy.Loss += k * st.Policy.Loss
			mean.Policy.ApproxKL += k * st.Policy.ApproxKL
			mean.Policy.ClipFrac += k * st.Policy.ClipFrac
			mean.Policy.Ratio += k * st.Policy.Ratio
			mean.Value.Loss += k * st.Value.Loss
			mean.Value.ClipFrac += k * st.Value.ClipFrac
			mean.Entropy += k * st.Entropy
		}
		out = append(out, mean)
		if cfg.Log != nil {
			cfg.Log(u, mean)
		}
	}
	return out
}

// Len returns the number of pairs.
func (p Pairs) Len() int { return len(p.Prompts) }

// Subset returns the pairs at the given indices.
func (p Pairs) Subset(idx []int) Pairs {
	var s Pairs
	for _, i := range idx {
		s.Prompts = append(s.Prompts, p.Prompts[i])
		s.Chosen = append(s.Chosen, p.Chosen[i])
		s.Rejected = append(s.Rejected, p.Rejected[i])
	}
	return s
}

// PairTrainConfig configures TrainRewardModel and TrainDPO.
type PairTrainConfig struct {
	Steps       int     // optimizer steps
	BatchSize   int     // pairs per step, in a shuffled order reshuffled each epoch
	LR          float64 // AdamW learning rate (constant)
	WeightDecay float64 // AdamW decay on matrices
	ClipNorm    float64 // global gradient-norm clip (0: none)
	// Log, if non-nil, is called after every step with that batch's
	// statistics (reward-model or DPO, whichever is trained).
	Log func(step int, reward RewardStats, dpo DPOStats)
}

// batches yields cfg.Steps batches of pair indices from a shuffled order.
func (cfg PairTrainConfig) batches(n int, rng *rand.Rand, step func(i int, idx []int)) {
	if n == 0 || cfg.BatchSize < 1 {
		panic(fmt.Sprintf("finetune: %d pairs, batch %d", n, cfg.BatchSize))
	}
	var order []int
	next := 0
	for s := range cfg.Steps {
		idx := make([]int, cfg.BatchSize)
		for i := range idx {
			if next == len(order) {
				order, next = rng.Perm(n), 0
			}
			idx[i] = order[next]
			next++
		}
		step(s, idx)
	}
}

// TrainRewardModel fits rm to preference pairs with the Bradley–Terry loss
// and AdamW, returning each step's batch statistics.
func TrainRewardModel(rm *RewardModel, p Pairs, cfg PairTrainConfig, rng *rand.Rand) []RewardStats {
	params := Trainable(rm.Parameters())
	opt := nn.NewAdamW(nn.DecayGroups(params, cfg.WeightDecay), cfg.LR)
	var out []RewardStats
	cfg.batches(p.Len(), rng, func(s int, idx []int) {
		opt.ZeroGrad()
		g := autograd.New()
		loss, c, r := rm.PairLoss(g, p.Subset(idx))
		g.Backward(loss)
		if cfg.ClipNorm > 0 {
			nn.ClipGradNorm(params, cfg.ClipNorm)
		}
		opt.Step()
		st := PairStats(c.Value.Data, r.Value.Data)
		out = append(out, st)
		if cfg.Log != nil {
			cfg.Log(s, st, DPOStats{})
		}
	})
	return out
}

// EvalRewardModel returns rm's accuracy, mean margin and loss on pairs
// (held-out), scored in batches of batchSize without gradients.
func EvalRewardModel(rm *RewardModel, p Pairs, batchSize int) RewardStats {
	var c, r []float32
	for i := 0; i < p.Len(); i += batchSize {
		idx := make([]int, 0, batchSize)
		for j := i; j < min(i+batchSize, p.Len()); j++ {
			idx = append(idx, j)
		}
		b := p.Subset(idx)
		ng := autograd.NoGrad()
		c = append(c, rm.Score(ng, b.Prompts, b.Chosen).Value.Data...)
		r = append(r, rm.Score(ng, b.Prompts, b.Rejected).Value.Data...)
	}
	return PairStats(c, r)
}

// TrainDPO fits policy to preference pairs with the DPO loss against the
// frozen reference (β, and the length-normalised variant with mean), and
// returns each step's batch statistics.
func TrainDPO(policy, ref *gpt.Model, p Pairs, beta float64, mean bool, cfg PairTrainConfig, rng *rand.Rand) []DPOStats {
	params := Trainable(policy.Parameters())
	opt := nn.NewAdamW(nn.DecayGroups(params, cfg.WeightDecay), cfg.LR)
	var out []DPOStats
	cfg.batches(p.Len(), rng, func(s int, idx []int) {
		opt.ZeroGrad()
		g := autograd.New()
		loss, st := DPOBatchLoss(g, policy, ref, p.Subset(idx), beta, mean)
		g.Backward(loss)
		if cfg.ClipNorm > 0 {
			nn.ClipGradNorm(params, cfg.ClipNorm)
		}
		opt.Step()
		out = append(out, st)
		if cfg.Log != nil {
			cfg.Log(s, RewardStats{}, st)
		}
	})
	return out
}
