"""Inventory: every package of sounds tried as note- or drum-level training data, counted.

Run:  make real-sources && python bench/data_sources.py [--salamander runs/sources/salamander]

For each source (Debian packages, npm packages; PyPI had none that ship recordings of
instruments), whether it is installed here, its licence (from its Debian copyright file or
its package's README), whether its sounds are recordings of real instruments, and what it
holds, counted from the installed files: SoundFont samples and presets, GUS patches and
their samples, Hydrogen kits and their sample files, labelled one-shot recordings
(:mod:`mirlearn.data.samples`). Writes bench/results/data-sources.json and prints the
Markdown table of docs/data-sources.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from mirlearn.data.drumkits import DEFAULT_KITS, HYDROGEN_KITS, RECORDED_KITS, find_kits  # noqa: E402
from mirlearn.data.samples import SOURCES, source_items  # noqa: E402
from mirlearn.data.soundfont import SoundFontError  # noqa: E402

#: (source, package, licence, real, path, kind, note): what was tried, by hand-read licence terms
SOUNDFONTS = [
    ("FluidR3_GM", "Debian fluid-soundfont-gm", "MIT", "sampled (SF2 from recordings)", "/usr/share/sounds/sf2/FluidR3_GM.sf2",
     "rendered notes: training"),
    ("TimGM6mb", "Debian timgm6mb-soundfont", "GPL-2", "sampled (SF2 from recordings)", "/usr/share/sounds/sf2/TimGM6mb.sf2",
     "rendered notes: training"),
    ("MuseScore_General_Full", "Debian musescore-general-soundfont", "MIT", "sampled; developed from FluidR3_GM",
     "/usr/share/sounds/sf3/MuseScore_General_Full.sf3", "rendered notes: training"),
    ("FluidR3Mono_GM", "Debian fluidr3mono-gm-soundfont", "MIT", "sampled; a mono FluidR3_GM (a near-duplicate)",
     "/usr/share/sounds/sf3/FluidR3Mono_GM.sf3", "left out: duplicates FluidR3_GM"),
    ("sf_GMbank", "Debian csound-soundfont", "public domain", "unclear (no provenance given)", "/usr/share/sounds/sf2/sf_GMbank.sf2",
     "not used yet"),
    ("Black_Pearl_4_LV2", "Debian avldrums.lv2-soundfont", "CC BY-SA 3.0 (Glen MacArthur)", "recorded drums (a Pearl kit)",
     "/usr/share/sounds/sf2/Black_Pearl_4_LV2.sf2", "drum hits: not used yet"),
    ("Red_Zeppelin_4_LV2", "Debian avldrums.lv2-soundfont", "CC BY-SA 3.0 (Glen MacArthur)", "recorded drums",
     "/usr/share/sounds/sf2/Red_Zeppelin_4_LV2.sf2", "drum hits: not used yet"),
]
OTHER = [
    ("freepats", "Debian freepats", "GPL-2+ with an exception for works using the patches", "recorded samples (GUS patches)",
     "/usr/share/midi/freepats", "rendered notes: training (the shipped instrument model)"),
    ("opl3", "Debian opl3-soundfont", "MIT", "synthesised (OPL3 FM chip)", "/usr/share/sounds/sf2/OPL-3_FM_128M.sf2",
     "not installed: synthesis, not recordings"),
    ("webaudiofont", "npm webaudiofont", "GPL-3.0+ (packaging); samples taken from many SoundFonts of mixed terms",
     "mixed", "", "not installed: its presets re-package SoundFonts whose terms it does not state one by one"),
    ("Philharmonia Orchestra samples", "(any package built from them, e.g. tonejs-instruments)", "-", "recorded", "",
     "never used for training or selection: the held-out judge"),
]
SAMPLE_USE = {"lmms": "real notes: a check of the shipped model; leave-one-source-out test",
              "sonic-pi": "real notes: leave-one-source-out test", "salamander": "real notes: leave-one-source-out test",
              "guitar-strums": "real chords: leave-one-source-out test"}
KIT_LICENCES = {  # Debian's copyright files of hydrogen-data and hydrogen-drumkits(-effects)
    "GMRockKit": "GPL", "TR808EmulationKit": "GPL", "Audiophob": "CC0", "BJA_Pacific": "CC BY-SA 3.0 US",
    "ColomboAcousticDrumkit": "GPL-2+ with composition exception", "ElectricEmpireKit": "GPL-2+", "ForzeeStereo": "GPL-2",
    "Gimme A Hand 1.0": "GPL-2", "HardElectro1": "GPL-2+", "Millo-Drums_v.1": "GPL-2", "Millo_MultiLayered2": "GPL-2",
    "Millo_MultiLayered3": "GPL-2", "The Black Pearl 1.0": "GPL-2", "VariBreaks": "GPL-2+", "belofilms_GuitarStrums": "CC BY 3.0",
    "circAfrique v4": "CC BY-SA 3.0", "rumpf_kit_z01_h2": "CC BY 3.0",
}


def sf2_counts(path):
    """(samples, presets) of a SoundFont, from its shdr and phdr records (the terminal record left out)."""
    from mirlearn.data.soundfont import _read_pdta

    p = _read_pdta(path)
    return len(p["shdr"]) // 46 - 1, len(p["phdr"]) // 38 - 1


def patch_counts(folder):
    from mirlearn.data.gus import read_patch

    pats = sorted(Path(folder).rglob("*.pat"))
    return len(pats), sum(len(read_patch(p)) for p in pats)


def kit_counts(folder):
    root = ET.parse(Path(folder) / "drumkit.xml").getroot()
    files = [e.text for e in root.iter() if e.tag.split("}")[-1] == "filename" and e.text]
    insts = [e for e in root.iter() if e.tag.split("}")[-1] == "instrument"]
    return len(insts), sum((Path(folder) / f).is_file() for f in files)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--salamander", type=Path, default=ROOT / "runs" / "sources" / "salamander")
    ap.add_argument("--json", type=Path, default=ROOT / "bench" / "results" / "data-sources.json")
    args = ap.parse_args()
    rows = []
    for name, package, licence, real, path, use in SOUNDFONTS + OTHER:
        row = dict(source=name, package=package, licence=licence, real=real, use=use, installed=bool(path) and Path(path).exists())
        if row["installed"] and Path(path).is_dir():  # freepats: GUS patches
            n, s = patch_counts(path)
            row["holds"] = f"{n} patches, {s} samples"
        elif row["installed"]:
            try:
                s, pr = sf2_counts(path)
                row["holds"] = f"{pr} presets, {s} samples"
            except SoundFontError as exc:
                row["holds"] = f"not counted ({str(exc).split(': ')[-1]})"
        rows.append(row)
    for name, src in SOURCES.items():
        path = args.salamander if name == "salamander" else src.path
        row = dict(source=name, package=src.package, licence=src.licence, real="recorded", use=SAMPLE_USE[name],
                   installed=Path(path).is_dir())
        if row["installed"]:
            items = source_items(name, path)
            per = {}
            for _, inst, _, _ in items:
                per[inst] = per.get(inst, 0) + 1
            row["holds"] = f"{len(items)} labelled recordings (" + ", ".join(f"{k} {v}" for k, v in sorted(per.items())) + ")"
        rows.append(row)
    kits = {k.name: k for k in find_kits(HYDROGEN_KITS)} if HYDROGEN_KITS.is_dir() else {}
    all_kits = sorted(p.parent.name for p in HYDROGEN_KITS.glob("*/drumkit.xml")) if HYDROGEN_KITS.is_dir() else []
    for name in all_kits:
        folder = HYDROGEN_KITS / name
        n_inst, n_files = kit_counts(folder)
        pkg = "Debian hydrogen-data" if name in DEFAULT_KITS else (
            "Debian hydrogen-drumkits-effects" if name == "belofilms_GuitarStrums" else "Debian hydrogen-drumkits")
        real = "recorded" if name in RECORDED_KITS or name == "belofilms_GuitarStrums" else (
            "unclear" if name in ("Audiophob", "rumpf_kit_z01_h2") else "synthesised")
        use = ("drum tracks: default kit" if name in DEFAULT_KITS else
               "a drum kit (kick, snare, hi-hat): --kits" if name in kits else "not a full kit")
        rows.append(dict(source=f"Hydrogen kit {name}", package=pkg, licence=KIT_LICENCES.get(name, "see drumkit.xml"), real=real,
                         use=use, installed=True, holds=f"{n_inst} instruments, {n_files} sample files"))
    meta = dict(command="python bench/data_sources.py", date=time.strftime("%Y-%m-%d"), machine=platform.machine(),
                cores=os.cpu_count())
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"meta": meta, "sources": rows}, indent=1, ensure_ascii=False) + "\n")
    print(f"# {meta['command']}, {meta['date']}\n")
    print("| source | package | licence | real recordings? | holds (counted here) | use |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['source']} | {r['package']} | {r['licence']} | {r['real']} | "
              f"{r.get('holds', 'not installed' if not r['installed'] else '')} | {r['use']} |")


if __name__ == "__main__":
    main()
