"""SGD with momentum + CosineAnnealingLR stepped once per update; parameters from torch.zeros/ones."""

import json

import numpy as np
import torch

data = np.load("inputs.npz")
bias = torch.nn.Parameter(torch.zeros(5))
scale = torch.nn.Parameter(torch.ones(3))
weight = torch.nn.Parameter(torch.tensor(data["init_0"]))
params = [weight, bias, scale]
opt = torch.optim.SGD(params, lr=0.05, momentum=0.9)
scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=200)

trajectory = []
for t in range(data["steps"].item()):
    opt.zero_grad()
    for i, p in enumerate(params):
        p.grad = torch.tensor(data[f"grad_{t}_{i}"])
    opt.step()
    scheduler.step()
    trajectory.append([x for p in params for x in p.detach().cpu().numpy().ravel().tolist()])

with open("result.json", "w") as f:
    json.dump({"trajectory": trajectory}, f)
