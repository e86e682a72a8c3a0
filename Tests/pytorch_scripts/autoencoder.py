# A convolutional autoencoder on 12x12 images of bright squares: Conv2d down, ConvTranspose2d
# up, Sigmoid; MSELoss, Adam, ReduceLROnPlateau on the epoch loss. Prints each epoch's loss.
import numpy as np
import torch
import torch.nn as nn

rng = np.random.default_rng(3)
images = np.zeros((48, 1, 12, 12), np.float32)
for i in range(48):
    r, c, s = rng.integers(0, 8), rng.integers(0, 8), rng.integers(2, 5)
    images[i, 0, r:r + s, c:c + s] = 1.0
images += rng.normal(0, 0.05, images.shape).astype(np.float32)

model = nn.Sequential(
    nn.Conv2d(1, 6, kernel_size=3, stride=2, padding=1), nn.ReLU(),    # [N, 6, 6, 6]
    nn.Conv2d(6, 8, kernel_size=3, stride=2, padding=1), nn.ReLU(),    # [N, 8, 3, 3]
    nn.ConvTranspose2d(8, 6, kernel_size=4, stride=2, padding=1), nn.ReLU(),  # [N, 6, 6, 6]
    nn.ConvTranspose2d(6, 1, kernel_size=4, stride=2, padding=1), nn.Sigmoid(),  # [N, 1, 12, 12]
)
with torch.no_grad():
    for name, p in sorted(model.named_parameters()):
        p.copy_(torch.tensor(rng.uniform(-0.3, 0.3, tuple(p.shape)), dtype=torch.float32))

optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.5, patience=1)
criterion = nn.MSELoss()
x = torch.tensor(images)
for epoch in range(8):
    total = 0.0
    for b in range(3):
        xb = x[b * 16:(b + 1) * 16]
        optimizer.zero_grad()
        loss = criterion(model(xb), xb)
        loss.backward()
        optimizer.step()
        total += loss.item()
    scheduler.step(total / 3)
    print(f"loss {total / 3:.6f}")
