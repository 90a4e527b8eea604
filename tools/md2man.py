#!/usr/bin/env python3
"""md2man.py: docs/kslice.1.md -> roff (man macros), on stdout.

    python3 tools/md2man.py [--version X] docs/kslice.1.md > build/kslice.1

The man page has one source, the markdown GitHub shows, so the two cannot drift apart.
Only the subset kslice.1.md uses is understood: "# name(section)", "##"/"###" headings,
paragraphs, 2-column tables (option | meaning), "-" bullets, ``` fences and 4-space
indented blocks, `code`, **bold**, *italic*, [text](url) and backslash escapes.
Anything else that looks like structure (a 3-column table, say) is an error naming the
line, rather than a page that silently reads wrong.
"""
import argparse
import os
import re
import sys
import time

# Inline markdown, leftmost match first. Code spans come before emphasis so that a `*`
# inside `*.corp.example` stays a star; an escape (\*) is a literal character. A code
# span may run over a line break, as in markdown: paragraphs are converted whole.
INLINE = re.compile(
    r"\\(?P<esc>[!-/:-@\[-`{-~])"
    r"|`(?P<code>[^`]+)`"
    r"|\*\*(?P<bold>.+?)\*\*"
    r"|\*(?P<ital>[^\s*`](?:[^*`]*[^\s*`])?)\*"
    r"|\[(?P<ltext>[^\]]+)\]\((?P<url>[^)]+)\)")
# An option word in running text: -v, --no-proxy, --external-browser[=...]. Its hyphens
# become \- (minus) so that copying from the rendered page gives ASCII; hyphens of
# ordinary words (AnyConnect-compatible) stay hyphens.
OPTION_WORD = re.compile(r"(?<![\w\\-])--?[A-Za-z0-9][\w-]*")
# In a table's first column (the .TP tag), these are metavariables: italic, as
# man-pages(7) asks (NAME, FILE, N, /etc/kslice/NAME.conf); the rest is typed as is: bold.
METAVAR = re.compile(r"\b[A-Z][A-Z0-9_]*\b")
TAG_INDENT = 7  # the man macros' default .TP indent, in ens


def chars(s):
    """Characters roff would misread: \\ is its escape; non-ASCII (the µ of µs) becomes
    a \\[uXXXX] escape, which groff renders on UTF-8 terminals and approximates on ASCII
    ones, rather than raw bytes it may warn about."""
    s = s.replace("\\", "\\e")
    return "".join(c if ord(c) < 128 else "\\[u%04X]" % ord(c) for c in s)


def esc_code(s):
    """Literal text (code spans, code blocks): every hyphen is a minus sign, so that the
    options and commands shown can be pasted into a shell."""
    return chars(s).replace("-", "\\-")


def esc_text(s):
    return OPTION_WORD.sub(lambda m: m.group(0).replace("-", "\\-"), chars(s))


def break_points(s):
    """A long code word (a URL, a pkcs11: URI, JSON) may break after / ; & , (\\:, no hyphen
    added), or a narrow terminal gets a line too long and groff a warning."""
    if len(s) < 24:
        return s
    return re.sub(r"(?<=[/;&,])(?=[^/;&,\s])", r"\\:", s)


def tag_code(s):
    """A code span in a .TP tag: bold, with metavariables in italic. A span that is one
    upper-case word alone is a name (HTTPS_PROXY), all bold."""
    if re.fullmatch(METAVAR.pattern, s):
        return "\\fB" + esc_code(s) + "\\fR"
    out, pos = [], 0
    for m in METAVAR.finditer(s):
        if m.start() > pos:
            out.append("\\fB" + esc_code(s[pos:m.start()]) + "\\fR")
        out.append("\\fI" + esc_code(m.group(0)) + "\\fR")
        pos = m.end()
    if pos < len(s):
        out.append("\\fB" + esc_code(s[pos:]) + "\\fR")
    return "".join(out)


def inline(s, tag=False):
    out, pos = [], 0
    for m in INLINE.finditer(s):
        out.append(esc_text(s[pos:m.start()]))
        pos = m.end()
        if m.group("esc") is not None:
            out.append(esc_text(m.group("esc")))
        elif m.group("code") is not None:
            code = m.group("code")
            out.append(tag_code(code) if tag else "\\fB" + break_points(esc_code(code)) + "\\fR")
        elif m.group("bold") is not None:
            out.append("\\fB" + inline(m.group("bold")) + "\\fR")
        elif m.group("ital") is not None:
            out.append("\\fI" + inline(m.group("ital")) + "\\fR")
        else:  # a link: its text; the address means nothing on a terminal
            out.append(inline(m.group("ltext"), tag))
    out.append(esc_text(s[pos:]))
    return "".join(out)


def filled(s):
    """Roff text (possibly several lines) as filled output lines. Words that hold code or
    an option (a font change or a minus) get \\% in front: groff must not hyphenate
    --setuid into --se-tuid, nor $CREDENTIALS_DIRECTORY; prose may still be hyphenated.
    A leading . or ' would make the line a request (\\&); leading blanks would break it."""
    lines = []
    for line in s.split("\n"):
        line = re.sub(r"(?:^|(?<=\s))(?=\S*(?:\\f|\\-))", r"\\%", line.strip())
        if line:
            lines.append("\\&" + line if line[:1] in (".", "'") else line)
    return lines


def unfilled(s):
    """A code block line: its indentation is meaningful and kept; an empty line is .sp
    (a blank input line is a groff warning in a man page)."""
    if not s.strip():
        return ".sp"
    return "\\&" + s if s[:1] in (".", "'") else s


def width(roff):
    """Printed width of a line of roff text, near enough: escapes count as one column."""
    s = re.sub(r"\\f.|\\%|\\&", "", roff)
    return len(re.sub(r"\\\[u[0-9A-F]+\]|\\.", "x", s))


def cells(line):
    """| a | b\\|c | -> ["a", "b|c"]: split on the bars that are not escaped (GitHub's
    rule, which applies inside code spans too), then unescape."""
    parts = re.split(r"(?<!\\)\|", line.strip())
    if parts and parts[0] == "":
        parts = parts[1:]
    if parts and parts[-1] == "":
        parts = parts[:-1]
    return [p.strip().replace("\\|", "|") for p in parts]


BULLET = re.compile(r"\s*[-*]\s")
TABLE_RULE = re.compile(r"\s*\|[\s:|-]+\|\s*$")


def convert(lines, source, date, version):
    lines = [l.rstrip("\n") for l in lines]
    out = []
    fresh = True  # right after .SH/.SS: the next block needs no .PP
    section = ""
    i = 0

    def fail(msg):
        sys.exit("%s:%d: %s" % (source, i + 1, msg))

    def new_block(own_paragraph=False):
        # .TP and .IP start a paragraph of their own: a .PP before them is redundant.
        nonlocal fresh
        if not fresh and not own_paragraph:
            out.append(".PP")
        fresh = False

    def ends_paragraph(l):
        s = l.strip()
        return not s or s.startswith(("#", "|", "```"))

    m = re.match(r"#\s+(\S+)\((\w+)\)\s*$", lines[0] if lines else "")
    if not m:
        fail('the first line must be "# name(section)"')
    title, sec = m.group(1), m.group(2)
    footer = "%s %s" % (title, version) if version else title
    out.append('.\\" Generated by tools/md2man.py from %s: edit that, not this.'
               % os.path.basename(source))
    out.append('.TH %s %s %s "%s" "User Commands"' % (title.upper(), sec, date, footer))
    # Ragged right (as asciidoctor's man pages): with long unbreakable words (URLs,
    # option names, JSON field lists) full justification spreads lines into gaps.
    out.append(".ad l")
    i = 1

    while i < len(lines):
        line = lines[i]
        stripped = line.strip()

        if not stripped:
            i += 1
            continue

        m = re.match(r"(#{2,3})\s+(.*?)\s*#*\s*$", line)
        if m:
            section = m.group(2).upper()
            macro, head = (".SH", section) if len(m.group(1)) == 2 else (".SS", m.group(2))
            out.append('%s "%s"' % (macro, esc_text(head).replace('"', "\\(dq")))
            fresh = True
            i += 1
            continue
        if line.startswith("#"):
            fail("unsupported heading: " + line)

        # Fenced code block: literal, unfilled, indented.
        if stripped.startswith("```"):
            new_block()
            out += [".RS 4", ".nf"]
            i += 1
            while i < len(lines) and not lines[i].strip().startswith("```"):
                out.append(unfilled(esc_code(lines[i])))
                i += 1
            if i == len(lines):
                fail("unterminated ``` block")
            out += [".fi", ".RE"]
            i += 1
            continue

        # Indented code block (the SYNOPSIS, the examples): 4 spaces. Blank lines inside
        # belong to it when indented lines follow them. The SYNOPSIS is not indented
        # further: the section's indent sets it apart, and its lines need the width.
        if line.startswith("    "):
            new_block()
            indent = section != "SYNOPSIS"
            out += [".RS 4"] * indent + [".nf"]
            while i < len(lines):
                if not lines[i].strip():
                    nxt = next((l for l in lines[i:] if l.strip()), "")
                    if not nxt.startswith("    "):
                        break
                elif not lines[i].startswith("    "):
                    break
                out.append(unfilled(esc_code(lines[i][4:])))
                i += 1
            out += [".fi"] + [".RE"] * indent
            continue

        # Table: header row, |---| row, then one .TP per row: the first column is the
        # tag, the second the body. A tag that would leave the body less than two columns
        # on its line gets a line of its own (.br), as a longer one does by itself.
        if stripped.startswith("|"):
            if i + 1 >= len(lines) or not TABLE_RULE.match(lines[i + 1]):
                fail("a table needs a |---| line under its header")
            if len(cells(line)) != 2:
                fail("only 2-column tables (option | meaning) are supported")
            new_block(own_paragraph=True)
            i += 2
            while i < len(lines) and lines[i].strip().startswith("|"):
                row = cells(lines[i])
                if len(row) != 2:
                    fail("a table row with %d cells, not 2" % len(row))
                tag = filled(inline(row[0], tag=True))
                out += [".TP"] + tag
                if width(tag[0]) > TAG_INDENT - 2:
                    out.append(".br")
                out += filled(inline(row[1]))
                i += 1
            continue

        # Bullets: "- text", each continued by the indented lines under it.
        if BULLET.match(line):
            new_block(own_paragraph=True)
            while i < len(lines) and BULLET.match(lines[i]):
                item = [lines[i].strip()[2:]]
                i += 1
                while i < len(lines) and lines[i].startswith("  ") and lines[i].strip() \
                        and not BULLET.match(lines[i]):
                    item.append(lines[i])
                    i += 1
                out += [".IP \\(bu 2"] + filled(inline("\n".join(item)))
            continue

        # A paragraph: up to a blank line or another block. NAME's "name - what" is
        # "name \- what", the form whatis and apropos read.
        new_block()
        para = []
        while i < len(lines) and not ends_paragraph(lines[i]):
            para.append(lines[i])
            i += 1
        text = inline("\n".join(para))
        if section == "NAME":
            text = text.replace(" - ", " \\- ", 1)
        out += filled(text)
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser(description="markdown man page -> roff (man macros)")
    ap.add_argument("--version", default="", help='shown in the footer: "kslice VERSION"')
    ap.add_argument("source")
    args = ap.parse_args()
    with open(args.source, encoding="utf-8") as f:
        lines = f.readlines()
    # Reproducible builds: the date comes from SOURCE_DATE_EPOCH when the packager sets
    # it, else from the source's mtime, never from "now". UTC, so the timezone is no input.
    epoch = os.environ.get("SOURCE_DATE_EPOCH") or os.stat(args.source).st_mtime
    date = time.strftime("%Y-%m-%d", time.gmtime(int(float(epoch))))
    sys.stdout.write(convert(lines, args.source, date, args.version))


if __name__ == "__main__":
    main()
