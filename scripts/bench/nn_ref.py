#!/usr/bin/python3
# bench: repeats=1 (one epoch of CNN1 in PyTorch takes a minute or more)
"""PyTorch's side of the nn stage: the same networks as scripts/bench/nn.lua,
initialised as Keras does (Glorot uniform, zero biases), one epoch of Adam 1e-3
with batch 32 on the first 80 % of the training rows (Keras's validation_split
0.2 holds out the last 20 %), shuffled, then the validation pass.  L2 1e-4 is
Keras's kernel_regularizer: 1e-4 * sum(W**2) of each Dense kernel added to the
loss.

Threads: on this kind of machine PyTorch with 2 threads is often much slower
than with 1 (its OpenMP threads spin while the other core is busy), so both are
measured in the same run: first every network with 1 thread, then with 2 (each
in a process of its own).  Rows "<step> [torch 1 thread]" and "<step> [torch 2
threads]" give both; the row "<step>" (the one paired with ours) is the faster
of the two.  A 2-thread epoch is stopped as soon as it has taken longer than
the 1-thread one (it cannot be the faster then): its row says "stopped" and
its seconds are a lower bound.  MNISTLAB_BENCH_TORCH_THREADS=N measures with N
threads only, under the plain step names."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _bench as B

THREADS = os.environ.get("MNISTLAB_BENCH_TORCH_THREADS")


def parent():
    """Runs this script with 1 thread, then 2; prints the rows of both and the faster."""
    def child(threads, limits):
        env = dict(os.environ, MNISTLAB_BENCH_TORCH_THREADS=str(threads),
                   MNISTLAB_BENCH_TORCH_LIMITS=";".join("%s=%f" % kv for kv in limits.items()))
        p = subprocess.run([sys.executable, os.path.abspath(__file__)], env=env, stdout=subprocess.PIPE,
                           universal_newlines=True)
        rows = {}
        for line in p.stdout.splitlines():
            f = line.split("\t")
            if len(f) >= 5 and f[0] == "BENCH":
                rows[f[1]] = (float(f[2]), f[3], f[4])
        if p.returncode != 0:
            sys.stderr.write("nn_ref: %d threads: status %d\n" % (threads, p.returncode))
        return rows

    one = child(1, {})
    for step, (s, q, v) in one.items():
        B.report(step + " [torch 1 thread]", s, q, v)
    two = child(2, {step: s for step, (s, _, _) in one.items()})
    for step, (s, q, v) in two.items():
        B.report(step + " [torch 2 threads]", s, q, v)
    for step in one:
        cands = [(s, q, v) for (s, q, v) in (one.get(step), two.get(step)) if q == "test accuracy"]
        if cands:
            s, q, v = min(cands)
            B.report(step, s, q, v)
    sys.stderr.write("nn_ref: the reference row of each network is the faster of 1 and 2 threads\n")


def child():
    import time

    import torch
    from torch import nn

    torch.set_num_threads(int(THREADS))
    torch.manual_seed(0)
    limits = {}
    for kv in filter(None, os.environ.get("MNISTLAB_BENCH_TORCH_LIMITS", "").split(";")):
        k, v = kv.rsplit("=", 1)
        limits[k] = float(v)
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

    def one_epoch(net, X, y, l2, limit):
        """Training then the validation pass; None when stopped past `limit` seconds."""
        t0 = time.perf_counter()
        n_train = int(len(X) * 0.8)
        Xt, yt, Xv, yv = X[:n_train], y[:n_train], X[n_train:], y[n_train:]
        opt = torch.optim.Adam(net.parameters(), lr=1e-3, eps=1e-7)
        loss_fn = nn.CrossEntropyLoss()
        kernels = [m.weight for m in net.modules() if isinstance(m, nn.Linear)] if l2 else []
        net.train()
        perm = torch.randperm(n_train)
        for k, i in enumerate(range(0, n_train, 32)):
            if limit and k % 25 == 0 and time.perf_counter() - t0 > limit:
                return None
            idx = perm[i:i + 32]
            opt.zero_grad()
            loss = loss_fn(net(Xt[idx]), yt[idx])
            if kernels:
                loss = loss + l2 * sum((w * w).sum() for w in kernels)
            loss.backward()
            opt.step()
        return accuracy(net, Xv, yv)

    def run(step, net, shape, l2=0.0):
        net.apply(keras_init)
        X = torch.from_numpy(d.Xtr).reshape(shape)
        y = torch.from_numpy(d.ytr)
        limit = limits.get(step)
        val, s = B.time(lambda: one_epoch(net, X, y, l2, limit))
        if val is None:
            B.report(step, s, "stopped", "slower-than-1-thread")
            return
        acc = accuracy(net, torch.from_numpy(d.Xte).reshape(shape), torch.from_numpy(d.yte))
        B.report(step, s, "test accuracy", acc)

    def mlp(sizes, dropout=0.0):
        layers, n_in = [], 784
        for n in sizes:
            layers += [nn.Linear(n_in, n), nn.ReLU()] + ([nn.Dropout(dropout)] if dropout else [])
            n_in = n
        return nn.Sequential(*layers, nn.Linear(n_in, 10))

    only = os.environ.get("MNISTLAB_BENCH_NN")

    def want(what):
        return not only or only == what

    flat, image = (-1, 784), (-1, 1, 28, 28)
    if want("lab"):
        run("mlp0 784-32-10 1 epoch", mlp([32]), flat)
        run("mlp1 784-128-10 1 epoch", mlp([128]), flat)
        run("mlp 784-128x4-10 1 epoch", mlp([128] * 4), flat)
        run("mlp 784-128x4-10 dropout 0.2 1 epoch", mlp([128] * 4, 0.2), flat)
        run("mlp 784-128x4-10 L2 1e-4 1 epoch", mlp([128] * 4), flat, l2=1e-4)
    if want("mlp"):
        run("mlp 784-128-64-32-10 1 epoch", mlp([128, 64, 32]), flat)
    if want("lab"):
        run("mlp5 784-128-128-64-10 dropout 0.15 1 epoch", mlp([128, 128, 64], 0.15), flat)
        run("cnn0 1 epoch",
            nn.Sequential(nn.Conv2d(1, 64, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(13 * 13 * 64, 64),
                          nn.ReLU(), nn.Linear(64, 10)), image)
    if want("cnn"):
        run("cnn1 1 epoch",
            nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3), nn.ReLU(),
                          nn.MaxPool2d(2), nn.Conv2d(64, 32, 3), nn.ReLU(), nn.Flatten(), nn.Linear(288, 64),
                          nn.ReLU(), nn.Dropout(0.1), nn.Linear(64, 10)), image)


if THREADS:
    child()
else:
    parent()
