"""The PyTorch twin of swiftnn's Seq2Seq (same parameter names and maths; cell "lstm" or "gru"
picks nn.LSTM or nn.GRU for both encoder and decoder), used by tools/gen_golden_seq2seq.py and
bench/bench_seq2seq.py. Needs torch."""
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence


class TorchSeq2Seq(nn.Module):
    def __init__(self, src_vocab, tgt_vocab, embed_dim, hidden_size, num_layers=1, bidirectional=False,
                 attention=None, pad_idx=0, bos_idx=1, eos_idx=2, cell="lstm"):
        super().__init__()
        D = 2 if bidirectional else 1
        hd = D * hidden_size
        self.L, self.D, self.H, self.hd = num_layers, D, hidden_size, hd
        self.pad, self.bos, self.eos, self.attention, self.V = pad_idx, bos_idx, eos_idx, attention, tgt_vocab
        self.src_embed = nn.Embedding(src_vocab, embed_dim, padding_idx=pad_idx)
        rnn = {"lstm": nn.LSTM, "gru": nn.GRU}[cell]
        self.gru = cell == "gru"
        self.encoder = rnn(embed_dim, hidden_size, num_layers, batch_first=True, bidirectional=bidirectional)
        self.tgt_embed = nn.Embedding(tgt_vocab, embed_dim, padding_idx=pad_idx)
        self.decoder = rnn(embed_dim, hd, num_layers, batch_first=True)
        if attention == "general":
            self.attn = nn.Linear(hd, hd, bias=False)
        if attention:
            self.attn_combine = nn.Linear(2 * hd, hd)
        self.out = nn.Linear(hd, tgt_vocab)

    def encode(self, src):
        lengths = (src != self.pad).sum(1)
        B, S = src.shape
        packed = pack_padded_sequence(self.src_embed(src), lengths.cpu(), batch_first=True, enforce_sorted=False)
        out, state = self.encoder(packed)
        out, _ = pad_packed_sequence(out, batch_first=True, total_length=S)

        def bridge(s):  # [L * D, B, H] -> [L, B, D * H]: a layer's directions side by side
            if self.D == 2:
                s = s.view(self.L, 2, B, self.H).permute(0, 2, 1, 3).reshape(self.L, B, self.hd)
            return s.contiguous()
        keys = self.attn(out) if self.attention == "general" else out
        mask = torch.arange(S)[None, :] >= lengths[:, None]
        # GRU state is h alone; LSTM's is (h, c). Either is what the decoder takes as hx.
        return out, keys, mask, bridge(state) if self.gru else tuple(bridge(s) for s in state)

    def head(self, dec, enc_out, keys, mask):
        if self.attention:
            scores = dec @ keys.transpose(1, 2)
            scores = scores.masked_fill(mask[:, None, :], -1e9)
            ctx = torch.softmax(scores, dim=2) @ enc_out
            dec = torch.tanh(self.attn_combine(torch.cat([ctx, dec], dim=2)))
        return self.out(dec)

    def teacher(self, tgt):
        B, T = tgt.shape
        lengths = (tgt != self.pad).sum(1)
        tin = torch.full((B, T + 1), self.pad, dtype=torch.long)
        tout = torch.full((B, T + 1), self.pad, dtype=torch.long)
        tin[:, 0] = self.bos
        for i in range(B):
            n = int(lengths[i])
            tin[i, 1:n + 1] = tgt[i, :n]
            tout[i, :n] = tgt[i, :n]
            tout[i, n] = self.eos
        return tin, tout

    def loss(self, src, tgt):
        enc_out, keys, mask, state = self.encode(src)
        tin, tout = self.teacher(tgt)
        dec, _ = self.decoder(self.tgt_embed(tin), state)
        logits = self.head(dec, enc_out, keys, mask)
        return nn.functional.cross_entropy(logits.reshape(-1, self.V), tout.reshape(-1), ignore_index=self.pad)

    def _allowed(self, lp):
        lp = lp.clone()
        lp[:, self.pad] = -float("inf")
        lp[:, self.bos] = -float("inf")
        return lp

    @torch.no_grad()
    def greedy(self, src, max_length):
        enc_out, keys, mask, state = self.encode(src)
        B = src.shape[0]
        last = torch.full((B, 1), self.bos, dtype=torch.long)
        done = torch.zeros(B, dtype=torch.bool)
        outs = [[] for _ in range(B)]
        for _ in range(max_length):
            dec, state = self.decoder(self.tgt_embed(last), state)
            lp = torch.log_softmax(self.head(dec, enc_out, keys, mask)[:, 0], dim=1)
            nxt = self._allowed(lp).argmax(1)
            for i in range(B):
                if not done[i]:
                    if int(nxt[i]) == self.eos:
                        done[i] = True
                    else:
                        outs[i].append(int(nxt[i]))
            if bool(done.all()):
                break
            last = nxt[:, None]
        return outs

    @torch.no_grad()
    def beam(self, src, beam_width, max_length, length_penalty=0.0):
        """Same algorithm as swiftnn's beamDecode, one source row at a time."""
        results = []
        for b in range(src.shape[0]):
            enc_out, keys, mask, state = self.encode(src[b:b + 1])
            alive, finished = [([], 0.0)], []
            norm = (lambda lp, n: lp) if length_penalty == 0 else (lambda lp, n: lp / n ** length_penalty)
            for t in range(max_length):
                k = len(alive)
                last = torch.tensor([[a[0][-1] if a[0] else self.bos] for a in alive])
                dec, state = self.decoder(self.tgt_embed(last), state)
                lp = self._allowed(torch.log_softmax(self.head(dec, enc_out.expand(k, -1, -1), keys.expand(k, -1, -1),
                                                                mask.expand(k, -1)), dim=2)[:, 0])
                total = torch.tensor([a[1] for a in alive], dtype=torch.float64)[:, None] + lp.double()
                vals, idx = total.view(-1).topk(min(beam_width, int(torch.isfinite(total).sum())))
                nxt, parents = [], []
                for v, i in zip(vals.tolist(), idx.tolist()):
                    p, tok = divmod(i, self.V)
                    toks = alive[p][0]
                    if tok == self.eos:
                        finished.append((toks, v, norm(v, len(toks) + 1)))
                    elif t == max_length - 1:
                        finished.append((toks + [tok], v, norm(v, len(toks) + 1)))
                    else:
                        nxt.append((toks + [tok], v))
                        parents.append(p)
                if not nxt or len(finished) >= beam_width:
                    break
                if length_penalty == 0 and finished and max(f[2] for f in finished) >= max(a[1] for a in nxt):
                    break
                state = state[:, parents] if self.gru else tuple(s[:, parents] for s in state)
                alive = nxt
            results.append(max(finished, key=lambda f: f[2])[0] if finished else [])
        return results
