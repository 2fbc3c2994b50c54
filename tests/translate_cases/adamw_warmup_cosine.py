"""Setup adamw-warmup-cosine, as a user writes it: a warmup and a cosine decay composed with
SequentialLR, the schedulers written inside the list."""

import json

import numpy as np
import torch

data = np.load("inputs.npz")
steps = int(data["steps"])
params = [torch.nn.Parameter(torch.tensor(data[f"init_{i}"])) for i in range(int(data["n"]))]
optimizer = torch.optim.AdamW(params, lr=1e-3, weight_decay=0.05)
scheduler = torch.optim.lr_scheduler.SequentialLR(
    optimizer,
    [
        torch.optim.lr_scheduler.LinearLR(optimizer, start_factor=0.01, total_iters=10),
        torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=50, eta_min=1e-5),
    ],
    milestones=[10],
)

trajectory = [[x for p in params for x in p.detach().numpy().ravel().tolist()]]
for t in range(steps):
    optimizer.zero_grad()
    for i, p in enumerate(params):
        p.grad = torch.tensor(data[f"grad_{t}_{i}"])
    optimizer.step()
    scheduler.step()
    trajectory.append([x for p in params for x in p.detach().numpy().ravel().tolist()])

with open("result.json", "w") as f:
    json.dump(trajectory, f)
