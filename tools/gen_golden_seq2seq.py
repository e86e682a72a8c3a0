#!/usr/bin/env python3
"""Writes Tests/golden/seq2seq_<case>.safetensors: a PyTorch TorchSeq2Seq (tools/seq2seq_torch.py,
the twin of swiftnn's Seq2Seq) state dict under its own names, a padded batch (src, tgt), the
masked teacher-forced loss, every parameter's gradient (grad.<name>), per-row sequence
log-probabilities (score) and greedy decodes (greedy, padded with 0). The config is in the
metadata. Cases: `attn` (bidirectional encoder, general attention), `dot` (dot attention),
`plain` (2 layers, no attention), `gru` (GRU encoder and decoder: 2 layers, bidirectional, general
attention). Run by hand (needs torch): `gen_golden_seq2seq.py [case ...]` writes the named cases
(default all; each case's seed is fixed by its place in CASES, so one can be written alone).
The outputs are committed."""
import json
import os
import sys

import torch
from safetensors.torch import save_file

sys.path.insert(0, os.path.dirname(__file__))
from seq2seq_torch import TorchSeq2Seq  # noqa: E402

CASES = {
    "attn": dict(src_vocab=9, tgt_vocab=8, embed_dim=5, hidden_size=4, num_layers=1, bidirectional=True, attention="general"),
    "dot": dict(src_vocab=9, tgt_vocab=8, embed_dim=5, hidden_size=6, num_layers=1, bidirectional=False, attention="dot"),
    "plain": dict(src_vocab=9, tgt_vocab=8, embed_dim=5, hidden_size=4, num_layers=2, bidirectional=False, attention=None),
    "gru": dict(src_vocab=9, tgt_vocab=8, embed_dim=5, hidden_size=3, num_layers=2, bidirectional=True, attention="general",
                cell="gru"),
}
wanted = sys.argv[1:] or list(CASES)
unknown = [w for w in wanted if w not in CASES]
if unknown:
    sys.exit(f"unknown case(s) {unknown}; cases: {list(CASES)}")
SRC = [[3, 4, 5, 6, 7], [8, 3, 0, 0, 0], [5, 5, 6, 0, 0]]
TGT = [[3, 4, 5, 0], [6, 0, 0, 0], [7, 3, 4, 6]]
out_dir = os.path.join(os.path.dirname(__file__), "..", "Tests", "golden")
for i, (name, cfg) in enumerate(CASES.items()):
    if name not in wanted:
        continue
    torch.manual_seed(100 + i)
    m = TorchSeq2Seq(**cfg).double().float()
    with torch.no_grad():  # larger weights than the default so the decodes are not all EOS
        for p in m.parameters():
            p.mul_(2.0)
        m.src_embed.weight[0].zero_()
        m.tgt_embed.weight[0].zero_()
    src, tgt = torch.tensor(SRC), torch.tensor(TGT)
    loss = m.loss(src, tgt)
    loss.backward()
    t = {k: v.detach().clone().contiguous() for k, v in m.state_dict().items()}
    for n, p in m.named_parameters():
        t["grad." + n] = p.grad.detach().clone().contiguous()
    with torch.no_grad():
        enc_out, keys, mask, state = m.encode(src)
        tin, tout = m.teacher(tgt)
        dec, _ = m.decoder(m.tgt_embed(tin), state)
        lp = torch.log_softmax(m.head(dec, enc_out, keys, mask), dim=2)
        score = torch.where(tout == 0, 0.0, lp.gather(2, tout.clamp(min=0)[..., None])[..., 0]).sum(1)
    greedy = m.greedy(src, 6)
    g = torch.zeros(len(greedy), 6, dtype=torch.long)
    for r, toks in enumerate(greedy):
        g[r, :len(toks)] = torch.tensor(toks, dtype=torch.long)
    t.update({"src": src, "tgt": tgt, "loss": loss.detach().reshape(1), "score": score, "greedy": g})
    meta = {"config": json.dumps({k: (v if v is not None else "none") for k, v in cfg.items()})}
    save_file(t, os.path.join(out_dir, f"seq2seq_{name}.safetensors"), metadata=meta)
    print(name, float(loss), greedy)
