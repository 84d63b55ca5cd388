#!/usr/bin/python3
# bench: repeats=1 (one epoch of CNN1 in PyTorch takes a minute or more)
"""PyTorch's side of the nn stage: the same networks as scripts/bench/nn.lua,
initialised as Keras does (Glorot uniform, zero biases), one epoch of Adam 1e-3
with batch 32 on the first 80 % of the training rows (Keras's validation_split
0.2 holds out the last 20 %), shuffled, then the validation pass.  2 threads
(MNISTLAB_BENCH_TORCH_THREADS changes it: on a loaded machine PyTorch's OpenMP
threads spin and 1 thread is much faster, the fairer comparison then)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch
from torch import nn

import _bench as B

torch.set_num_threads(int(os.environ.get("MNISTLAB_BENCH_TORCH_THREADS", "2")))
torch.manual_seed(0)
d = B.fashion()


def keras_init(m):
    if isinstance(m, (nn.Linear, nn.Conv2d)):
        nn.init.xavier_uniform_(m.weight)
        nn.init.zeros_(m.bias)


def accuracy(net, X, y):
    net.eval()
    right = 0
    with torch.no_grad():
        for i in range(0, len(X), 1024):
            right += (net(X[i:i + 1024]).argmax(1) == y[i:i + 1024]).sum().item()
    return right / len(X)


def one_epoch(net, X, y):
    n_train = int(len(X) * 0.8)
    Xt, yt, Xv, yv = X[:n_train], y[:n_train], X[n_train:], y[n_train:]
    opt = torch.optim.Adam(net.parameters(), lr=1e-3, eps=1e-7)
    loss_fn = nn.CrossEntropyLoss()
    net.train()
    perm = torch.randperm(n_train)
    for i in range(0, n_train, 32):
        idx = perm[i:i + 32]
        opt.zero_grad()
        loss = loss_fn(net(Xt[idx]), yt[idx])
        loss.backward()
        opt.step()
    return accuracy(net, Xv, yv)


def run(step, net, shape):
    net.apply(keras_init)
    X = torch.from_numpy(d.Xtr).reshape(shape)
    y = torch.from_numpy(d.ytr)
    _, s = B.time(lambda: one_epoch(net, X, y))
    acc = accuracy(net, torch.from_numpy(d.Xte).reshape(shape), torch.from_numpy(d.yte))
    B.report(step, s, "test accuracy", acc)


only = os.environ.get("MNISTLAB_BENCH_NN")
if not only or only == "mlp":
    run("mlp 784-128-64-32-10 1 epoch",
        nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 32), nn.ReLU(),
                      nn.Linear(32, 10)), (-1, 784))
if not only or only == "cnn":
    run("cnn1 1 epoch",
        nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3), nn.ReLU(),
                      nn.MaxPool2d(2), nn.Conv2d(64, 32, 3), nn.ReLU(), nn.Flatten(), nn.Linear(288, 64), nn.ReLU(),
                      nn.Dropout(0.1), nn.Linear(64, 10)), (-1, 1, 28, 28))
