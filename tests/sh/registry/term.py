#!/usr/bin/env python3
"""term.py CMD...: runs CMD on a pseudo-terminal and prints the screen it
leaves, as a terminal would show it: carriage returns, newlines, erase to
the end of the line (ESC [ K) and cursor up (ESC [ n A) are applied, so a
progress view redrawn in place comes out as its final lines. Exits with
CMD's status. Also prints "REDRAWS n": how many cursor-up moves it saw."""
import os
import pty
import re
import subprocess
import sys


def run(argv):
    out = bytearray()
    master, slave = pty.openpty()
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=slave, stderr=slave)
    os.close(slave)
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the child closed its side
            break
        if not data:
            break
        out.extend(data)
    os.close(master)
    return p.wait(), out.decode("utf-8", "replace")


def screen(text):
    lines, row, col, ups = [""], 0, 0, 0
    for tok in re.findall(r"\x1b\[(\d*)([A-Za-z])|(\r\n|\r|\n)|([^\x1b\r\n]+)", text):
        num, cmd, ctl, chars = tok
        if cmd == "A":
            row, ups = max(0, row - int(num or 1)), ups + 1
        elif cmd == "K":
            lines[row] = lines[row][:col]
        elif ctl == "\r":
            col = 0
        elif ctl:  # the pty turns \n into \r\n
            row, col = row + 1, 0
            if row == len(lines):
                lines.append("")
        elif chars:
            line = lines[row].ljust(col)
            lines[row] = line[:col] + chars + line[col + len(chars):]
            col += len(chars)
    return [l for l in lines if l], ups


if __name__ == "__main__":
    rc, text = run(sys.argv[1:])
    lines, ups = screen(text)
    for l in lines:
        print(l)
    print("REDRAWS %d" % ups)
    sys.exit(rc)
