#!/usr/bin/env python3
"""The seed MLP (784-520-320-240-120-10, ReLU) trained by PyTorch on the CPU, for `npm run bench:pytorch`.

Same work per step as dptrain's bench: gather a batch of u8 rows by a shuffled index,
(x / 255 - 0.1307) / 0.3081, forward, cross-entropy, backward, SGD (lr 0.01, momentum 0.5).
The pixels are random bytes in MNIST's shape: dense layers cost the same whatever the values.
Prints one JSON line per thread count: {"threads", "samples_per_s", "torch", "blas"}.
Not part of the test suite: it needs Debian's python3-torch (apt-get install python3-torch).
"""
import json
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        dims = [784, 520, 320, 240, 120, 10]
        for i in range(5):
            setattr(self, f"fc{i + 1}", nn.Linear(dims[i], dims[i + 1]))

    def forward(self, x):
        for i in range(1, 5):
            x = F.relu(getattr(self, f"fc{i}")(x))
        return self.fc5(x)


def run(threads: int, batch: int, steps: int, warmup: int) -> float:
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    images = torch.randint(0, 256, (60000, 784), dtype=torch.uint8)
    labels = torch.randint(0, 10, (60000,))
    order = torch.randperm(60000)
    model = Net()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.5)

    def step(s: int) -> None:
        idx = order[(s * batch) % (60000 - batch):][:batch]
        x = (images[idx].float() / 255 - 0.1307) / 0.3081
        opt.zero_grad()
        loss = F.cross_entropy(model(x), labels[idx])
        loss.backward()
        opt.step()

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
