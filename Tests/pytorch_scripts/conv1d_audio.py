# A Conv1d "audio" classifier: which of four tones is in a noisy 64-sample clip. Two strided
# convolutions, global average pooling over time, a linear head; SGD with momentum and a
# OneCycleLR schedule stepped per batch. Prints the loss of each batch.
import math

import numpy as np
import torch
import torch.nn as nn

rng = np.random.default_rng(2)
n = 96
freqs = np.array([2.0, 5.0, 9.0, 14.0])
labels = rng.integers(0, 4, n)
t = np.arange(64) / 64
clips = np.sin(2 * math.pi * freqs[labels][:, None] * t[None, :] + rng.uniform(0, 6.28, (n, 1)))
clips = (clips + rng.normal(0, 0.3, clips.shape)).astype(np.float32)[:, None, :]  # [N, 1, 64]


class AudioNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv1d(1, 8, kernel_size=9, stride=2, padding=4)
        self.conv2 = nn.Conv1d(8, 16, kernel_size=5, stride=2, padding=2)
        self.fc = nn.Linear(16, 4)

    def forward(self, x):
        x = torch.relu(self.conv1(x))
        x = torch.relu(self.conv2(x))
        return self.fc(x.mean(dim=2))


model = AudioNet()
with torch.no_grad():
    for name, p in sorted(model.named_parameters()):
        p.copy_(torch.tensor(rng.uniform(-0.3, 0.3, tuple(p.shape)), dtype=torch.float32))

optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.2, epochs=4, steps_per_epoch=6)
criterion = nn.CrossEntropyLoss()
x, y = torch.tensor(clips), torch.tensor(labels)
for epoch in range(4):
    for b in range(6):
        xb, yb = x[b * 16:(b + 1) * 16], y[b * 16:(b + 1) * 16]
        optimizer.zero_grad()
        loss = criterion(model(xb), yb)
        loss.backward()
        optimizer.step()
        scheduler.step()
        print(f"loss {loss.item():.6f}")
