# A small Transformer encoder classifying token sequences (does the token 7 occur?):
# Embedding, TransformerEncoder (batch_first, no dropout), mean pooling, Linear; AdamW with
# a LambdaLR warm-up. Prints the loss of each step.
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

rng = np.random.default_rng(1)
tokens = rng.integers(0, 10, (64, 12))
targets = (tokens == 7).any(axis=1).astype(np.int64)


class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(10, 16)
        layer = nn.TransformerEncoderLayer(d_model=16, nhead=4, dim_feedforward=32, dropout=0.0, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, num_layers=2)
        self.head = nn.Linear(16, 2)

    def forward(self, x):
        h = self.encoder(self.embed(x))
        return self.head(h.mean(dim=1))


model = Classifier()
with torch.no_grad():
    for name, p in sorted(model.named_parameters()):
        if name.endswith("bias"):
            p.zero_()
        elif p.dim() == 1:  # LayerNorm weights
            p.fill_(1.0)
        else:
            p.copy_(torch.tensor(rng.normal(0, 0.3, tuple(p.shape)), dtype=torch.float32))

optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.01)
scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: min(1.0, (step + 1) / 5))
x, y = torch.tensor(tokens), torch.tensor(targets)
for step in range(25):
    batch = slice((step % 4) * 16, (step % 4) * 16 + 16)
    optimizer.zero_grad()
    loss = F.cross_entropy(model(x[batch]), y[batch])
    loss.backward()
    optimizer.step()
    scheduler.step()
    print(f"loss {loss.item():.6f}")
