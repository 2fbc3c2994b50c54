"""Setup sgd-momentum-multisteplr, as a user writes it: the update in a function, the rate read
back with get_last_lr() each step."""

import json

import numpy as np
import torch

LR = 0.05
data = np.load("inputs.npz")
params = [torch.nn.Parameter(torch.tensor(data[f"init_{i}"])) for i in range(int(data["n"]))]
opt = torch.optim.SGD(params, lr=LR, momentum=0.9, weight_decay=5e-4)
scheduler = torch.optim.lr_scheduler.MultiStepLR(opt, milestones=[20, 40], gamma=0.2)


def train_step(t):
    opt.zero_grad()
    for i, p in enumerate(params):
        p.grad = torch.tensor(data[f"grad_{t}_{i}"])
    opt.step()
    scheduler.step()
    return scheduler.get_last_lr()[0]


trajectory = [[x for p in params for x in p.detach().numpy().ravel().tolist()]]
rates = []
for t in range(int(data["steps"])):
    rates.append(train_step(t))
    trajectory.append([x for p in params for x in p.detach().numpy().ravel().tolist()])
assert abs(rates[-1] - LR * 0.2**2) < 1e-9, rates[-1]

with open("result.json", "w") as f:
    json.dump(trajectory, f)
