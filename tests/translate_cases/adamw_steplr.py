"""AdamW + StepLR on the KB's standard inputs (inputs.npz: `init_<i>` arrays, `grads` per step)."""

import json

import numpy as np
import torch

data = np.load("inputs.npz")
n = len([k for k in data.files if k.startswith("init_")])
params = [torch.nn.Parameter(torch.tensor(data[f"init_{i}"])) for i in range(n)]
opt = torch.optim.AdamW(params, lr=0.01, weight_decay=0.05)
scheduler = torch.optim.lr_scheduler.StepLR(opt, step_size=10, gamma=0.5)

trajectory, rates = [], []
for t in range(data["steps"].item()):
    opt.zero_grad()
    for i, p in enumerate(params):
        p.grad = torch.tensor(data[f"grad_{t}_{i}"])
    opt.step()
    scheduler.step()
    rates.append(scheduler.get_last_lr()[0])
    trajectory.append([p.detach().numpy().ravel().tolist() for p in params])

with open("result.json", "w") as f:
    json.dump({"trajectory": trajectory, "rates": rates}, f)
