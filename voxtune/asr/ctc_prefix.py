"""Joint CTC/attention decoding: the encoder's CTC head scores every prefix the LLM extends.

At each step the LLM's log-probability of the next token is mixed with the CTC prefix score
(Watanabe et al. 2017, "Hybrid CTC/attention"; ESPnet's `CTCPrefixScore`):

    score(h) = (1 − λ) · log P_llm(h) + λ · log P_ctc(h…)

where P_ctc(h…) is the probability that the CTC head's output starts with prefix h (for
`<|im_end|>`: that it is exactly h). The CTC term cannot be fooled by a sentence the LLM has
memorised: a prefix the audio does not contain gets a tiny probability. The increments
telescope, so the summed scores are λ · log P_ctc(h) over the whole hypothesis.

The forward variables of each prefix over the encoder frames are computed for every
candidate token at once, with cumulative log-sum-exp over time instead of a loop, and kept
for one step, keyed by the hypothesis, so beam search may reorder and prune rows freely.
"""

import torch
from transformers import LogitsProcessor

NEG = -1e30  # log of zero that stays finite under subtraction


class CTCPrefixScorer(LogitsProcessor):
    """A transformers `LogitsProcessor` for `generate` from input embeddings.

    `log_probs` [B, T, V + 1] are the CTC head's log-probabilities (blank last) of the B
    clips, `lengths` [B] their encoder frames; rows of `generate` (B × beams) map to clips
    by `row // beams`. Tokens are the LLM's; `stop` ends a hypothesis.
    """

    def __init__(self, log_probs: torch.Tensor, lengths: torch.Tensor, weight: float,
                 stop: list[int], beams: int):
        self.x = log_probs.double()
        self.blank = log_probs.shape[-1] - 1
        self.lengths = lengths.to(log_probs.device)
        self.weight, self.stop, self.beams = weight, stop, beams
        self.cache: dict[tuple[int, tuple[int, ...]], tuple] = {}

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor
                 ) -> torch.FloatTensor:
        llm = scores.float().log_softmax(-1)
        keys = [(row // self.beams, tuple(prefix))
                for row, prefix in enumerate(input_ids.tolist())]
        rn, rb, psi = (torch.stack(part) for part in zip(*(self._state(*k) for k in keys),
                                                          strict=True))
        ext_n, ext_b, ext_psi, end = self._extend([k[0] for k in keys],
                                                  [k[1] for k in keys], rn, rb)
        self.cache = {key: (ext_n[row], ext_b[row], ext_psi[row])
                      for row, key in enumerate(keys)}
        vocabulary = min(llm.shape[-1], self.blank)
        ctc = torch.full_like(llm, NEG)
        ctc[:, :vocabulary] = (ext_psi[:, :vocabulary] - psi[:, None]).float()
        for token in self.stop:
            ctc[:, token] = (end - psi).float()
        return (1 - self.weight) * llm + self.weight * ctc

    def _state(self, clip: int, prefix: tuple[int, ...]):
        """(r_n [T], r_b [T], prefix log-probability) of `prefix` on clip `clip`: the
        probabilities that the CTC output up to frame t is `prefix`, ending in its last token
        (r_n) or in blank (r_b)."""
        if not prefix:
            blank = self.x[clip, :, self.blank]
            return torch.full_like(blank, NEG), blank.cumsum(0), blank.new_zeros(())
        parent = self.cache.get((clip, prefix[:-1]))
        if parent is None:  # not scored last step (a row generate padded): rebuild it
            rn, rb, _ = self._state(clip, prefix[:-1])
            ext_n, ext_b, ext_psi, _ = self._extend([clip], [prefix[:-1]], rn[None], rb[None])
            parent = (ext_n[0], ext_b[0], ext_psi[0])
        ext_n, ext_b, ext_psi = parent
        token = prefix[-1]
        return ext_n[:, token], ext_b[:, token], ext_psi[token]

    def _extend(self, clips: list[int], prefixes: list[tuple[int, ...]], rn: torch.Tensor,
                rb: torch.Tensor):
        """For R prefixes at once: the forward variables [R, T, V] and prefix
        log-probabilities [R, V] of each prefix + every token, and the log-probability [R]
        that the output is exactly the prefix."""
        x = self.x[clips]  # [R, T, V + 1]
        blank_cum = x[..., self.blank].cumsum(1)  # [R, T]
        x = x[..., :self.blank]
        frames = self.lengths[clips]
        phi = torch.logaddexp(rn, rb)[..., None].repeat(1, 1, x.shape[-1])  # [R, T, V]
        for row, prefix in enumerate(prefixes):
            if prefix:  # a repeated token needs a blank in between
                phi[row, :, prefix[-1]] = rb[row]
        entering = torch.full_like(x, NEG)
        empty = torch.tensor([not p for p in prefixes], device=x.device)
        entering[:, 0] = torch.where(empty[:, None], x[:, 0], NEG)
        entering[:, 1:] = phi[:, :-1] + x[:, 1:]
        past_end = torch.arange(x.shape[1], device=x.device)[None] >= frames[:, None]
        entering = entering.masked_fill(past_end[..., None], NEG)
        ext_psi = torch.logsumexp(entering, dim=1)
        cum = x.cumsum(1)
        ext_n = cum + torch.logcumsumexp(entering - cum, dim=1)
        ext_b = torch.full_like(ext_n, NEG)
        ext_b[:, 1:] = blank_cum[:, 1:, None] + torch.logcumsumexp(
            ext_n[:, :-1] - blank_cum[:, :-1, None], dim=1)
        last = (frames - 1)[:, None]
        end = torch.logaddexp(rn.gather(1, last), rb.gather(1, last))[:, 0]
        return ext_n, ext_b, ext_psi, end
