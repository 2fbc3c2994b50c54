"""Constructs without a proven rule: ReduceLROnPlateau and gradient clipping."""

import torch

params = [torch.nn.Parameter(torch.zeros(3))]
opt = torch.optim.Adam(params, lr=1e-3)
plateau = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, mode="min", factor=0.5, patience=2)

for _ in range(10):
    opt.zero_grad()
    params[0].grad = torch.ones(3)
    torch.nn.utils.clip_grad_norm_(params, max_norm=1.0)
    opt.step()
    plateau.step(1.0)
