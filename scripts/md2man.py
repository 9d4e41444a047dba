#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Renders one of meterd's Markdown docs as a man page (roff), so the man pages are the docs.

Usage: md2man.py SOURCE.md OUTPUT NAME SECTION VERSION "one-line summary" [--synopsis LINE]...

The document's first heading is replaced by the NAME section ("NAME \\- summary"), and the
SYNOPSIS lines, when given, come before its body. Handles the Markdown the docs use:
headings, paragraphs, bullet and numbered lists, fenced code, tables, inline code, bold,
italics and links (rendered as their text).
"""
import re
import sys


def escape(text):
    text = text.replace("\\", "\\e")
    return text


def inline(text):
    text = escape(text)
    text = re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", text)
    text = re.sub(r"`([^`]+)`", lambda m: "\\fB" + m.group(1) + "\\fR", text)
    text = re.sub(r"\*\*([^*]+)\*\*", r"\\fB\1\\fR", text)
    text = re.sub(r"(?<![\w*])\*([^*\s][^*]*)\*(?![\w*])", r"\\fI\1\\fR", text)
    return text


def line_out(text):
    # A roff line must not start with a control character.
    if text.startswith((".", "'")):
        return "\\&" + text
    return text


def render(markdown, name, section, version, summary, synopsis):
    out = [
        '.TH "%s" "%s" "" "meterd %s" "meterd"' % (name.upper(), section, version),
        ".SH NAME",
        "%s \\- %s" % (escape(name), escape(summary)),
    ]
    if synopsis:
        out.append(".SH SYNOPSIS")
        for line in synopsis:
            out.append(".nf")
            out.append(line_out(inline(line)))
            out.append(".fi")
    lines = markdown.splitlines()
    seen_title = False
    in_code = False
    for raw in lines:
        if raw.startswith("```"):
            in_code = not in_code
            out.append(".RS 4\n.nf" if in_code else ".fi\n.RE")
            continue
        if in_code:
            out.append(line_out(escape(raw)))
            continue
        stripped = raw.strip()
        heading = re.match(r"^(#+)\s+(.*)$", stripped)
        if heading:
            level, title = len(heading.group(1)), heading.group(2)
            if level == 1 and not seen_title:
                seen_title = True
                out.append(".SH DESCRIPTION")
            elif level <= 2:
                out.append('.SH "%s"' % inline(title).upper())
            else:
                out.append('.SS "%s"' % inline(title))
            continue
        if not stripped:
            out.append(".PP")
            continue
        if stripped.startswith("|"):
            cells = [c.strip() for c in stripped.strip("|").split("|")]
            if all(re.fullmatch(r":?-+:?", c) for c in cells if c):
                continue
            out.append(".nf")
            out.append(line_out(inline("  ".join(cells))))
            out.append(".fi")
            continue
        bullet = re.match(r"^(\s*)([-*]|\d+\.)\s+(.*)$", raw)
        if bullet:
            indent = 2 + len(bullet.group(1))
            mark = "\\(bu" if bullet.group(2) in "-*" else bullet.group(2)
            out.append('.IP "%s" %d' % (mark, indent + 2))
            out.append(line_out(inline(bullet.group(3))))
            continue
        out.append(line_out(inline(stripped)))
    # Collapse repeated paragraph breaks.
    text = "\n".join(out) + "\n"
    text = re.sub(r"(\.PP\n)+", ".PP\n", text)
    return text


def main(argv):
    if len(argv) < 7:
        sys.stderr.write(__doc__)
        return 2
    source, output, name, section, version, summary = argv[1:7]
    synopsis = []
    rest = argv[7:]
    while rest:
        if rest[0] != "--synopsis" or len(rest) < 2:
            sys.stderr.write("md2man: unexpected argument %r\n" % rest[0])
            return 2
        synopsis.append(rest[1])
        rest = rest[2:]
    with open(source, encoding="utf-8") as f:
        page = render(f.read(), name, section, version, summary, synopsis)
    with open(output, "w", encoding="utf-8") as f:
        f.write(page)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
