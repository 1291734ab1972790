#!/usr/bin/env bash
# Reproduces tongban-sans.ttf, the font the PDF guides are set in: WenQuanYi Micro Hei (Debian's
# fonts-wqy-microhei, used under its Apache-2.0 option) cut down to the characters a guide needs:
#   ASCII, Latin-1, general punctuation, CJK symbols and punctuation, halfwidth and fullwidth
#   forms, the white square that stands in for a missing character, and the 8,105 characters of
#   the 通用规范汉字表 (Table of General Standard Chinese Characters, 2013), taken from the kTGH
#   field of the Unicode Han Database in Debian's unicode-data package.
# Hinting, layout tables and vertical metrics are left out: the PDF renderer places glyphs itself
# and viewers rasterise outlines without hints.
#
# Needs: apt-get install fonts-wqy-microhei unicode-data; pip install fonttools
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source_font="${WQY_MICROHEI:-/usr/share/fonts/truetype/wqy/wqy-microhei.ttc}"
unihan="${UNIHAN_OTHER_MAPPINGS:-/usr/share/unicode/Unihan_OtherMappings.txt.bz2}"
for needed in "$source_font" "$unihan"; do
  [ -r "$needed" ] || { echo "make-subset.sh: $needed is missing (apt-get install fonts-wqy-microhei unicode-data)" >&2; exit 1; }
done
command -v pyftsubset >/dev/null || { echo "make-subset.sh: pyftsubset is missing (pip install fonttools)" >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# One code point per line, as U+XXXX, from the 8,105 kTGH entries.
bzcat "$unihan" | awk -F'\t' '$1 ~ /^U\+/ && $2 == "kTGH" { print $1 }' > "$work/tgh.txt"
count="$(wc -l < "$work/tgh.txt")"
[ "$count" -eq 8105 ] || { echo "make-subset.sh: expected 8105 kTGH characters, found $count" >&2; exit 1; }
{
  echo "U+0020-007E"   # ASCII
  echo "U+00A0-00FF"   # Latin-1 supplement (¥, ·, accented letters)
  echo "U+2000-206F"   # general punctuation (— … ‘ ’ “ ” •)
  echo "U+25A1"        # □ shown in place of a character the font lacks
  echo "U+3000-303F"   # CJK symbols and punctuation (、。〈〉《》「」【】〓)
  echo "U+FF00-FFEF"   # halfwidth and fullwidth forms (，：；（）！？)
  cat "$work/tgh.txt"
} | tr '\n' ',' | sed 's/,$//' > "$work/unicodes.txt"

pyftsubset "$source_font" \
  --font-number=0 \
  --unicodes-file=<(tr ',' '\n' < "$work/unicodes.txt") \
  --no-hinting \
  --layout-features='' \
  --drop-tables+=GDEF,GPOS,GSUB,vhea,vmtx,FFTM,gasp \
  --name-IDs='*' \
  --name-languages='*' \
  --notdef-outline \
  --no-glyph-names \
  --recommended-glyphs \
  --output-file="$here/tongban-sans.ttf"
ls -l "$here/tongban-sans.ttf"
