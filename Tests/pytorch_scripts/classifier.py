# An MLP classifier on three Gaussian blobs: TensorDataset + DataLoader, CrossEntropyLoss with
# class weights and label smoothing, Adam, StepLR. Prints the mean loss of each epoch.
import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

rng = np.random.default_rng(0)
centers = np.array([[2.0, 0.0, 1.0, -1.0], [-1.0, 2.0, 0.0, 1.0], [0.0, -2.0, -1.0, 0.0]])
labels = rng.integers(0, 3, 240)
points = centers[labels] + rng.normal(0, 1.0, (240, 4))
dataset = TensorDataset(torch.tensor(points, dtype=torch.float32), torch.tensor(labels, dtype=torch.int64))
loader = DataLoader(dataset, batch_size=32, shuffle=False)

model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3))
with torch.no_grad():  # weights from numpy, so that every framework starts from the same point
    for name, p in sorted(model.named_parameters()):
        p.copy_(torch.tensor(rng.uniform(-0.4, 0.4, tuple(p.shape)), dtype=torch.float32))

criterion = nn.CrossEntropyLoss(weight=torch.tensor([1.0, 2.0, 0.5]), label_smoothing=0.1)
optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)

for epoch in range(6):
    model.train()
    total, batches = 0.0, 0
    for x, y in loader:
        optimizer.zero_grad()
        loss = criterion(model(x), y)
        loss.backward()
        optimizer.step()
        total += loss.item()
        batches += 1
    scheduler.step()
    print(f"loss {total / batches:.6f}")

model.eval()
with torch.no_grad():
    x, y = dataset.tensors
    accuracy = (model(x).argmax(dim=1) == y).float().mean().item()
print(f"accuracy {accuracy:.4f}")
