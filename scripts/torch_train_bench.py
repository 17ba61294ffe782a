"""PyTorch's CPU training and inference throughput for the networks `genre bench` times, on
random 1-channel mel "images" (the README's speed comparison). Uses the reference networks of
scripts/fixtures (install scripts/fixtures/requirements.txt, or use `make fixtures`' venv).

Usage: python scripts/torch_train_bench.py [v1|v2|shufflenet] [batch] [H] [W] [threads]"""
import os
import sys
import time

import torch
import torch.nn as nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures"))
from networks import build  # noqa: E402

ARCHS = {"v1": ("mobilenet_v1", None), "v2": ("mobilenet_v2", None), "shufflenet": ("shufflenet_v1", 3)}
arch = sys.argv[1] if len(sys.argv) > 1 else "v2"
B = int(sys.argv[2]) if len(sys.argv) > 2 else 32
H = int(sys.argv[3]) if len(sys.argv) > 3 else 128
W = int(sys.argv[4]) if len(sys.argv) > 4 else 128
T = int(sys.argv[5]) if len(sys.argv) > 5 else 2
torch.set_num_threads(T)
torch.manual_seed(0)
name, groups = ARCHS[arch]
m = build(name, 10, 1.0, groups)
opt = torch.optim.SGD(m.parameters(), lr=0.01, momentum=0.9)
x = torch.randn(B, 1, H, W)
y = torch.randint(0, 10, (B,))
lossf = nn.CrossEntropyLoss()


def step():
    opt.zero_grad()
    loss = lossf(m(x), y)
    loss.backward()
    opt.step()


m.train()
for _ in range(2):
    step()
n = 5
t = time.perf_counter()
for _ in range(n):
    step()
dt = (time.perf_counter() - t) / n
m.eval()
with torch.no_grad():
    for _ in range(2):
        m(x)
    t = time.perf_counter()
    for _ in range(n):
        m(x)
    di = (time.perf_counter() - t) / n
    x1 = x[:1]
    for _ in range(3):
        m(x1)
    t = time.perf_counter()
    for _ in range(20):
        m(x1)
    d1 = (time.perf_counter() - t) / 20
params = sum(p.numel() for p in m.parameters())
print(f"torch {torch.__version__} {arch} B={B} {H}x{W} threads={T} params={params}")
print(f"train: {B/dt:.1f} samples/s ({dt*1000:.0f} ms/step)")
print(f"infer batch: {B/di:.1f} samples/s; infer single: {d1*1000:.2f} ms")
