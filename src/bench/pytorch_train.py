#!/usr/bin/env python3
"""A model trained by PyTorch on the CPU, for `npm run bench:pytorch` and `bench:pytorch-cnn`.

  mlp  the seed MLP (784-520-320-240-120-10, ReLU), SGD (lr 0.01, momentum 0.5)
  cnn  PyTorch's examples/mnist Net (dropout in training mode), Adadelta (lr 1.0)
Same work per step as dptrain's bench: gather a batch of u8 rows by a shuffled index,
(x / 255 - 0.1307) / 0.3081, forward, cross-entropy, backward, the optimizer step.
The pixels are random bytes in MNIST's shape: the layers cost the same whatever the values.
Usage: pytorch_train.py mlp|cnn BATCH STEPS THREADS[,THREADS…]
Prints one JSON line per thread count: {"threads", "samples_per_s", "loss", "torch", "blas"}; loss is
the last step's, the same data and seed every time, so runs under different OpenBLAS kernels
(OPENBLAS_CORETYPE) must agree on it to rounding.
Not part of the test suite: it needs Debian's python3-torch (apt-get install python3-torch).
"""
import copy
import json
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        dims = [784, 520, 320, 240, 120, 10]
        for i in range(5):
            setattr(self, f"fc{i + 1}", nn.Linear(dims[i], dims[i + 1]))

    def forward(self, x):
        for i in range(1, 5):
            x = F.relu(getattr(self, f"fc{i}")(x))
        return self.fc5(x)


class CNN(nn.Module):  # pytorch/examples mnist/main.py
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.dropout1 = nn.Dropout(0.25)
        self.dropout2 = nn.Dropout(0.5)
        self.fc1 = nn.Linear(9216, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.relu(self.conv2(x))
        x = F.max_pool2d(x, 2)
        x = self.dropout1(x)
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = self.dropout2(x)
        return self.fc2(x)


def run(model_name: str, threads: int, batch: int, steps: int, warmup: int, warmup_s: float) -> tuple[float, float]:
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    shape = (60000, 1, 28, 28) if model_name == "cnn" else (60000, 784)
    images = torch.randint(0, 256, shape, dtype=torch.uint8)
    labels = torch.randint(0, 10, (60000,))
    order = torch.randperm(60000)
    model = CNN() if model_name == "cnn" else MLP()
    model.train()
    opt = torch.optim.Adadelta(model.parameters(), lr=1.0) if model_name == "cnn" else torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.5)

    def step(s: int) -> torch.Tensor:
        idx = order[(s * batch) % (60000 - batch):][:batch]
        x = (images[idx].float() / 255 - 0.1307) / 0.3081
        opt.zero_grad()
        loss = F.cross_entropy(model(x), labels[idx])
        loss.backward()
        opt.step()
        return loss

    # As dptrain's bench (src/bench/measure-engine.ts): at least `warmup` steps and warmup_s seconds
    # of them, then the initial state back and the timed steps from step 0, so the final loss does
    # not depend on how many warm-up steps ran.
    model0, opt0 = copy.deepcopy(model.state_dict()), copy.deepcopy(opt.state_dict())
    s, w0 = 0, time.perf_counter()
    while s < warmup or time.perf_counter() - w0 < warmup_s:
        step(s)
        s += 1
    model.load_state_dict(model0)
    opt.load_state_dict(opt0)
    t0 = time.perf_counter()
    for s in range(steps):
        loss = step(s)
    return batch * steps / (time.perf_counter() - t0), float(loss.item())


if __name__ == "__main__":
    model_name, batch, steps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    threads = [int(t) for t in sys.argv[4].split(",")]
    warmup_s = float(sys.argv[5]) / 1000 if len(sys.argv) > 5 else 0.0
    for t in threads:
        sps, loss = run(model_name, t, batch, steps, 20, warmup_s)
        print(json.dumps({"threads": t, "samples_per_s": sps, "loss": loss, "torch": torch.__version__, "blas": torch.__config__.show().count("OpenBLAS") > 0 and "OpenBLAS" or "other"}), flush=True)
