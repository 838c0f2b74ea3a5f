#!/usr/bin/python3
"""Training recipe of the shipped model cxr-pneumonia 2.0: one compact CNN per validated population
(children aged 1-5, AP films, Guangzhou; adults, AP/PA films, NIH), exported together as one ONNX
graph, with per-population calibrated scores, class activation maps (CAM) and out-of-distribution
distances as outputs. The patient's age chooses which population's column the runtime reads.

Run with Debian's interpreter (python3-torch, python3-torchvision, python3-onnx, python3-pil, python3-pydicom):
    nice /usr/bin/python3 models/cxr-pneumonia/train/train.py [--shared DIR] [--threads N] [--no-compare] [--out DIR]
DIR defaults to $AMUR_SHARED, or ../shared beside the repository. Everything is seeded; on the same torch
version and thread count the run is repeatable (see manifest "training").

What it does, and why:
  1. Splits each population by patient into train / tune / validation. The validation split is never
     used for any choice: it only gives the figures of the manifest and the card. The tune split picks
     the operating points, fits the per-population calibration and checks the OOD threshold.
  2. Trains each population's network on its own train split. Sampling weights make the label
     independent of the view in what a network sees (AP-vs-PA cannot stand in for pneumonia);
     augmentation blanks borders and corners (burned-in text, side markers) and jitters geometry and
     contrast.
  3. Fits, per population, the mean and a shrunk covariance of its network's 128-d pooled features on
     its train images: the squared Mahalanobis distance from them is the "ood" output; images beyond
     the threshold are not scored by the runtime.
  4. Evaluates on the untouched validation splits: AUROC with patient-bootstrap CIs, operating points,
     calibration (ECE, reliability), subgroups, the shortcut experiments (masking), the AP/PA check,
     the OOD check on non-chest DICOM images, and (unless --no-compare) one network trained on both
     populations at once with the same recipe, which is why the package holds one per population.
  5. Exports model.onnx, writes manifest.json, train/evaluation.json, train/val_scores.json,
     train/parity.json, train/reliability.svg and the figures block of MODEL_CARD.md.
"""
import argparse
import csv
import glob
import hashlib
import json
import os
import random
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
MODEL_DIR = os.path.dirname(HERE)
REPO = os.path.dirname(os.path.dirname(MODEL_DIR))
OUT, OUT_TRAIN = MODEL_DIR, HERE

SEED = 20261207
SIZE = 256
MEAN = 0.5
STD = 0.25
EPOCHS = 18
BATCH = 32
LR = 2e-3
WEIGHT_DECAY = 1e-4
BOOTSTRAP = 2000
# Share of the training draws that come from the adult set (it has 700 images against ~3,300):
# enough to learn it, without drawing each adult image five times per epoch.
ADULT_SHARE = 0.3
OOD_QUANTILE = 0.995
OOD_MARGIN = 1.5

POPULATIONS = [
    {
        'id': 'paediatric',
        'description': 'Children aged 1 to 5 years, anterior-posterior chest radiographs '
                       "(Guangzhou Women and Children's Medical Center, China; Kermany et al. 2018)",
        'age_years': [1, 5],
        'ViewPosition': ['AP'],
        'data': 'kermany-pediatric-train',
    },
    {
        'id': 'adult',
        'description': 'Adults aged 18 to 85 years, AP and PA chest radiographs (NIH Clinical Center, ChestX-ray14)',
        'age_years': [18, 85],
        'ViewPosition': ['AP', 'PA'],
        'data': 'nih-cxr-pneumonia',
    },
]


def seed_all(seed):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


# ---- the runtime's resize, exactly (core/triage/preprocess.ts filterWeights / toInputTensor) ----------

def filter_matrix(src, dst):
    """Triangle filter widened by the scale when shrinking, bilinear when enlarging; weights rounded to
    float32 as the runtime stores them."""
    scale = src / dst
    support = max(scale, 1.0)
    m = np.zeros((dst, src), dtype=np.float64)
    for i in range(dst):
        center = (i + 0.5) * scale
        lo = max(0, int(np.floor(center - support)))
        hi = min(src, int(np.ceil(center + support)))
        w = [max(0.0, 1 - abs((j + 0.5 - center) / support)) for j in range(lo, hi)]
        s = sum(w)
        for k, j in enumerate(range(lo, hi)):
            m[i, j] = np.float32(w[k] / s)
    return m


_FILTERS = {}


def to_tensor(grey01):
    """0..1 grey image of any size -> the normalised SIZE x SIZE input, as the runtime computes it."""
    h, w = grey01.shape
    if (h, w) == (SIZE, SIZE):
        return ((grey01.astype(np.float64) - MEAN) / STD).astype(np.float32)
    f = min(w // (2 * SIZE), h // (2 * SIZE))
    if f >= 2:
        hh, ww = -(-h // f), -(-w // f)
        pad = np.zeros((hh * f, ww * f)); cnt = np.zeros_like(pad)
        pad[:h, :w] = grey01; cnt[:h, :w] = 1
        grey01 = (pad.reshape(hh, f, ww, f).sum((1, 3)) / cnt.reshape(hh, f, ww, f).sum((1, 3))).astype(np.float32)
        h, w = grey01.shape
    key = (h, w)
    if key not in _FILTERS:
        _FILTERS[key] = (filter_matrix(h, SIZE), filter_matrix(w, SIZE))
    wy, wx = _FILTERS[key]
    tmp = (grey01.astype(np.float64) @ wx.T).astype(np.float32)
    out = wy @ tmp.astype(np.float64)
    return ((out - MEAN) / STD).astype(np.float32)


# ---- data --------------------------------------------------------------------------------------------

def read_grey(path):
    """8-bit grey pixels as the test fixtures write them into DICOM: PIL's 'L' conversion (ITU-R 601
    luma) of the source file, then value / 255 as the file's window 128/256 maps it."""
    im = Image.open(path).convert('L')
    return np.asarray(im, dtype=np.uint8)


def dataset_sha256(folder, files):
    """SHA-256 over labels.csv and every image (name and content), in sorted order: what was trained on."""
    h = hashlib.sha256()
    for name in ['labels.csv'] + sorted(files):
        h.update(name.encode() + b'\0')
        h.update(hashlib.sha256(open(os.path.join(folder, name), 'rb').read()).digest())
    return h.hexdigest()


def split_patients(rows, seed, shares):
    """Patients shuffled per class (has any pneumonia image or not) and dealt into the named splits by
    share, so every image of a patient lands in one split."""
    pats = {}
    for r in rows:
        pats[r['patient_id']] = pats.get(r['patient_id'], 0) | r['y']
    rng = random.Random(seed)
    out = {}
    for cls in (0, 1):
        ps = sorted(p for p, v in pats.items() if v == cls)
        rng.shuffle(ps)
        n = len(ps)
        edges, acc = [], 0.0
        for name, share in shares:
            acc += share
            edges.append((name, round(acc * n)))
        k = 0
        for i, p in enumerate(ps):
            while i >= edges[k][1]:
                k += 1
            out[p] = edges[k][0]
    return out


def load_population(shared, pop_index):
    pop = POPULATIONS[pop_index]
    folder = os.path.join(shared, 'data', pop['data'])
    with open(os.path.join(folder, 'labels.csv'), newline='') as f:
        rows = list(csv.DictReader(f))
    for r in rows:
        r['y'] = 1 if r['label'] == 'pneumonia' else 0
        r['population'] = pop['id']
        r['pop'] = pop_index
        r['path'] = os.path.join(folder, r['filename'])
        if pop['id'] == 'paediatric':
            # The source gives no per-image age, sex or view: children aged 1-5, AP films (README).
            r['age'] = None
            r['view'] = 'AP'
            r['sex'] = ''
        else:
            r['age'] = int(r['age'])
            r['sex'] = r.get('sex', '')
    if pop['id'] == 'paediatric':
        split = split_patients(rows, SEED, [('train', 0.7), ('tune', 0.1), ('val', 0.2)])
        for r in rows:
            r['split'] = split[r['patient_id']]
    else:
        # The CheXNet reproduction's patient-wise val split stays the untouched validation split; 15%
        # of the train patients become the tune split.
        train_rows = [r for r in rows if r['chexnet_split'] == 'train']
        split = split_patients(train_rows, SEED, [('train', 0.85), ('tune', 0.15)])
        for r in rows:
            r['split'] = 'val' if r['chexnet_split'] == 'val' else split[r['patient_id']]
    sha = dataset_sha256(folder, [r['filename'] for r in rows])
    return rows, sha


def in_scope(r):
    """Whether the runtime would score this image: its age within the population's band (children
    of the paediatric set are 1-5 by the source's statement)."""
    pop = POPULATIONS[r['pop']]
    if r['age'] is None:
        return True
    lo, hi = pop['age_years']
    return lo <= r['age'] <= hi and r['view'] in pop['ViewPosition']


# ---- the network -------------------------------------------------------------------------------------

class Net(nn.Module):
    """Five conv blocks to a 16x16 feature grid, then a 1x1 conv to a per-location logit (the CAM);
    the image logit is the CAM's mean, so the map is exactly what the score is made of. The pooled
    features (128-d) are the embedding the OOD distance is measured on."""

    def __init__(self):
        super().__init__()

        def block(cin, cout, k=3, stride=1):
            return nn.Sequential(nn.Conv2d(cin, cout, k, stride, k // 2, bias=False),
                                 nn.BatchNorm2d(cout), nn.ReLU(inplace=True))

        self.features = nn.Sequential(
            nn.AvgPool2d(2),                          # 256 -> 128
            block(1, 16, 5, 2),                       # 128 -> 64
            block(16, 32), nn.MaxPool2d(2),           # 64 -> 32
            block(32, 64), nn.MaxPool2d(2),           # 32 -> 16
            block(64, 96),
            block(96, 128),
        )
        self.drop = nn.Dropout2d(0.2)
        self.classifier = nn.Conv2d(128, 1, 1)

    def forward(self, x):
        f = self.features(x)
        cam = self.classifier(self.drop(f))
        logit = cam.mean(dim=(2, 3))
        return logit, cam, f.mean(dim=(2, 3))


class Export(nn.Module):
    """One network per population in one graph. Column / channel p is population p's network:
    score [batch, P] its calibrated sigmoid(a_p * logit + b_p); cam [batch, P, 16, 16] its raw logit map
    (whose mean is the logit); ood [batch, P] the squared Mahalanobis distance of its pooled features
    from population p's training images."""

    def __init__(self, nets, calib, mu, chol):
        super().__init__()
        self.nets = nn.ModuleList(nets)
        self.register_buffer('a', torch.tensor([c[0] for c in calib], dtype=torch.float32).view(1, -1))
        self.register_buffer('b', torch.tensor([c[1] for c in calib], dtype=torch.float32).view(1, -1))
        self.register_buffer('mu', torch.tensor(np.stack(mu), dtype=torch.float32))        # [P, D]
        self.register_buffer('chol', torch.tensor(np.stack(chol), dtype=torch.float32))    # [P, D, D]

    def forward(self, image):
        logits, cams, embs = [], [], []
        for net in self.nets:
            logit, cam, emb = net(image)
            logits.append(logit)
            cams.append(cam)
            embs.append(emb)
        score = torch.sigmoid(torch.cat(logits, 1) * self.a + self.b)       # [B, P]
        d = torch.stack(embs, 1) - self.mu.unsqueeze(0)                      # [B, P, D]
        z = torch.matmul(d.unsqueeze(2), self.chol.unsqueeze(0)).squeeze(2)  # [B, P, D]
        ood = (z * z).sum(dim=2)
        return score, torch.cat(cams, 1), ood


def augment(x, gen):
    """Geometric and intensity jitter a chest radiograph can plausibly show (no left-right flip: the
    heart's side is anatomy), plus the shortcut mitigation: with some probability a border band is
    blanked and a bright or dark box is laid into a corner, where films carry burned-in text and side
    markers, so that neither their presence nor their absence can carry the label."""
    n = x.shape[0]
    ang = (torch.rand(n, generator=gen) - 0.5) * 2 * (8 * np.pi / 180)
    scale = 1 + (torch.rand(n, generator=gen) - 0.5) * 0.2
    tx = (torch.rand(n, generator=gen) - 0.5) * 0.12
    ty = (torch.rand(n, generator=gen) - 0.5) * 0.12
    cos, sin = torch.cos(ang) / scale, torch.sin(ang) / scale
    theta = torch.stack([torch.stack([cos, -sin, tx], 1), torch.stack([sin, cos, ty], 1)], 1)
    grid = F.affine_grid(theta, x.shape, align_corners=False)
    bg = (0 - MEAN) / STD
    x = F.grid_sample(x - bg, grid, align_corners=False, padding_mode='zeros') + bg
    gain = 1 + (torch.rand(n, 1, 1, 1, generator=gen) - 0.5) * 0.3
    bias = (torch.rand(n, 1, 1, 1, generator=gen) - 0.5) * 0.3
    x = x * gain + bias
    x = x.clone()
    lo_v, hi_v = (0 - MEAN) / STD, (1 - MEAN) / STD
    r = torch.rand(n, 6, generator=gen)
    for i in range(n):
        if r[i, 0] < 0.4:  # a border band blanked (cropped film, collimation, a label strip)
            w = int(8 + r[i, 1] * 30)
            side = int(r[i, 2] * 4)
            v = lo_v if r[i, 3] < 0.7 else hi_v
            if side == 0:
                x[i, :, :w, :] = v
            elif side == 1:
                x[i, :, -w:, :] = v
            elif side == 2:
                x[i, :, :, :w] = v
            else:
                x[i, :, :, -w:] = v
        if r[i, 4] < 0.4:  # a marker- or text-like box in a corner
            s = int(10 + r[i, 5] * 40)
            c = int((r[i, 1] * 7919) % 4)
            v = hi_v if r[i, 3] > 0.3 else lo_v
            ys = slice(4, 4 + s // 2) if c < 2 else slice(SIZE - 4 - s // 2, SIZE - 4)
            xs = slice(4, 4 + s) if c % 2 == 0 else slice(SIZE - 4 - s, SIZE - 4)
            x[i, :, ys, xs] = v
    return x


def sample_weights(rows):
    """Per-image draw weights: inside each (population, view) cell both labels get the same total
    weight (the label cannot be read from the population or the view), and the adult set gets
    ADULT_SHARE of all draws."""
    cells = {}
    for r in rows:
        cells.setdefault((r['pop'], r['view'], r['y']), 0)
        cells[(r['pop'], r['view'], r['y'])] += 1
    w = np.zeros(len(rows))
    for i, r in enumerate(rows):
        w[i] = 1.0 / cells[(r['pop'], r['view'], r['y'])]
    pops = np.array([r['pop'] for r in rows])
    present = sorted(set(pops.tolist()))
    if len(present) == 2:
        share = {0: 1 - ADULT_SHARE, 1: ADULT_SHARE}
        for p in present:
            w[pops == p] *= share[p] / w[pops == p].sum()
    return w / w.sum()


def train_model(X, rows, seed, log_prefix):
    seed_all(seed)
    gen = torch.Generator().manual_seed(seed)
    net = Net()
    opt = torch.optim.AdamW(net.parameters(), lr=LR, weight_decay=WEIGHT_DECAY)
    per_epoch = (len(X) + BATCH - 1) // BATCH
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=LR, total_steps=EPOCHS * per_epoch, pct_start=0.2)
    Xt = torch.from_numpy(X).unsqueeze(1)
    yt = torch.tensor([r['y'] for r in rows], dtype=torch.float32)
    weights = torch.from_numpy(sample_weights(rows))
    for epoch in range(EPOCHS):
        net.train()
        draw = torch.multinomial(weights, per_epoch * BATCH, replacement=True, generator=gen)
        total = 0.0
        t0 = time.time()
        for i in range(per_epoch):
            idx = draw[i * BATCH:(i + 1) * BATCH]
            xb = augment(Xt[idx], gen)
            logit, _, _ = net(xb)
            loss = F.binary_cross_entropy_with_logits(logit.squeeze(1), yt[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item()
        print(f'{log_prefix} epoch {epoch + 1}/{EPOCHS} loss {total / per_epoch:.4f} ({time.time() - t0:.1f}s)', flush=True)
    net.eval()
    return net


@torch.no_grad()
def forward_all(net, X):
    """Logits and pooled features of every image, unaugmented."""
    net.eval()
    logits, embs = [], []
    for i in range(0, len(X), 64):
        logit, _, emb = net(torch.from_numpy(X[i:i + 64]).unsqueeze(1))
        logits.append(logit.squeeze(1).numpy())
        embs.append(emb.numpy())
    return np.concatenate(logits).astype(np.float64), np.concatenate(embs).astype(np.float64)


# ---- statistics --------------------------------------------------------------------------------------

def auroc(y, s):
    """Mann-Whitney AUROC with ties counted as half."""
    y = np.asarray(y)
    s = np.asarray(s, dtype=np.float64)
    pos, neg = s[y == 1], s[y == 0]
    if len(pos) == 0 or len(neg) == 0:
        return float('nan')
    allv = np.concatenate([pos, neg])
    order = np.argsort(allv, kind='mergesort')
    sv = allv[order]
    r = np.empty(len(sv))
    i = 0
    while i < len(sv):
        j = i
        while j + 1 < len(sv) and sv[j + 1] == sv[i]:
            j += 1
        r[i:j + 1] = (i + j) / 2 + 1
        i = j + 1
    ranks = np.empty(len(order))
    ranks[order] = r
    return float((ranks[:len(pos)].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg)))


def bootstrap_ci(y, s, groups, seed, n=BOOTSTRAP):
    """Percentile 95% CI, resampling patients (not images): images of one patient correlate."""
    rng = np.random.default_rng(seed)
    y, s, groups = np.asarray(y), np.asarray(s), np.asarray(groups)
    uniq = np.unique(groups)
    by = {g: np.flatnonzero(groups == g) for g in uniq}
    vals = []
    for _ in range(n):
        pick = rng.choice(uniq, size=len(uniq), replace=True)
        idx = np.concatenate([by[g] for g in pick])
        if len(np.unique(y[idx])) < 2:
            continue
        vals.append(auroc(y[idx], s[idx]))
    lo, hi = np.percentile(vals, [2.5, 97.5])
    return [round(float(lo), 4), round(float(hi), 4)]


def sens_spec(y, s, thr):
    y, s = np.asarray(y), np.asarray(s)
    p = s >= thr
    sens = float((p & (y == 1)).sum() / max(1, (y == 1).sum()))
    spec = float((~p & (y == 0)).sum() / max(1, (y == 0).sum()))
    return sens, spec


def choose_thresholds(y, s):
    """Balanced: maximise Youden's J. High sensitivity: the highest threshold that keeps sensitivity
    >= 0.90. Both on the tune split only."""
    cands = np.unique(s)
    best, bal = -1, 0.5
    hs = float(cands.min())
    for t in cands:
        se, sp = sens_spec(y, s, t)
        if se + sp - 1 > best:
            best, bal = se + sp - 1, float(t)
        if se >= 0.90:
            hs = max(hs, float(t))
    return round(bal, 4), round(hs, 4)


def platt(logit, y):
    """Logistic calibration score = sigmoid(a * logit + b), fitted by Newton's method (a little ridge)."""
    a, b = 1.0, 0.0
    x, y = np.asarray(logit), np.asarray(y, dtype=np.float64)
    for _ in range(100):
        p = sigmoid(a * x + b)
        g = np.array([((p - y) * x).sum() + 1e-3 * (a - 1), (p - y).sum()])
        wgt = p * (1 - p)
        H = np.array([[(wgt * x * x).sum() + 1e-3, (wgt * x).sum()], [(wgt * x).sum(), wgt.sum() + 1e-9]])
        step = np.linalg.solve(H, g)
        a, b = a - step[0], b - step[1]
        a = float(np.clip(a, 0.02, 50))
        if np.abs(step).max() < 1e-10:
            break
    return float(a), float(b)


def sigmoid(v):
    return 1 / (1 + np.exp(-np.clip(v, -60, 60)))


def reliability(y, s, bins=10):
    """Equal-width bins: mean score, observed rate and count per bin, and the expected calibration
    error (count-weighted mean |observed - mean score|)."""
    y, s = np.asarray(y), np.asarray(s)
    out, ece = [], 0.0
    for k in range(bins):
        lo, hi = k / bins, (k + 1) / bins
        m = (s >= lo) & ((s < hi) if k < bins - 1 else (s <= hi))
        if m.sum() == 0:
            out.append({'bin': [lo, hi], 'n': 0})
            continue
        conf, acc = float(s[m].mean()), float(y[m].mean())
        ece += m.sum() / len(s) * abs(acc - conf)
        out.append({'bin': [round(lo, 2), round(hi, 2)], 'n': int(m.sum()), 'mean_score': round(conf, 4), 'observed': round(acc, 4)})
    return round(float(ece), 4), out


def summarise(y, s, groups, seed, thr_bal, thr_hs):
    se, sp = sens_spec(y, s, thr_bal)
    se_hs, sp_hs = sens_spec(y, s, thr_hs)
    return {
        'auroc': round(auroc(y, s), 4),
        'auroc_ci95': bootstrap_ci(y, s, groups, seed),
        'sensitivity': round(se, 4), 'specificity': round(sp, 4),
        'sensitivity_high_sensitivity_point': round(se_hs, 4),
        'specificity_high_sensitivity_point': round(sp_hs, 4),
        'n': int(len(y)), 'n_positive': int(np.sum(y)),
    }


def ledoit_wolf(E):
    """Mean and Ledoit-Wolf shrunk covariance (towards a scaled identity) of the rows of E."""
    mu = E.mean(0)
    Xc = E - mu
    n, d = Xc.shape
    S = Xc.T @ Xc / n
    m = np.trace(S) / d
    d2 = ((S - m * np.eye(d)) ** 2).sum()
    b2 = sum(((np.outer(x, x) - S) ** 2).sum() for x in Xc) / n ** 2
    shrink = min(1.0, b2 / d2) if d2 > 0 else 1.0
    return mu, shrink * m * np.eye(d) + (1 - shrink) * S, shrink


def mahalanobis2(E, mu, chol):
    z = (E - mu) @ chol
    return (z * z).sum(1)


# ---- shortcut experiments: the same images with regions blanked ------------------------------------

def masks():
    """Regions of the 256x256 input set to black (0 before normalisation): the border frame (12%), the
    four corners (22% squares: text and side markers), the lung fields (central box), everything but the
    lung fields."""
    m = {}
    frame = np.zeros((SIZE, SIZE), bool)
    b = int(0.12 * SIZE)
    frame[:b, :] = frame[-b:, :] = frame[:, :b] = frame[:, -b:] = True
    m['border frame (outer 12%)'] = frame
    corners = np.zeros((SIZE, SIZE), bool)
    c = int(0.22 * SIZE)
    corners[:c, :c] = corners[:c, -c:] = corners[-c:, :c] = corners[-c:, -c:] = True
    m['four corners (22% squares)'] = corners
    lungs = np.zeros((SIZE, SIZE), bool)
    lungs[int(0.15 * SIZE):int(0.85 * SIZE), int(0.12 * SIZE):int(0.88 * SIZE)] = True
    m['lung fields (central 70%x76%)'] = lungs
    m['everything except the lung fields'] = ~lungs
    return m


def shortcut_experiments(net, calib_fn, X, y, groups, seed):
    out = {}
    base = calib_fn(forward_all(net, X)[0])
    out['unmasked'] = {'auroc': round(auroc(y, base), 4), 'auroc_ci95': bootstrap_ci(y, base, groups, seed, 500)}
    black = (0 - MEAN) / STD
    for name, m in masks().items():
        Xm = X.copy()
        Xm[:, m] = black
        s = calib_fn(forward_all(net, Xm)[0])
        out[name] = {'auroc': round(auroc(y, s), 4), 'auroc_ci95': bootstrap_ci(y, s, groups, seed, 500),
                     'mean_abs_score_change': round(float(np.abs(s - base).mean()), 4)}
    return out


# ---- images that are not chest radiographs ------------------------------------------------------------

def non_chest_images(shared):
    """Single-frame greyscale images of the shared DICOM corpora (head CT, phantom CT, MR, PET...), each
    rendered as the runtime would (rescale, first window or min-max, MONOCHROME1 inverted, resized)."""
    import pydicom
    out = []
    for path in sorted(glob.glob(os.path.join(shared, 'dicom', '**', '*'), recursive=True)):
        if not os.path.isfile(path) or path.endswith(('.md', '.tsv', '.txt', 'DICOMDIR')):
            continue
        try:
            ds = pydicom.dcmread(path)
            if int(getattr(ds, 'NumberOfFrames', 1) or 1) != 1 or getattr(ds, 'SamplesPerPixel', 1) != 1:
                continue
            a = ds.pixel_array.astype(np.float64) * float(getattr(ds, 'RescaleSlope', 1) or 1) + float(getattr(ds, 'RescaleIntercept', 0) or 0)
        except Exception:
            continue
        if a.ndim != 2 or min(a.shape) < 64:
            continue
        wc, ww = getattr(ds, 'WindowCenter', None), getattr(ds, 'WindowWidth', None)
        if wc is not None and ww is not None:
            wc = float(wc[0] if isinstance(wc, pydicom.multival.MultiValue) else wc)
            ww = float(ww[0] if isinstance(ww, pydicom.multival.MultiValue) else ww)
            v = np.clip((a - (wc - 0.5)) / (ww - 1) + 0.5, 0, 1)
        else:
            v = (a - a.min()) / max(1e-9, a.max() - a.min())
        if getattr(ds, 'PhotometricInterpretation', '') == 'MONOCHROME1':
            v = 1 - v
        out.append((os.path.relpath(path, os.path.join(shared, 'dicom')), str(getattr(ds, 'Modality', '')), to_tensor(v.astype(np.float32))))
    return out


# ---- reliability diagram -----------------------------------------------------------------------------

def reliability_svg(panels):
    """One panel per population: observed pneumonia rate against mean score per bin, the diagonal, and
    the bin counts; plain SVG so the card shows it without any plotting library."""
    W, H, pad = 300, 300, 40
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W * len(panels)}" height="{H + 30}" font-family="sans-serif" font-size="11">',
             f'<rect width="{W * len(panels)}" height="{H + 30}" fill="white"/>']
    for k, (title, ece, bins) in enumerate(panels):
        ox = k * W
        x0, y0, side = ox + pad, H - pad, W - 2 * pad
        parts.append(f'<text x="{ox + W / 2}" y="16" text-anchor="middle" font-size="13">{title} (ECE {ece:.3f})</text>')
        parts.append(f'<rect x="{x0}" y="{y0 - side}" width="{side}" height="{side}" fill="none" stroke="#888"/>')
        parts.append(f'<line x1="{x0}" y1="{y0}" x2="{x0 + side}" y2="{y0 - side}" stroke="#aaa" stroke-dasharray="4 3"/>')
        for t in (0, 0.5, 1):
            parts.append(f'<text x="{x0 + t * side}" y="{y0 + 14}" text-anchor="middle">{t}</text>')
            parts.append(f'<text x="{x0 - 6}" y="{y0 - t * side + 4}" text-anchor="end">{t}</text>')
        parts.append(f'<text x="{x0 + side / 2}" y="{y0 + 28}" text-anchor="middle">mean score in bin</text>')
        parts.append(f'<text x="{ox + 10}" y="{y0 - side / 2}" transform="rotate(-90 {ox + 10} {y0 - side / 2})" text-anchor="middle">observed pneumonia rate</text>')
        pts = []
        for b in bins:
            if b['n'] == 0:
                continue
            cx, cy = x0 + b['mean_score'] * side, y0 - b['observed'] * side
            pts.append(f'{cx:.1f},{cy:.1f}')
            r = 2 + min(8, np.sqrt(b['n']) / 2)
            parts.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="{r:.1f}" fill="#1f6fb4" fill-opacity="0.6"/>')
            parts.append(f'<text x="{cx + 6:.1f}" y="{cy - 6:.1f}" fill="#555" font-size="9">{b["n"]}</text>')
        parts.append(f'<polyline points="{" ".join(pts)}" fill="none" stroke="#1f6fb4"/>')
    parts.append('</svg>')
    return '\n'.join(parts) + '\n'


# ---- main --------------------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser()
    default_shared = os.environ.get('AMUR_SHARED') or os.path.join(os.path.dirname(REPO), 'shared')
    ap.add_argument('--shared', default=default_shared)
    # Two threads on the 2-core machine it was made on; the last bits of the results depend on the
    # thread count, so the count is recorded in the manifest.
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--no-compare', action='store_true', help='skip the single-population models')
    ap.add_argument('--out', default=MODEL_DIR, help='package folder to write (model.onnx, manifest.json, train/ figures)')
    args = ap.parse_args()
    global OUT, OUT_TRAIN
    OUT, OUT_TRAIN = args.out, os.path.join(args.out, 'train')
    os.makedirs(OUT_TRAIN, exist_ok=True)
    torch.set_num_threads(args.threads)
    seed_all(SEED)
    t_start = time.time()

    rows, shas = [], []
    for p in range(len(POPULATIONS)):
        r, sha = load_population(args.shared, p)
        rows += r
        shas.append(sha)
    X = np.stack([to_tensor(read_grey(r['path']).astype(np.float32) / np.float32(255.0)) for r in rows])
    y = np.array([r['y'] for r in rows])
    pid = np.array([f"{r['population']}:{r['patient_id']}" for r in rows])
    pop = np.array([r['pop'] for r in rows])
    split = np.array([r['split'] for r in rows])
    scope = np.array([in_scope(r) for r in rows])
    for s1 in ('train', 'tune', 'val'):
        for s2 in ('train', 'tune', 'val'):
            if s1 < s2:
                assert not set(pid[split == s1]) & set(pid[split == s2]), f'{s1}/{s2} share a patient'
    for p, P in enumerate(POPULATIONS):
        print(P['id'], {s: int(((pop == p) & (split == s)).sum()) for s in ('train', 'tune', 'val')}, flush=True)

    # One network per population, each trained on its own population's train split only (the
    # comparison below shows why: the joint network is worse for both, much worse for adults).
    nets, logit_by, emb_by = [], [], []
    for p, P in enumerate(POPULATIONS):
        trp = np.flatnonzero((split == 'train') & (pop == p))
        nets.append(train_model(X[trp], [rows[i] for i in trp], SEED, P['id']))
        lg, em = forward_all(nets[p], X)
        logit_by.append(lg)
        emb_by.append(em)
    # Each image's own network's logit (for its own population's figures).
    logits = np.array([logit_by[r['pop']][i] for i, r in enumerate(rows)])

    # Per-population calibration, operating points and OOD statistics (train / tune only).
    calib, mus, chols = [], [], []
    report = {'populations': {}}
    scores = np.zeros(len(rows))
    ood_own = np.zeros(len(rows))
    for p, P in enumerate(POPULATIONS):
        tune = (pop == p) & (split == 'tune')
        a, b = platt(logit_by[p][tune], y[tune])
        calib.append((a, b))
        trn = (pop == p) & (split == 'train')
        mu, cov, _ = ledoit_wolf(emb_by[p][trn])
        chol = np.linalg.cholesky(np.linalg.inv(cov))
        mus.append(mu)
        chols.append(chol)
    s_all = np.stack([sigmoid(a * logit_by[p] + b) for p, (a, b) in enumerate(calib)], 1)   # [N, P]
    d_all = np.stack([mahalanobis2(emb_by[p], mus[p], chols[p]) for p in range(len(POPULATIONS))], 1)
    for i, r in enumerate(rows):
        scores[i] = s_all[i, r['pop']]
        ood_own[i] = d_all[i, r['pop']]

    thresholds = []
    for p, P in enumerate(POPULATIONS):
        trn = (pop == p) & (split == 'train')
        thr = float(np.quantile(d_all[trn, p], OOD_QUANTILE) * OOD_MARGIN)
        thresholds.append(round(thr, 1))
    accepted = np.array([ood_own[i] <= thresholds[rows[i]['pop']] for i in range(len(rows))])

    for p, P in enumerate(POPULATIONS):
        tune = (pop == p) & (split == 'tune')
        thr_bal, thr_hs = choose_thresholds(y[tune], scores[tune])
        val_all = (pop == p) & (split == 'val') & scope
        val = val_all & accepted
        m = summarise(y[val], scores[val], pid[val], SEED, thr_bal, thr_hs)
        m['ece'], bins = reliability(y[val], scores[val])
        raw = sigmoid(logits[val])
        m['ece_uncalibrated'] = reliability(y[val], raw)[0]
        entry = {
            'val': m,
            'tune': summarise(y[tune], scores[tune], pid[tune], SEED, thr_bal, thr_hs),
            'reliability_val': bins,
            'operating_points': {'balanced': thr_bal, 'high_sensitivity': thr_hs},
            'calibration': {'a': round(calib[p][0], 5), 'b': round(calib[p][1], 5)},
            'ood': {
                'threshold': thresholds[p],
                'val_rejected': int((val_all & ~accepted).sum()), 'val_in_scope': int(val_all.sum()),
                'tune_rejected': int((tune & ~accepted).sum()), 'tune': int(tune.sum()),
                'other_population_val_rejected_in_this_column': int(((pop != p) & (split == 'val') & (d_all[:, p] > thresholds[p])).sum()),
                'other_population_val': int(((pop != p) & (split == 'val')).sum()),
            },
            'n_split': {s: int(((pop == p) & (split == s)).sum()) for s in ('train', 'tune', 'val')},
            'val_out_of_age_band': int(((pop == p) & (split == 'val') & ~scope).sum()),
            'data_sha256': shas[p],
        }
        report['populations'][P['id']] = entry
        print(P['id'], json.dumps({k: entry[k] for k in ('val', 'operating_points', 'ood')}), flush=True)

    # Subgroups on the adult validation split: view and sex.
    adult = POPULATIONS[1]['id']
    op = report['populations'][adult]['operating_points']
    va_adult = (pop == 1) & (split == 'val') & scope & accepted
    sub = {}
    for v in ('AP', 'PA'):
        m = va_adult & np.array([r['view'] == v for r in rows])
        sub[f'view {v}'] = summarise(y[m], scores[m], pid[m], SEED, op['balanced'], op['high_sensitivity'])
    for sx in ('M', 'F'):
        m = va_adult & np.array([r['sex'] == sx for r in rows])
        sub[f'sex {sx}'] = summarise(y[m], scores[m], pid[m], SEED, op['balanced'], op['high_sensitivity'])
    report['populations'][adult]['subgroups_val'] = sub
    # AP vs PA: how well the score tells the view, against the within-view discrimination, on all
    # held-out adult images (tune + val) to have more than 77.
    held = (pop == 1) & (split != 'train') & scope & accepted
    is_ap = np.array([1 if r['view'] == 'AP' else 0 for r in rows])
    report['view_confound'] = {
        'images': int(held.sum()),
        'auroc_score_predicts_PA': round(auroc(1 - is_ap[held], scores[held]), 4),
        'auroc_score_predicts_PA_ci95': bootstrap_ci(1 - is_ap[held], scores[held], pid[held], SEED),
        'auroc_view_alone_predicts_label': round(auroc(y[held], 1 - is_ap[held]), 4),
        'auroc_within_AP': round(auroc(y[held & (is_ap == 1)], scores[held & (is_ap == 1)]), 4),
        'auroc_within_PA': round(auroc(y[held & (is_ap == 0)], scores[held & (is_ap == 0)]), 4),
        'score_predicts_PA_within_normal': round(auroc(1 - is_ap[held & (y == 0)], scores[held & (y == 0)]), 4),
        'score_predicts_PA_within_pneumonia': round(auroc(1 - is_ap[held & (y == 1)], scores[held & (y == 1)]), 4),
    }
    # Shortcut experiments on each validation split.
    report['shortcuts'] = {}
    for p, P in enumerate(POPULATIONS):
        v = (pop == p) & (split == 'val') & scope & accepted
        a, b = calib[p]
        report['shortcuts'][P['id']] = shortcut_experiments(nets[p], lambda lg, a=a, b=b: sigmoid(a * lg + b),
                                                             X[v], y[v], pid[v], SEED)
        print('shortcuts', P['id'], json.dumps(report['shortcuts'][P['id']]), flush=True)
    # Non-chest images: how many the OOD check refuses in each population's column.
    probes = non_chest_images(args.shared)
    if probes:
        Xp = np.stack([t for _, _, t in probes])
        dp = np.stack([mahalanobis2(forward_all(nets[p], Xp)[1], mus[p], chols[p]) for p in range(len(POPULATIONS))], 1)
        mods = sorted(set(m for _, m, _ in probes))
        report['ood_non_chest'] = {
            'images': len(probes), 'modalities': mods,
            'refused': {P['id']: int((dp[:, p] > thresholds[p]).sum()) for p, P in enumerate(POPULATIONS)},
            'min_distance': {P['id']: round(float(dp[:, p].min()), 1) for p, P in enumerate(POPULATIONS)},
            'accepted_files': {P['id']: [probes[i][0] for i in np.flatnonzero(dp[:, p] <= thresholds[p])] for p, P in enumerate(POPULATIONS)},
        }
        print('ood non-chest', json.dumps(report['ood_non_chest']), flush=True)

    # One model for both or one per population: the same recipe on both populations' train splits
    # at once (draws weighted as in sample_weights, ADULT_SHARE of them adult), evaluated on the same
    # validation images as the shipped per-population networks.
    if not args.no_compare:
        tr = np.flatnonzero(split == 'train')
        joint = train_model(X[tr], [rows[i] for i in tr], SEED, 'joint (comparison)')
        lg, _ = forward_all(joint, X)
        comp = {}
        for p, P in enumerate(POPULATIONS):
            v = (pop == p) & (split == 'val') & scope & accepted
            comp[P['id']] = {'joint_auroc': round(auroc(y[v], lg[v]), 4), 'joint_auroc_ci95': bootstrap_ci(y[v], lg[v], pid[v], SEED),
                             'per_population_auroc': report['populations'][P['id']]['val']['auroc'],
                             'per_population_auroc_ci95': report['populations'][P['id']]['val']['auroc_ci95']}
            print('compare', P['id'], comp[P['id']], flush=True)
        report['comparison'] = comp

    # Heatmap display scale, per population (each network has its own CAM range): about the median
    # CAM maximum of its validation images flagged at the balanced point, so a flagged image's
    # strongest region shows at full heat.
    exp = Export(nets, calib, mus, chols).eval()
    heat_scale = []
    with torch.no_grad():
        for p, P in enumerate(POPULATIONS):
            v = np.flatnonzero((pop == p) & (split == 'val') & scope & accepted
                               & (scores >= report['populations'][P['id']]['operating_points']['balanced']))
            cam_max = []
            for i in range(0, len(v), 64):
                _, cam, _ = exp(torch.from_numpy(X[v[i:i + 64]]).unsqueeze(1))
                cam_max += cam[:, p].amax(dim=(1, 2)).tolist()
            heat_scale.append(round(float(np.median(cam_max)), 1))

    onnx_path = os.path.join(OUT, 'model.onnx')
    dummy = torch.from_numpy(X[:1]).unsqueeze(1)
    torch.onnx.export(exp, dummy, onnx_path, input_names=['image'], output_names=['score', 'cam', 'ood'],
                      dynamic_axes={'image': {0: 'batch'}, 'score': {0: 'batch'}, 'cam': {0: 'batch'}, 'ood': {0: 'batch'}},
                      opset_version=13, do_constant_folding=True)
    import onnx
    onnx.checker.check_model(onnx.load(onnx_path))
    sha = hashlib.sha256(open(onnx_path, 'rb').read()).hexdigest()

    # What the runtime must reproduce: every validation image's score and OOD distance (ONNX-exported
    # weights, PyTorch arithmetic), and a few CAM values for the parity test.
    with torch.no_grad():
        val_idx = np.flatnonzero(split == 'val')
        s_exp, d_exp = np.zeros((len(rows), len(POPULATIONS))), np.zeros((len(rows), len(POPULATIONS)))
        for i in range(0, len(val_idx), 64):
            s, _, d = exp(torch.from_numpy(X[val_idx[i:i + 64]]).unsqueeze(1))
            s_exp[val_idx[i:i + 64]] = s.numpy()
            d_exp[val_idx[i:i + 64]] = d.numpy()
    val_scores = []
    for i in val_idx:
        r = rows[i]
        val_scores.append({'population': r['population'], 'filename': r['filename'], 'patient_id': r['patient_id'],
                           'label': r['label'], 'view': r['view'], 'age': r['age'], 'sex': r['sex'],
                           'in_age_band': bool(scope[i]),
                           'score': round(float(s_exp[i, r['pop']]), 6), 'ood': round(float(d_exp[i, r['pop']]), 3),
                           'accepted': bool(d_exp[i, r['pop']] <= thresholds[r['pop']])})
    pick = []
    for p in range(len(POPULATIONS)):
        vp = [i for i in val_idx if pop[i] == p and scope[i]]
        pick += [i for i in vp if y[i] == 1][:3] + [i for i in vp if y[i] == 0][:3]
    parity = []
    with torch.no_grad():
        for i in pick:
            s, cam, d = exp(torch.from_numpy(X[i:i + 1]).unsqueeze(1))
            c = cam[0, pop[i]]
            parity.append({'population': rows[i]['population'], 'filename': rows[i]['filename'], 'label': rows[i]['label'],
                           'score': [float(v) for v in s[0]], 'ood': [float(v) for v in d[0]],
                           'cam_mean': float(c.mean()), 'cam_0_0': float(c[0, 0]), 'cam_8_8': float(c[8, 8])})
    with open(os.path.join(OUT_TRAIN, 'parity.json'), 'w') as f:
        json.dump({'model_sha256': sha, 'torch': torch.__version__, 'inputs': parity}, f, indent=1)
    with open(os.path.join(OUT_TRAIN, 'val_scores.json'), 'w') as f:
        f.write('[\n' + ',\n'.join(json.dumps(v, ensure_ascii=False) for v in val_scores) + '\n]\n')
    report['heatmap_scale'] = dict(zip([P['id'] for P in POPULATIONS], heat_scale))
    report['training_seconds'] = round(time.time() - t_start)
    with open(os.path.join(OUT_TRAIN, 'evaluation.json'), 'w') as f:
        json.dump(report, f, indent=1)
    panels = [(P['id'], report['populations'][P['id']]['val']['ece'], report['populations'][P['id']]['reliability_val']) for P in POPULATIONS]
    with open(os.path.join(OUT_TRAIN, 'reliability.svg'), 'w') as f:
        f.write(reliability_svg(panels))

    write_manifest(sha, report, shas, heat_scale, args.threads)
    if os.path.exists(os.path.join(OUT, 'MODEL_CARD.md')):
        sys.path.insert(0, HERE)
        import write_card
        write_card.main(OUT)
    print(f'wrote {onnx_path} sha256 {sha} in {report["training_seconds"]} s', flush=True)


def write_manifest(sha, report, shas, heat_scale, threads):
    pops = []
    for p, P in enumerate(POPULATIONS):
        e = report['populations'][P['id']]
        m = e['val']
        pops.append({
            'id': P['id'],
            'description': P['description'],
            'age_years': P['age_years'],
            'ViewPosition': P['ViewPosition'],
            'operating_points': {**e['operating_points'],
                                 'how_chosen': "On this population's tune split (patient-disjoint from training and validation): "
                                               "balanced maximises Youden's J; high_sensitivity is the highest threshold that keeps sensitivity at or above 0.90."},
            'metrics': {'population': P['id'], 'auroc': m['auroc'], 'auroc_ci95': m['auroc_ci95'],
                        'sensitivity': m['sensitivity'], 'specificity': m['specificity'],
                        'sensitivity_high_sensitivity_point': m['sensitivity_high_sensitivity_point'],
                        'specificity_high_sensitivity_point': m['specificity_high_sensitivity_point'],
                        'ece': m['ece'], 'n': m['n'], 'n_positive': m['n_positive'],
                        'split': f"untouched validation split of {P['data']}, in-scope images the OOD check accepts"},
            'calibration': {**e['calibration'], 'formula': 'score = sigmoid(a * mean(cam channel p) + b), fitted on the tune split'},
            'ood_threshold': e['ood']['threshold'],
            'heatmap_scale': heat_scale[p],
        })
    manifest = {
        'id': 'cxr-pneumonia',
        'version': '2.0.0',
        'file': 'model.onnx',
        'sha256': sha,
        'task': 'Binary classification of one frontal chest radiograph: pneumonia against no pneumonia, for two validated '
                'populations (children aged 1-5 with AP films; adults aged 18-85 with AP or PA films), one network per population '
                'in one graph; the patient\'s age chooses which one is read.',
        'labels': ['pneumonia'],
        'intended_use': 'Assistive triage only: the score ranks a radiologist\'s worklist and proposes a finding with a heatmap of '
                        'where the model looked. It is not a diagnosis, does not rule pneumonia out, and every study is still read '
                        'by a radiologist, who alone decides.',
        'scope': {
            'description': 'Frontal chest radiographs of a patient whose age falls in one of the populations\' bands, in a view validated '
                           'for that population, one image at a time. A study is triaged when at least one of its instances is in scope '
                           'and passes the out-of-distribution check; its score is the highest of those images.',
            'Modality': ['CR', 'DX'],
            'BodyPartExamined': ['CHEST', 'THORAX'],
            'ViewPosition': ['AP', 'PA'],
            'PhotometricInterpretation': ['MONOCHROME1', 'MONOCHROME2'],
            'when_missing': {
                'Modality': 'not applicable: without a modality nothing says the image is a radiograph',
                'BodyPartExamined': 'not applicable: an AP or PA radiograph of another body part would get a meaningless score, so an absent or empty BodyPartExamined is not taken as chest',
                'ViewPosition': 'not applicable: a lateral or unknown view is outside what the model was validated on',
                'PatientAge': 'not applicable: the populations are defined by age; without PatientAge, or PatientBirthDate and a study date, nothing says which figures would apply',
            },
            'matching': 'Case-insensitive, surrounding spaces ignored; all attributes are read from each instance\'s own header. '
                        'The age is PatientAge, else PatientBirthDate to the study date, in whole years.',
        },
        'populations': pops,
        'ood': {
            'output': 'ood',
            'method': 'Squared Mahalanobis distance of the 128 pooled features (the mean of the last feature grid) of the population\'s '
                      'network from that population\'s training images (their mean and Ledoit-Wolf shrunk covariance, inside the ONNX graph).',
            'threshold_rule': f'{OOD_MARGIN} times the {OOD_QUANTILE * 100:g}th percentile of the population\'s training images\' distances.',
            'meaning': 'An image beyond its population\'s ood_threshold looks unlike the radiographs the model learnt and was validated on, '
                       'whatever its header says: it gets no score ("not applicable"), never a guess.',
        },
        'input': {'name': 'image', 'shape': [1, 1, SIZE, SIZE], 'type': 'float32'},
        'preprocessing': {
            'modality_lut': 'Stored values times RescaleSlope plus RescaleIntercept (1 and 0 when absent).',
            'voi': 'The first WindowCenter/WindowWidth pair of the instance, with VOILUTFunction LINEAR (default), LINEAR_EXACT or SIGMOID '
                   'as PS3.3 C.11.2.1.2 defines them, mapped to 0..1. With no window in the file: the frame\'s minimum to maximum (after '
                   'rescale) mapped to 0..1. A VOI LUT Sequence alone is not applied (min-max is used) and this is noted in the result.',
            'photometric': 'MONOCHROME1 is inverted (1 - value) after VOI, so that in every input air is dark and bone bright.',
            'resize': f'Stretched to {SIZE}x{SIZE} without letterboxing (both training sets were stored stretched to a square): a '
                      'triangle filter, widened by the scale when shrinking (area averaging) and bilinear when enlarging (the 224x224 '
                      'paediatric images); images four or more times larger are first averaged over blocks.',
            'normalisation': {'mean': MEAN, 'std': STD, 'formula': '(value - mean) / std, value in 0..1'},
            'decodable': 'Frame 1 of every transfer syntax the application decodes (core/imaging). Colour images, or files that fail to '
                         'decode, are reported with the reason, never guessed.',
        },
        'outputs': {
            'score': {'shape': ['batch', len(POPULATIONS)], 'activation': 'sigmoid',
                      'meaning': 'column p: population p\'s network\'s pneumonia probability, calibrated (logistic, on the tune split) to '
                                 'population p\'s data; the runtime takes the column of the population the age selects'},
            'cam': {'shape': ['batch', len(POPULATIONS), 16, 16], 'activation': 'none',
                    'meaning': 'channel p: population p\'s network\'s class activation map, the per-location logit contributions over the '
                               'image (row-major, top-left first); their mean is its uncalibrated logit. The runtime\'s heatmap is the positive '
                               'part of the population\'s channel divided by that population\'s heatmap_scale and capped at 1.',
                    'heatmap_scale_note': 'populations[].heatmap_scale: a display scale, not part of any figure: about the median CAM maximum '
                                          'of the population\'s validation images flagged at its balanced operating point.'},
            'ood': {'shape': ['batch', len(POPULATIONS)], 'meaning': 'column p: squared Mahalanobis distance from population p\'s training images'},
        },
        'metrics': dict(pops[0]['metrics']),
        'metrics_note': 'The headline figure is for the population the partner hospitals send (paediatric); every population\'s own '
                        'figures are under populations[].metrics. All on untouched validation splits, patient-disjoint from training.',
        'training': {
            'recipe': 'train/train.py',
            'data': [{'population': P['id'], 'folder': f'shared/data/{P["data"]}', 'sha256': shas[p],
                      'split_images': report['populations'][P['id']]['n_split']} for p, P in enumerate(POPULATIONS)],
            'seed': SEED,
            'threads': threads,
            'framework': f'PyTorch {torch.__version__} (Debian python3-torch) on CPU, no pretrained weights; exported to ONNX opset 13.',
            'seconds': report['training_seconds'],
        },
        'card': 'MODEL_CARD.md',
    }
    with open(os.path.join(OUT, 'manifest.json'), 'w') as f:
        json.dump(manifest, f, indent=2, ensure_ascii=False)
        f.write('\n')


if __name__ == '__main__':
    sys.exit(main())
