#!/usr/bin/python3
"""Writes the figures of MODEL_CARD.md from train/evaluation.json and manifest.json, between the
markers <!-- figures:start --> and <!-- figures:end -->, so the card's numbers are always the
recipe's numbers; the prose around them (limitations, what the heatmaps show) is written by people.
Called at the end of train.py; can be run alone: /usr/bin/python3 models/cxr-pneumonia/train/write_card.py
"""
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
MODEL_DIR = os.path.dirname(HERE)
START, END = '<!-- figures:start -->', '<!-- figures:end -->'


def fmt(m):
    lo, hi = m['auroc_ci95']
    return (f"| {m['auroc']:.3f} | {lo:.3f}–{hi:.3f} | {m['sensitivity']:.2f} | {m['specificity']:.2f} | "
            f"{m['sensitivity_high_sensitivity_point']:.2f} | {m['specificity_high_sensitivity_point']:.2f} | {m['n']} ({m['n_positive']} positive) |")


def figures(ev, manifest):
    op = ev['operating_points']
    vc = ev['view_confound']
    rows = [
        ('**val split, shipped model** (the manifest\'s "metrics")', 'val'),
        ('val split, AP only', 'val_view_AP'),
        ('val split, PA only', 'val_view_PA'),
        ('out-of-fold CV inside train (fold models)', 'cv_train_oof'),
        ('pooled held-out (OOF train + val), all', 'pooled_heldout'),
        ('pooled held-out, AP only', 'pooled_view_AP'),
        ('pooled held-out, PA only', 'pooled_view_PA'),
        ('adjudicated subset vs radiologists\' airspace opacity', 'pooled_adjudicated_vs_radiologists'),
        ('adjudicated subset vs NLP label', 'pooled_adjudicated_vs_nlp'),
    ]
    out = [
        f"Operating points (chosen on {op['chosen_on']}): **balanced {op['balanced']}** (maximum Youden's J), "
        f"**high-sensitivity {op['high_sensitivity']}** (sensitivity ≥ 0.90 on those scores).",
        '',
        '| data | AUROC | 95% CI (patient bootstrap) | sens. @balanced | spec. @balanced | sens. @high-sens. | spec. @high-sens. | n |',
        '|---|---|---|---|---|---|---|---|',
    ]
    for label, key in rows:
        out.append(f'| {label} ' + fmt(ev[key]))
    ap = vc['auroc_score_predicts_AP']
    lo, hi = vc['auroc_score_predicts_AP_ci95']
    pa, pa_lo, pa_hi = (1 - ap, 1 - hi, 1 - lo)
    out += [
        '',
        'Is it just telling AP from PA? (view is confounded with the label in this data set)',
        '',
        f"- The view alone, used as a pneumonia predictor (PA → pneumonia), reaches AUROC {vc['auroc_view_alone_predicts_label']:.3f}: "
        f"that is what a pure view detector would score. The model reaches {ev['pooled_heldout']['auroc']:.3f} on the same images.",
        f"- Within one view, where the view cannot help: AUROC {vc['auroc_within_AP']:.3f} on AP images and {vc['auroc_within_PA']:.3f} on PA images, "
        'both far above 0.5: the score separates pneumonia from normal inside each view.',
        f"- The score does carry view information: it tells PA from AP with AUROC {pa:.3f} (95% CI {pa_lo:.3f}–{pa_hi:.3f}), "
        'scoring PA images higher. Part of that is the label (PA images are mostly pneumonia here), part may be the view itself; '
        'with these data the two cannot be fully separated, which is why the operating points are checked per view above.',
    ]
    return '\n'.join(out)


def main():
    ev = json.load(open(os.path.join(HERE, 'evaluation.json')))
    manifest = json.load(open(os.path.join(MODEL_DIR, 'manifest.json')))
    path = os.path.join(MODEL_DIR, 'MODEL_CARD.md')
    card = open(path).read()
    a, b = card.index(START), card.index(END)
    card = card[:a + len(START)] + '\n' + figures(ev, manifest) + '\n' + card[b:]
    with open(path, 'w') as f:
        f.write(card)


if __name__ == '__main__':
    main()
