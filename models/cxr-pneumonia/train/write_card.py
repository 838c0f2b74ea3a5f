#!/usr/bin/python3
"""Writes the figures of MODEL_CARD.md from train/evaluation.json and manifest.json, between the
markers <!-- figures:start --> and <!-- figures:end -->, so the card's numbers are always the
recipe's numbers; the prose around them (limitations, what the heatmaps show) is written by people.
Called at the end of train.py; can be run alone: /usr/bin/python3 models/cxr-pneumonia/train/write_card.py
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
MODEL_DIR = os.path.dirname(HERE)
START, END = '<!-- figures:start -->', '<!-- figures:end -->'


def row(label, m, ece=True):
    lo, hi = m['auroc_ci95']
    e = f"{m['ece']:.3f}" if ece and 'ece' in m else '–'
    return (f"| {label} | {m['auroc']:.3f} | {lo:.3f}–{hi:.3f} | {m['sensitivity']:.2f} | {m['specificity']:.2f} | "
            f"{m['sensitivity_high_sensitivity_point']:.2f} | {m['specificity_high_sensitivity_point']:.2f} | {e} | "
            f"{m['n']} ({m['n_positive']} positive) |")


def figures(ev, manifest):
    pops = {p['id']: p for p in manifest['populations']}
    out = ['### Discrimination, operating points and calibration, per population', '',
           'Validation splits are untouched by training and by every choice (operating points, calibration, OOD threshold: '
           'those used the tune split). 95% intervals: percentile bootstrap over patients, 2000 resamples. '
           'sens./spec. at the population\'s own operating points.', '',
           '| population, split | AUROC | 95% CI | sens. @balanced | spec. @balanced | sens. @high-sens. | spec. @high-sens. | ECE | n |',
           '|---|---|---|---|---|---|---|---|---|']
    for pid, e in ev['populations'].items():
        out.append(row(f'**{pid}, validation** (manifest)', e['val']))
        out.append(row(f'{pid}, tune (chose the points)', e['tune'], ece=False))
        for name, m in e.get('subgroups_val', {}).items():
            out.append(row(f'{pid}, validation, {name}', m, ece=False))
    out += ['', '| population | ages (years) | views | balanced | high-sensitivity | calibration a, b | ECE before → after | OOD threshold |',
            '|---|---|---|---|---|---|---|---|']
    for pid, e in ev['populations'].items():
        p = pops[pid]
        out.append(f"| {pid} | {p['age_years'][0]}–{p['age_years'][1]} | {', '.join(p['ViewPosition'])} | {e['operating_points']['balanced']} | "
                   f"{e['operating_points']['high_sensitivity']} | {e['calibration']['a']}, {e['calibration']['b']} | "
                   f"{e['val']['ece_uncalibrated']:.3f} → {e['val']['ece']:.3f} | {e['ood']['threshold']} |")
    out += ['', 'Reliability on the validation splits (10 equal-width bins; `train/reliability.svg` draws them):', '']
    for pid, e in ev['populations'].items():
        cells = [f"{b['bin'][0]:.1f}–{b['bin'][1]:.1f}: {b['observed']:.2f} of {b['n']} (mean score {b['mean_score']:.2f})"
                 for b in e['reliability_val'] if b['n']]
        out.append(f'- {pid}: ' + '; '.join(cells))

    if 'comparison' in ev:
        out += ['', '### One model for both populations, or one each', '',
                'The same recipe, trained once on both populations\' train splits together (the joint network) and once per population '
                '(the shipped networks), on the same validation images:', '',
                '| population | one network per population (shipped) | 95% CI | one joint network | 95% CI |', '|---|---|---|---|---|']
        for pid, c in ev['comparison'].items():
            lo, hi = c['per_population_auroc_ci95']
            jlo, jhi = c['joint_auroc_ci95']
            out.append(f"| {pid} | {c['per_population_auroc']:.3f} | {lo:.3f}–{hi:.3f} | {c['joint_auroc']:.3f} | {jlo:.3f}–{jhi:.3f} |")

    out += ['', '### Shortcut experiments: the validation images with regions blanked', '',
            '| population | region blanked | AUROC | 95% CI | mean score change |', '|---|---|---|---|---|']
    for pid, exps in ev['shortcuts'].items():
        for name, m in exps.items():
            lo, hi = m['auroc_ci95']
            ch = f"{m['mean_abs_score_change']:.3f}" if 'mean_abs_score_change' in m else '–'
            out.append(f'| {pid} | {name} | {m["auroc"]:.3f} | {lo:.3f}–{hi:.3f} | {ch} |')

    vc = ev['view_confound']
    lo, hi = vc['auroc_score_predicts_PA_ci95']
    out += ['', f"### AP against PA (adult held-out images, tune + validation, n = {vc['images']})", '',
            f"- The view alone as a pneumonia predictor (PA → pneumonia): AUROC {vc['auroc_view_alone_predicts_label']:.3f}.",
            f"- The score within one view: AUROC {vc['auroc_within_AP']:.3f} on AP films, {vc['auroc_within_PA']:.3f} on PA films.",
            f"- The score as a view detector: it tells PA from AP with AUROC {vc['auroc_score_predicts_PA']:.3f} (95% CI {lo:.3f}–{hi:.3f}); "
            f"among normal films alone {vc['score_predicts_PA_within_normal']:.3f}, among pneumonia films alone "
            f"{vc['score_predicts_PA_within_pneumonia']:.3f} (0.5 = the score carries no view information).",
            '- The paediatric set is all AP, so the view cannot carry its label.']

    out += ['', '### Out-of-distribution check', '',
            '| population | threshold | validation images refused | tune images refused | other population\'s validation images refused in this column |',
            '|---|---|---|---|---|']
    for pid, e in ev['populations'].items():
        o = e['ood']
        out.append(f"| {pid} | {o['threshold']} | {o['val_rejected']} of {o['val_in_scope']} | {o['tune_rejected']} of {o['tune']} | "
                   f"{o['other_population_val_rejected_in_this_column']} of {o['other_population_val']} |")
    if 'ood_non_chest' in ev:
        nc = ev['ood_non_chest']
        refused = ', '.join(f'{k}: {v} of {nc["images"]}' for k, v in nc['refused'].items())
        out += ['', f"Non-chest images of the shared DICOM corpora ({', '.join(nc['modalities'])}; {nc['images']} single-frame "
                f"greyscale images) given to the model as if their headers said chest: refused {refused}."]
        for k, files in nc['accepted_files'].items():
            if files:
                out.append(f'- accepted in the {k} column: ' + ', '.join(f'`{f}`' for f in files))
    return '\n'.join(out)


def main(model_dir=MODEL_DIR):
    ev = json.load(open(os.path.join(model_dir, 'train', 'evaluation.json')))
    manifest = json.load(open(os.path.join(model_dir, 'manifest.json')))
    path = os.path.join(model_dir, 'MODEL_CARD.md')
    card = open(path).read()
    a, b = card.index(START), card.index(END)
    card = card[:a + len(START)] + '\n' + figures(ev, manifest) + '\n' + card[b:]
    with open(path, 'w') as f:
        f.write(card)


if __name__ == '__main__':
    main(sys.argv[1] if len(sys.argv) > 1 else MODEL_DIR)
