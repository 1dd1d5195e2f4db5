#!/usr/bin/env bash
# The live view (--progress=tty; auto on a terminal) under make -j2 in a
# pseudo-terminal: the bytes are replayed through a small VT100 model
# (text, CR/LF, cursor up, erase below/line) and the final screen is
# checked: one whole line per finished step, the running steps' lines and
# output gone, a failing step's report kept with make's own message below.
. "$SRCDIR/tests/sh/e2e/progress.inc"
need python3
cat >ctx/Dockerfile <<'DF'
FROM bb AS a
RUN for i in 1 2 3; do echo a-$i; sleep 0.2; done > /a.txt; echo a-done
FROM bb AS b
RUN for i in 1 2 3; do echo b-$i; sleep 0.2; done; echo b-done > /b.txt
FROM scratch
COPY --from=a /a.txt /a.txt
COPY --from=b /b.txt /b.txt
DF
# the failing step runs last: nothing finishes after it (no timing)
printf 'FROM bb AS a\nRUN echo fine > /f\nFROM bb\nCOPY --from=a /f /f\nRUN echo going; echo bad >&2; exit 7\n' \
	>ctx/Dockerfile.fail

cat >screen.py <<'PY'
# screen.py MAKEFILE COLS ROWS [KILL-AT]: runs make under a pty of that
# size, prints the exit status, then the final screen (one line per row,
# trailing blanks dropped), then "raw:" and the byte stream's checks. With
# KILL-AT, the make's process group is killed (SIGKILL) once the output
# holds that text; the raw bytes are kept in raw.out.
import os, pty, re, signal, struct, sys, fcntl, termios
mk, cols, rows = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
kill_at = sys.argv[4].encode() if len(sys.argv) > 4 else None
pid, fd = pty.fork()
if pid == 0:
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    env["TERM"] = "xterm"
    os.execvpe("make", ["make", "-s", "-j2", "-f", mk,
                        "DF2MAKE_RUNTIME=" + os.environ["DF2MAKE_RUNTIME_BIN"]] +
               os.environ.get("MAKEARGS", "").split(), env)
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
data = b""
while True:
    try:
        chunk = os.read(fd, 65536)
    except OSError:
        break
    if not chunk:
        break
    data += chunk
    if kill_at and kill_at in data:
        os.killpg(pid, signal.SIGKILL)
        kill_at = None
status = os.waitpid(pid, 0)[1] >> 8
open("raw.out", "wb").write(data)
lines, row, col = [""], 0, 0
def put(ch):
    global col
    l = lines[row].ljust(col)
    lines[row] = l[:col] + ch + l[col + 1:]
    col += 1
i, text = 0, data.decode("utf-8", "replace")
while i < len(text):
    m = re.match(r"\x1b\[(\??)([0-9;]*)([A-Za-z])", text[i:])
    if m:
        n = int(m.group(2) or 1) if m.group(2).isdigit() else 0
        top = max(0, len(lines) - rows)
        if m.group(3) == "A":
            row = max(top, row - n)
        elif m.group(3) == "J":
            lines[row] = lines[row][:col]
            del lines[row + 1:]
        elif m.group(3) == "K":
            lines[row] = lines[row][:col]
        i += m.end()
        continue
    ch = text[i]
    i += 1
    if ch == "\r":
        col = 0
    elif ch == "\n":
        row += 1
        if row == len(lines):
            lines.append("")
    elif ch >= " ":
        put(ch)
print(status)
for l in lines:
    if l.rstrip():
        print(l.rstrip())
print("raw: widest %d, up-moves %d" % (max(len(l) for l in lines),
      len(re.findall(rb"\x1b\[[0-9]+A", data))))
PY

# steps TEXT: the screen's step lines with their times made comparable
steps() { sed -E 's/ +[0-9]+\.[0-9]s$/ T/; s/@sha256:[0-9a-f]{12}/@sha256:D/'; }

"$DF2MAKE" -o ok.tar ctx >ok.mk || exit 1
scr=$(python3 screen.py ok.mk 100 30)
is "$(sed -n 1p <<<"$scr")" 0 "make -j2 under a terminal succeeds"
 # (a's and b's FROM are one step)
is "$(sed '1d;/^raw:/d' <<<"$scr" | steps | sort)" " => FROM scratch (empty) T
 => [a 1/2] FROM docker.io/library/bb:latest@sha256:D T
 => [a 2/2] RUN for i in 1 2 3; do echo a-\$i; sleep 0.2; done > /a.txt; echo a-done T
 => [b 2/2] RUN for i in 1 2 3; do echo b-\$i; sleep 0.2; done; echo b-done > /b.txt T
 => [stage-2 1/2] COPY --from=a /a.txt /a.txt T
 => [stage-2 2/2] COPY --from=b /b.txt /b.txt T
 => exporting to image (tar ok.tar) T" \
	"the final screen: each step once, as a finished line (no live lines or output left)"
check "every screen line is padded to the width, the time right-aligned" \
	awk '!/^raw:/ && (!/ [0-9]+\.[0-9]s$/ || length($0) != 99) { exit 1 }' <<<"$(sed 1d <<<"$scr")"
like "$(grep '^raw:' <<<"$scr")" "widest 99, up-moves [1-9]" "the view was redrawn in place (cursor up), never wider than the terminal"

rm -rf .df2make
"$DF2MAKE" -f ctx/Dockerfile.fail -o fail.tar ctx >fail.mk || exit 1
scr=$(python3 screen.py fail.mk 100 30)
is "$(sed -n 1p <<<"$scr")" 2 "a failing build: make's status"
is "$(sed '1d;/^raw:/d' <<<"$scr" | sed -n '/ERROR \[/,$p' | steps | sed -E 's/^[0-9]+\.[0-9]+ /T /' |
	sed -E '$s/^make: \*\*\* \[fail\.mk:[0-9]+: .*\.done\] Error 1$/MAKE/')" \
	" => ERROR [stage-1 3/3] RUN echo going; echo bad >&2; exit 7 T
------
 > [stage-1 3/3] RUN echo going; echo bad >&2; exit 7:
T going
T bad
------
Dockerfile.fail:5
--------------------
   3 |     FROM bb
   4 |     COPY --from=a /f /f
   5 | >>> RUN echo going; echo bad >&2; exit 7
   6 |
--------------------
ERROR: process \"/bin/sh -c echo going; echo bad >&2; exit 7\" did not complete successfully: exit code: 7
df2make-runtime: Dockerfile.fail:5: RUN echo going; echo bad >&2; exit 7: exit status 7
MAKE" "a failing step: its ERROR line and report stay, make's message below them is whole"
# the runtime's warnings go above the view, whole (a bad --cache-from list
# warns at each of the 4 steps that could be restored)
rm -rf .df2make
scr=$(MAKEARGS=DF2MAKE_CACHE_FROM=bad python3 screen.py ok.mk 100 30)
is "$(sed '1d;/^raw:/d' <<<"$scr" | grep -v '^ => ' | sort | uniq -c | sed 's/^ *//')" \
	"4 df2make-runtime: warning: DF2MAKE_CACHE_FROM is not a JSON list: no cache used" \
	"warnings of steps under the view: whole lines above it"
is "$(sed '1d;/^raw:/d' <<<"$scr" | grep -c '^ => ')" 7 "  and every step's line"

# a command's escape sequences do not reach the terminal through the view
# (only the view's own: cursor hidden/shown, up, erase)
printf 'FROM bb\nRUN printf "\\033[2J\\033[5Agotcha\\n"; sleep 1\n' >ctx/Dockerfile.esc
"$DF2MAKE" -f ctx/Dockerfile.esc -o esc.tar ctx >esc.mk || exit 1
python3 screen.py esc.mk 100 30 >/dev/null
is "$(grep -ao $'\e\\[[0-9?]*[A-Za-z]' raw.out | sed 's/[0-9]*A$/nA/' | sort -u | tr '\n' ' ' | cat -v)" \
	'^[[?25h ^[[?25l ^[[J ^[[K ^[[nA ' "no escape sequence but the view's own"
like "$(cat -v raw.out)" ' => => #  \[2J \[5Agotcha' "  the command's line shown with its escapes as blanks"

# a make killed while a step runs leaves its runtime's slot in the model:
# the next make finds that runtime gone and draws from where the cursor is
# (no cursor-up over what the terminal shows above)
rm -rf .df2make
printf 'FROM bb\nRUN echo started; sleep 30\n' >ctx/Dockerfile.kill
"$DF2MAKE" -f ctx/Dockerfile.kill -o kill.tar ctx >kill.mk || exit 1
python3 screen.py kill.mk 100 30 '=> => # started' >/dev/null
check "the killed make left a view on the screen (a slot in the model)" \
	grep -q '=> => # started' raw.out
printf 'FROM bb\nRUN echo again\n' >ctx/Dockerfile.kill
"$DF2MAKE" -f ctx/Dockerfile.kill -o kill.tar ctx >kill.mk || exit 1
python3 screen.py kill.mk 100 30 >/dev/null
like "$(head -c 200 raw.out | cat -v)" '^\^\[\[\?25l =>' "the next make's first draw starts where the cursor is"
done_testing
