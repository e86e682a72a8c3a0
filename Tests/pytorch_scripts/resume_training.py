# Training resumed from a checkpoint: 3 epochs, torch.save of the model's and the optimizer's
# state_dicts, a fresh model and optimizer loaded from the file, 3 more epochs. The losses
# continue as if training had never stopped. Prints each epoch's loss.
import os
import tempfile

import numpy as np
import torch
import torch.nn as nn

rng = np.random.default_rng(4)
x = torch.tensor(rng.normal(0, 1, (64, 5)), dtype=torch.float32)
y = torch.tensor((rng.normal(0, 1, (64, 5)) @ rng.normal(0, 1, (5, 1))).astype(np.float32))
init = {name: rng.uniform(-0.5, 0.5, shape) for name, shape in
        [("0.weight", (8, 5)), ("0.bias", (8,)), ("2.weight", (1, 8)), ("2.bias", (1,))]}


def make():
    model = nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 1))
    model.load_state_dict({k: torch.tensor(v, dtype=torch.float32) for k, v in init.items()})
    return model, torch.optim.Adam(model.parameters(), lr=0.05, betas=(0.8, 0.99))


def train(model, optimizer, epochs):
    for epoch in range(epochs):
        total = 0.0
        for b in range(4):
            optimizer.zero_grad()
            loss = nn.functional.mse_loss(model(x[b * 16:(b + 1) * 16]), y[b * 16:(b + 1) * 16])
            loss.backward()
            optimizer.step()
            total += loss.item()
        print(f"loss {total / 4:.6f}")


model, optimizer = make()
train(model, optimizer, 3)
path = os.path.join(tempfile.mkdtemp(), "checkpoint.pt")
torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": 3}, path)

model, optimizer = make()
checkpoint = torch.load(path)
model.load_state_dict(checkpoint["model"])
optimizer.load_state_dict(checkpoint["optimizer"])
train(model, optimizer, 3)
