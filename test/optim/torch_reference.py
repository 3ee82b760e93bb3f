# Generates the reference trajectories in optimizers.test.ts with real torch.optim (run with a
# python3 that has torch: /usr/bin/python3 test/optim/torch_reference.py). Not run by the tests.
import torch, json
torch.set_default_dtype(torch.float32)
theta0 = [0.5, -1.25, 2.0]
grads = [[0.1, -0.2, 0.3], [-0.05, 0.4, 0.25], [0.2, 0.1, -0.3]]
cases = {
  "adam": (torch.optim.Adam, dict(lr=0.01, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.1)),
  "adamw": (torch.optim.AdamW, dict(lr=0.01, betas=(0.8, 0.99), eps=1e-8, weight_decay=0.05)),
  "adadelta": (torch.optim.Adadelta, dict(lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.01)),
  "rmsprop": (torch.optim.RMSprop, dict(lr=0.01, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False)),
  "rmsprop_centered_momentum": (torch.optim.RMSprop, dict(lr=0.01, alpha=0.9, eps=1e-8, weight_decay=0.02, momentum=0.5, centered=True)),
}
out = {}
for name, (cls, kw) in cases.items():
  p = torch.nn.Parameter(torch.tensor(theta0))
  opt = cls([p], **kw)
  traj = []
  for g in grads:
    p.grad = torch.tensor(g)
    opt.step()
    traj.append([float(x) for x in p.detach()])
  st = opt.state[p]
  out[name] = {"theta": traj, "state": {k: [float(x) for x in v] for k, v in st.items() if k != "step"}}
print(json.dumps(out))
