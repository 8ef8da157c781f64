#!/usr/bin/env python3
"""Reads a screendump of a VGA text screen back into text, and checks it.

    textscreen.py SCREEN.ppm FONT-ROM [--serial LOG] [--min-kernel N]
                  [--expect TEXT]... [--out FILE]

Each character cell (720x400: 80x25 cells of 9x16 dots; otherwise 8x16
cells, as fbcon draws them) is turned into its 8x16 dot pattern (dots that differ from the cell's
background colour) and looked up in the 8x16 font of the VGA BIOS ROM
(found by its 'A'). Unknown patterns read as '?'. Checks, each failing the
run (exit 1) with a line saying what is missing:
  --min-kernel N  at least N rows are kernel messages ("[    1.234567] ...")
  --serial LOG    every such row is also on the serial console: the screen
                  shows the kernel's own text, not something that looks like it
  --expect TEXT   some row contains TEXT
--out FILE keeps the decoded screen."""

import argparse
import re
import sys

from ppm import read_ppm

GLYPH_A = bytes([0, 0, 0x10, 0x38, 0x6C, 0xC6, 0xC6, 0xFE, 0xC6, 0xC6, 0xC6, 0xC6, 0, 0, 0, 0])


def rom_font(path):
    rom = open(path, 'rb').read()
    at = rom.find(GLYPH_A)
    if at < 0x41 * 16:
        sys.exit(f'{path}: no 8x16 font found')
    base = at - 0x41 * 16
    return {rom[base + c * 16:base + c * 16 + 16]: chr(c) for c in range(0x20, 0x7F)}


def decode(path, glyphs):
    w, h, pix = read_ppm(path)
    cw = 9 if (w, h) == (720, 400) else 8  # 80x25 of 9x16 cells, or 8x16 cells (fbcon)
    cols, rows = w // cw, h // 16
    if cols * cw != w or rows * 16 != h:
        sys.exit(f'{path}: {w}x{h} is not a screen of 8x16 or 9x16 cells')
    lines = []
    for r in range(rows):
        line = []
        for c in range(cols):
            cell = [[pix[((r * 16 + y) * w + c * cw + x) * 3:((r * 16 + y) * w + c * cw + x) * 3 + 3]
                     for x in range(8)] for y in range(16)]
            counts = {}
            for row in cell:
                for p in row:
                    counts[p] = counts.get(p, 0) + 1
            bg = max(counts, key=counts.get)
            dots = bytes(sum(0x80 >> x for x in range(8) if row[x] != bg) for row in cell)
            line.append(' ' if not any(dots) else glyphs.get(dots, '?'))
        lines.append(''.join(line).rstrip())
    return lines


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('screen')
    ap.add_argument('font')
    ap.add_argument('--serial')
    ap.add_argument('--min-kernel', type=int, default=0)
    ap.add_argument('--expect', action='append', default=[])
    ap.add_argument('--out')
    a = ap.parse_args()
    lines = decode(a.screen, rom_font(a.font))
    text = '\n'.join(lines) + '\n'
    if a.out:
        open(a.out, 'w').write(text)
    print(f'{a.screen}:\n{text}', end='')
    ok = True
    kernel = [l for l in lines if re.match(r'\[ *\d+\.\d{6}\] ', l)]
    if len(kernel) < a.min_kernel:
        print(f'only {len(kernel)} kernel message rows, not {a.min_kernel}', file=sys.stderr)
        ok = False
    if a.serial:
        serial = open(a.serial, 'rb').read().decode('latin-1').replace('\r', '')
        for l in kernel:
            if l not in serial:
                print(f'on the screen but not on the serial console: {l!r}', file=sys.stderr)
                ok = False
    for e in a.expect:
        if not any(e in l for l in lines):
            print(f'not on the screen: {e!r}', file=sys.stderr)
            ok = False
    sys.exit(0 if ok else 1)


main()
