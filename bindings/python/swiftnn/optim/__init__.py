"""swiftnn.optim: torch.optim's optimizers (SGD, Adam, AdamW, RMSprop, Adagrad), learning-rate schedulers
(swiftnn.optim.lr_scheduler) and clip_grad_norm_, over the engine's optimizers.

    opt = swiftnn.optim.SGD(model_params, lr=0.1, momentum=0.9)
    sched = swiftnn.optim.lr_scheduler.StepLR(opt, step_size=10, gamma=0.5)
    for epoch in range(30):
        opt.zero_grad()
        loss = ...; loss.backward()
        swiftnn.optim.clip_grad_norm_(model_params, max_norm=1.0)
        opt.step()
        sched.step()
"""
from . import lr_scheduler
from .clip import clip_grad_norm_
from .optimizer import SGD, Adagrad, Adam, AdamW, Optimizer, RMSprop

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "lr_scheduler", "clip_grad_norm_"]
