#!/usr/bin/env python3
"""PyTorch's examples/mnist Net trained by PyTorch on the CPU, for `npm run bench:pytorch-cnn`.

Same work per step as dptrain's bench of configs/mnist-cnn.yaml: gather a batch of u8 rows by a
shuffled index, (x / 255 - 0.1307) / 0.3081, forward (with dropout), cross-entropy, backward,
Adadelta (lr 1.0). The pixels are random bytes in MNIST's shape: the layers cost the same whatever
the values.
Prints one JSON line per thread count: {"threads", "samples_per_s", "torch", "blas"}.
Not part of the test suite: it needs Debian's python3-torch (apt-get install python3-torch).
"""
import json
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):  # pytorch/examples mnist/main.py
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


def run(threads: int, batch: int, steps: int, warmup: int) -> float:
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    images = torch.randint(0, 256, (60000, 1, 28, 28), dtype=torch.uint8)
    labels = torch.randint(0, 10, (60000,))
    order = torch.randperm(60000)
    model = Net()
    opt = torch.optim.Adadelta(model.parameters(), lr=1.0)

    def step(s: int) -> None:
        idx = order[(s * batch) % (60000 - batch):][:batch]
        x = (images[idx].float() / 255 - 0.1307) / 0.3081
        opt.zero_grad()
        loss = F.cross_entropy(model(x), labels[idx])
        loss.backward()
        opt.step()

    model.train()
    for s in range(warmup):
        step(s)
    t0 = time.perf_counter()
    for s in range(warmup, warmup + steps):
        step(s)
    return batch * steps / (time.perf_counter() - t0)


if __name__ == "__main__":
    batch, steps = int(sys.argv[1]), int(sys.argv[2])
    threads = [int(t) for t in sys.argv[3].split(",")]
    for t in threads:
        sps = run(t, batch, steps, 20)
        print(json.dumps({"threads": t, "samples_per_s": sps, "torch": torch.__version__, "blas": torch.__config__.show().count("OpenBLAS") > 0 and "OpenBLAS" or "other"}), flush=True)
