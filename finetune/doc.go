// Package finetune is Part 3 of the book: turning a pretrained GPT into an
// assistant and aligning it with preferences, every stage trained and graded
// on data the project makes for itself.
//
// Data (data.go). Instructions come from the story world of gpt/corpus — its
// questions, plus reversing a word and counting a list — and Split divides
// them into training and held-out sets by fact, so no phrasing of a held-out
// fact is trained on. Preferences pairs a chosen and a rejected reply on two
// axes: right vs wrong (a distractor of the same kind) and concise vs
// rambling. Scorer is the gold scorer: it grades any reply exactly
// (1 right and concise, ½ right but rambling, 0 wrong).
//
// Chat template (chat.go). Render writes
// <|bos|><|user|>…<|end|><|assistant|>…<|end|> as ids with a loss mask that
// trains only the assistant's tokens and its closing <|end|>; Collate pads a
// batch; MaskedLoss divides by the trained tokens of the whole optimizer step,
// so gradient accumulation equals one large batch. TrainSFT is the loop.
//
// LoRA (lora.go). W + (α/r)·B·A around any gpt.Linear, B = 0 at the start,
// base frozen; Merge/Unmerge; SaveAdapters/LoadAdapters write A and B alone.
//
// Losses (losses.go, ppo.go). Bradley–Terry −log σ(r_c − r_r) for the reward
// model (read at the last real token); DPO −log σ(β[(log π_c − log ref_c) −
// (log π_r − log ref_r)]), ln 2 at the start; PPO's per-token KL penalty, GAE,
// whitening, clipped ratio and value losses and entropy, with TRL's statistic
// names (objective/kl, policy/clipfrac_avg, …).
//
// Models (rl.go, sft.go). RewardModel and ActorCritic put scalar heads on a
// gpt.Model; NewRollout and PPOLoss make one PPO update; DPOBatchLoss,
// BestOfN, Sample, Reply and Evaluate connect models to the data. The loops
// TrainSFT, TrainRewardModel, TrainDPO and TrainPPO run each stage and return
// per-step statistics for the chapters to print and draw.
//
// Every loss works on plain tensors or autograd Vars, so it is tested with
// hand-set log-probabilities (the stub-model style of rasbt's book) as well as
// on tiny models.
package finetune
