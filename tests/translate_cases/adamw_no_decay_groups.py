"""Setup adamw-no-decay-norm-bias, as a user writes it: AdamW with weight decay on the weight
matrices only (parameter groups), on the KB's standard inputs (inputs.npz)."""

import json

import numpy as np
import torch

data = np.load("inputs.npz")
params = [torch.nn.Parameter(torch.tensor(data[f"init_{i}"])) for i in range(int(data["n"]))]
decay = [p for p in params if p.ndim >= 2]
no_decay = [p for p in params if p.ndim < 2]
opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}], lr=2e-3)

trajectory = [[x for p in params for x in p.detach().numpy().ravel().tolist()]]
for t in range(int(data["steps"])):
    opt.zero_grad()
    for i, p in enumerate(params):
        p.grad = torch.tensor(data[f"grad_{t}_{i}"])
    opt.step()
    trajectory.append([x for p in params for x in p.detach().numpy().ravel().tolist()])

with open("result.json", "w") as f:
    json.dump(trajectory, f)
