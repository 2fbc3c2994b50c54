"""A model trained with autograd: only the optimizer and scheduler lines have MindSpore recipes."""

import torch

model = torch.nn.Linear(3, 2)
opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
scheduler = torch.optim.lr_scheduler.StepLR(opt, step_size=5, gamma=0.5)
x, y = torch.randn(8, 3), torch.randn(8, 2)

for _epoch in range(10):
    opt.zero_grad()
    loss = torch.nn.functional.mse_loss(model(x), y)
    loss.backward()
    opt.step()
    scheduler.step()
