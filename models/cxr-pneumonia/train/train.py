#!/usr/bin/python3
"""Training recipe of the shipped model cxr-pneumonia: a compact CNN that scores a frontal chest
radiograph for pneumonia and exposes a class activation map (CAM) as a second ONNX output.

Run with Debian's interpreter (python3-torch, python3-torchvision, python3-onnx, python3-pil):
    nice /usr/bin/python3 models/cxr-pneumonia/train/train.py [--data DIR] [--out DIR]
DIR defaults to $AMUR_SHARED/data/nih-cxr-pneumonia, AMUR_SHARED defaulting to ../shared beside the
repository. Everything is seeded; on the same torch version and thread count the run is repeatable.

What it does, and why:
  1. Patient-wise 3-fold cross-validation inside the CheXNet 'train' split: out-of-fold scores give
     unbiased validation data on which the operating points are chosen (never on the test figures).
  2. The shipped model is trained on the whole 'train' split with the same recipe, and evaluated on
     the patient-disjoint 'val' split it never saw: those are the manifest's "metrics".
  3. The pooled held-out scores (out-of-fold for train images, shipped model for val images, n=781)
     give per-view results, the adjudicated subset, and the check that the score is not a view detector.
  4. Exports model.onnx (outputs: score = sigmoid(logit), cam = per-location logit map 16x16, whose
     mean is the logit), records PyTorch scores for a few inputs (parity test), writes the metrics into
     manifest.json and regenerates MODEL_CARD.md's figures block.
"""
import argparse
import csv
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

SEED = 20261122
SIZE = 256
# Fixed input normalisation (rounded mean/std of the training pixels scaled to 0..1); written to the
# manifest so that the runtime does exactly the same.
MEAN = 0.5
STD = 0.25
EPOCHS = 16
BATCH = 32
LR = 2e-3
WEIGHT_DECAY = 1e-4
FOLDS = 3
BOOTSTRAP = 2000


def seed_all(seed):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


class Net(nn.Module):
    """Five conv blocks to a 16x16 feature grid, then a 1x1 conv to a per-location logit (the CAM);
    the image logit is the CAM's mean, so the map is exactly what the score is made of."""

    def __init__(self):
        super().__init__()

        def block(cin, cout, k=3, stride=1):
            return nn.Sequential(nn.Conv2d(cin, cout, k, stride, k // 2, bias=False),
                                 nn.BatchNorm2d(cout), nn.ReLU(inplace=True))

        # The net looks at 128x128 (average-pooled from the 256x256 input): pneumonia is a regional
        # opacity, and the halved cost keeps training to minutes on a 2-core CPU.
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
        cam = self.classifier(self.drop(self.features(x)))
        logit = cam.mean(dim=(2, 3))
        return logit, cam


class Export(nn.Module):
    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, image):
        logit, cam = self.net(image)
        return torch.sigmoid(logit), cam


def load_rows(data):
    with open(os.path.join(data, 'labels.csv'), newline='') as f:
        rows = list(csv.DictReader(f))
    for r in rows:
        r['y'] = 1 if r['label'] == 'pneumonia' else 0
    return rows


def load_image(data, filename):
    im = Image.open(os.path.join(data, filename)).convert('L')
    if im.size != (SIZE, SIZE):
        raise SystemExit(f'{filename}: expected {SIZE}x{SIZE}, got {im.size}')
    a = np.asarray(im, dtype=np.float32) / np.float32(255.0)
    return (a - np.float32(MEAN)) / np.float32(STD)


def augment(x, gen):
    """Small geometric and intensity jitter a chest radiograph can plausibly show; no left-right
    flip (the heart's side is anatomy, not noise)."""
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
    return x * gain + bias


def train_model(X, y, seed, log_prefix):
    seed_all(seed)
    gen = torch.Generator().manual_seed(seed)
    net = Net()
    opt = torch.optim.AdamW(net.parameters(), lr=LR, weight_decay=WEIGHT_DECAY)
    steps = EPOCHS * ((len(X) + BATCH - 1) // BATCH)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=LR, total_steps=steps, pct_start=0.2)
    Xt = torch.from_numpy(X).unsqueeze(1)
    yt = torch.from_numpy(y.astype(np.float32))
    for epoch in range(EPOCHS):
        net.train()
        perm = torch.randperm(len(X), generator=gen)
        total = 0.0
        t0 = time.time()
        for i in range(0, len(X), BATCH):
            idx = perm[i:i + BATCH]
            xb = augment(Xt[idx], gen)
            logit, _ = net(xb)
            loss = F.binary_cross_entropy_with_logits(logit.squeeze(1), yt[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
        print(f'{log_prefix} epoch {epoch + 1}/{EPOCHS} loss {total / len(X):.4f} ({time.time() - t0:.1f}s)', flush=True)
    net.eval()
    return net


@torch.no_grad()
def predict(net, X):
    net.eval()
    out = []
    for i in range(0, len(X), 64):
        logit, _ = net(torch.from_numpy(X[i:i + 64]).unsqueeze(1))
        out.append(torch.sigmoid(logit).squeeze(1).numpy())
    return np.concatenate(out).astype(np.float64)


def auroc(y, s):
    """Mann-Whitney AUROC with ties counted as half."""
    y = np.asarray(y)
    s = np.asarray(s, dtype=np.float64)
    pos, neg = s[y == 1], s[y == 0]
    if len(pos) == 0 or len(neg) == 0:
        return float('nan')
    order = np.argsort(np.concatenate([pos, neg]), kind='mergesort')
    ranks = np.empty(len(order))
    allv = np.concatenate([pos, neg])[order]
    i = 0
    r = np.empty(len(allv))
    while i < len(allv):
        j = i
        while j + 1 < len(allv) and allv[j + 1] == allv[i]:
            j += 1
        r[i:j + 1] = (i + j) / 2 + 1
        i = j + 1
    ranks[order] = r
    return float((ranks[:len(pos)].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg)))


def bootstrap_ci(y, s, groups, seed, n=BOOTSTRAP):
    """Percentile 95% CI, resampling patients (not images) since images of one patient correlate."""
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
    """Balanced: maximise Youden's J. High sensitivity: the highest threshold that keeps
    sensitivity >= 0.90. Both on out-of-fold validation scores only."""
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


def patient_folds(rows, k, seed):
    """Patients shuffled and dealt into k folds, stratified by whether the patient has any
    pneumonia image, so every image of a patient lands in the same fold."""
    pats = {}
    for r in rows:
        pats.setdefault(r['patient_id'], 0)
        pats[r['patient_id']] |= r['y']
    rng = random.Random(seed)
    fold = {}
    for cls in (0, 1):
        ps = sorted(p for p, v in pats.items() if v == cls)
        rng.shuffle(ps)
        for i, p in enumerate(ps):
            fold[p] = i % k
    return [fold[r['patient_id']] for r in rows]


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


def main():
    ap = argparse.ArgumentParser()
    default_shared = os.environ.get('AMUR_SHARED') or os.path.join(os.path.dirname(REPO), 'shared')
    ap.add_argument('--data', default=os.path.join(default_shared, 'data', 'nih-cxr-pneumonia'))
    ap.add_argument('--out', default=MODEL_DIR)
    # One thread: on a shared CPU, OpenMP's spinning threads slow each other down; the results also
    # depend (in the last bits) on the thread count, so the default keeps runs comparable.
    ap.add_argument('--threads', type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    seed_all(SEED)

    rows = load_rows(args.data)
    X = np.stack([load_image(args.data, r['filename']) for r in rows])
    y = np.array([r['y'] for r in rows])
    pid = np.array([r['patient_id'] for r in rows])
    view = np.array([r['view'] for r in rows])
    is_train = np.array([r['chexnet_split'] == 'train' for r in rows])
    tr, va = np.flatnonzero(is_train), np.flatnonzero(~is_train)
    assert not set(pid[tr]) & set(pid[va]), 'train/val share a patient'
    print(f'{len(rows)} images, train {len(tr)}, val {len(va)}', flush=True)

    # 1. Out-of-fold validation scores inside the training split.
    train_rows = [rows[i] for i in tr]
    folds = np.array(patient_folds(train_rows, FOLDS, SEED))
    oof = np.zeros(len(tr))
    for f in range(FOLDS):
        fit, hold = np.flatnonzero(folds != f), np.flatnonzero(folds == f)
        assert not set(pid[tr][fit]) & set(pid[tr][hold])
        net = train_model(X[tr][fit], y[tr][fit], SEED + 1 + f, f'fold {f + 1}/{FOLDS}')
        oof[hold] = predict(net, X[tr][hold])
        print(f'fold {f + 1} AUROC {auroc(y[tr][hold], oof[hold]):.3f}', flush=True)
    thr_bal, thr_hs = choose_thresholds(y[tr], oof)
    print(f'operating points from OOF: balanced {thr_bal}, high-sensitivity {thr_hs}', flush=True)

    # 2. The shipped model: whole train split, tested on val.
    net = train_model(X[tr], y[tr], SEED, 'final')
    s_val = predict(net, X[va])

    # 3. Pooled held-out scores for the subgroup analyses.
    pooled = np.zeros(len(rows))
    pooled[tr] = oof
    pooled[va] = s_val
    report = {'val': summarise(y[va], s_val, pid[va], SEED, thr_bal, thr_hs),
              'cv_train_oof': summarise(y[tr], oof, pid[tr], SEED, thr_bal, thr_hs),
              'pooled_heldout': summarise(y, pooled, pid, SEED, thr_bal, thr_hs)}
    for v in ('AP', 'PA'):
        m = view == v
        report[f'pooled_view_{v}'] = summarise(y[m], pooled[m], pid[m], SEED, thr_bal, thr_hs)
        mv = m & ~is_train
        report[f'val_view_{v}'] = summarise(y[mv], pooled[mv], pid[mv], SEED, thr_bal, thr_hs)
    adj = np.array([r['google2019_airspace_opacity'] in ('YES', 'NO') for r in rows])
    y_adj = np.array([1 if r['google2019_airspace_opacity'] == 'YES' else 0 for r in rows])
    report['pooled_adjudicated_vs_radiologists'] = summarise(y_adj[adj], pooled[adj], pid[adj], SEED, thr_bal, thr_hs)
    report['pooled_adjudicated_vs_nlp'] = summarise(y[adj], pooled[adj], pid[adj], SEED, thr_bal, thr_hs)
    # The confound check: how well does the score tell AP from PA, compared with how well it tells
    # pneumonia from normal within one view, and how well view alone would "predict" the label.
    is_ap = (view == 'AP').astype(int)
    report['view_confound'] = {
        'auroc_score_predicts_AP': round(auroc(is_ap, pooled), 4),
        'auroc_score_predicts_AP_ci95': bootstrap_ci(is_ap, pooled, pid, SEED),
        'auroc_view_alone_predicts_label': round(auroc(y, 1 - is_ap), 4),
        'auroc_within_AP': report['pooled_view_AP']['auroc'],
        'auroc_within_PA': report['pooled_view_PA']['auroc'],
    }
    report['operating_points'] = {'balanced': thr_bal, 'high_sensitivity': thr_hs,
                                  'chosen_on': f'out-of-fold scores, patient-wise {FOLDS}-fold CV inside the train split (n={len(tr)})'}
    print(json.dumps(report, indent=1), flush=True)

    # 4. Export and record.
    exp = Export(net).eval()
    onnx_path = os.path.join(args.out, 'model.onnx')
    dummy = torch.from_numpy(X[va[:1]]).unsqueeze(1)
    torch.onnx.export(exp, dummy, onnx_path, input_names=['image'], output_names=['score', 'cam'],
                      dynamic_axes={'image': {0: 'batch'}, 'score': {0: 'batch'}, 'cam': {0: 'batch'}},
                      opset_version=13, do_constant_folding=True)
    import onnx
    onnx.checker.check_model(onnx.load(onnx_path))
    sha = hashlib.sha256(open(onnx_path, 'rb').read()).hexdigest()

    # Parity fixtures: val images named by file (the test rebuilds the tensor from the PNG exactly as
    # here: value/255, minus MEAN, over STD) plus their PyTorch scores and CAM corners.
    pick = [i for i in va if y[i] == 1][:3] + [i for i in va if y[i] == 0][:3]
    parity = []
    with torch.no_grad():
        for i in pick:
            s, cam = exp(torch.from_numpy(X[i:i + 1]).unsqueeze(1))
            parity.append({'filename': rows[i]['filename'], 'label': rows[i]['label'], 'view': rows[i]['view'],
                           'score': float(s[0, 0]), 'cam_mean': float(cam.mean()), 'cam_0_0': float(cam[0, 0, 0, 0]),
                           'cam_8_8': float(cam[0, 0, 8, 8])})
    val_scores = [{'filename': rows[i]['filename'], 'label': rows[i]['label'], 'view': rows[i]['view'],
                   'score': round(float(pooled[i]), 6)} for i in va]
    with open(os.path.join(HERE, 'parity.json'), 'w') as f:
        json.dump({'model_sha256': sha, 'torch': torch.__version__, 'inputs': parity}, f, indent=1)
    with open(os.path.join(HERE, 'val_scores.json'), 'w') as f:
        json.dump(val_scores, f, indent=0)
    with open(os.path.join(HERE, 'evaluation.json'), 'w') as f:
        json.dump(report, f, indent=1)

    mpath = os.path.join(args.out, 'manifest.json')
    manifest = json.load(open(mpath)) if os.path.exists(mpath) else {}
    manifest['sha256'] = sha
    m = report['val']
    manifest['metrics'] = {'auroc': m['auroc'], 'auroc_ci95': m['auroc_ci95'], 'sensitivity': m['sensitivity'],
                           'specificity': m['specificity'], 'n': m['n']}
    manifest['metrics_note'] = ('NIH ChestX-ray14 CheXNet val split (patient-disjoint from training); '
                                'sensitivity/specificity at the balanced operating point')
    manifest.setdefault('operating_points', {})
    manifest['operating_points']['balanced'] = thr_bal
    manifest['operating_points']['high_sensitivity'] = thr_hs
    with open(mpath, 'w') as f:
        json.dump(manifest, f, indent=2, ensure_ascii=False)
        f.write('\n')
    if os.path.exists(os.path.join(args.out, 'MODEL_CARD.md')):
        import write_card
        write_card.main()
    print(f'wrote {onnx_path} sha256 {sha}', flush=True)


if __name__ == '__main__':
    sys.exit(main())
