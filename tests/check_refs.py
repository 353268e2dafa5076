#!/usr/bin/env python3
"""Every documentation reference in the repository resolves inside it.

Reads every file git tracks under the source root (argv[1], default ".")
with a source or documentation extension and checks:
  * `PATH.md §N` groups (lists `§1.4, §5.4`, ranges `§3-§5`, groups that run
    over a comment's next line): PATH exists, relative to the repository
    root or to the citing file, and has a Markdown heading numbered N
    ("## 3. ...", "### 3.1 ...");
  * `README "Heading"` / `PATH/README.md "Heading"`: the heading exists;
  * every other mention of a `.md` file: the file exists;
  * relative Markdown links `](path)` in .md files: the path exists;
  * no `§` that names no file (RFC references are left alone);
  * no mention of documentation outside the repository (`docs/protocol.md`,
    `style.md`, the `shared` reference folder) except in the files of the
    test-skip logic and CI.
Prints one line per problem (FILE:LINE: ...) and exits 1 if there is any.
"""
import os
import re
import subprocess
import sys

ROOT = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".")
EXTS = (".c", ".h", ".sh", ".py", ".js", ".md", ".build", ".txt", ".yaml")
# The test-skip logic and CI may name the reference material outside the
# repository (tests/README.md documents it).
OUTSIDE_OK = {
    ".ci/run", "meson_options.txt", "tests/meson.build", "tests/README.md",
    "tests/check_refs.py", "tests/swarm/test_config.c", "tests/swarm/test_cli.sh",
    "tests/emulator/conformance/run.sh", "tests/emulator/conformance/validate.js",
}
OUTSIDE = re.compile(r"docs/protocol\.md|docs/style\.md|\bstyle\.md\b|swarm-anchor\.md|"
                     r"peers\.md|\.\./shared\b|/work/shared\b")

SEC = r"§\s*\d+(?:\.\d+)*"
# A group: a file (or an RFC) then sections joined by ",", "-", "and",
# possibly across a comment line break (" * ", "# ", "// ").
JOIN = r"(?:`?\s*(?:,|-|–|and)\s*(?:\n\s*(?:\*|#|//)?\s*)?`?)"
GROUP = re.compile(r"(?P<src>(?:[\w./-]*\.md)|(?:RFC\s*\d+))`?\s*,?\s*`?(?P<secs>" + SEC +
                   r"(?:" + JOIN + SEC + r")*)")
README_HEADING = re.compile(r"(?P<file>[\w./-]*README(?:\.md)?)\s+\"(?P<head>[^\"\n]+)\"")
MD_MENTION = re.compile(r"(?<![\w./$}-])(?P<path>[\w./-]*[\w-]\.md)\b")
MD_LINK = re.compile(r"\]\((?P<target>[^)#\s]+)(?:#[^)]*)?\)")

_headings = {}


def tracked_files():
    try:
        out = subprocess.run(["git", "-C", ROOT, "ls-files"], capture_output=True, text=True,
                             check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        print(f"SKIP: {ROOT} is not a git checkout (or git is missing): no list of tracked files")
        sys.exit(77)
    return [f for f in out.splitlines() if f.endswith(EXTS) or f.endswith("meson.build")]


def resolve(citing, path):
    """Returns the repo-relative path |path| names from |citing|, or None."""
    if path == "README":
        path = "README.md"
    for base in ("", os.path.dirname(citing)):
        cand = os.path.normpath(os.path.join(base, path))
        if not cand.startswith("..") and os.path.isfile(os.path.join(ROOT, cand)):
            return cand
    return None


def headings(path):
    if path not in _headings:
        hs = []
        in_code = False
        with open(os.path.join(ROOT, path), encoding="utf-8") as f:
            for line in f:
                if line.startswith("```"):
                    in_code = not in_code
                elif not in_code and line.startswith("#"):
                    hs.append(line.lstrip("#").strip())
        _headings[path] = hs
    return _headings[path]


def has_section(path, num):
    pat = re.compile(r"^" + re.escape(num) + r"(?:\.|\s|$)")
    return any(pat.match(h) for h in headings(path))


def has_heading(path, text):
    return any(h == text or h.startswith(text + " ") or h.startswith(text + ":")
               for h in headings(path))


def line_of(text, pos):
    return text.count("\n", 0, pos) + 1


def check_file(rel, problems):
    try:
        with open(os.path.join(ROOT, rel), encoding="utf-8") as f:
            text = f.read()
    except (UnicodeDecodeError, FileNotFoundError):
        return
    is_md = rel.endswith(".md")
    covered = set()
    for m in GROUP.finditer(text):
        for s in re.finditer(r"§", m.group(0)):
            covered.add(m.start() + s.start())
        src = m.group("src")
        if src.startswith("RFC"):
            continue
        target = resolve(rel, src)
        if not target:
            problems.append(f"{rel}:{line_of(text, m.start())}: {src}: no such file")
            continue
        for num in re.findall(r"§\s*(\d+(?:\.\d+)*)", m.group("secs")):
            if not has_section(target, num):
                problems.append(f"{rel}:{line_of(text, m.start())}: {src} §{num}: "
                                f"no heading numbered {num} in {target}")
    for m in re.finditer(r"§", text):
        if m.start() in covered:
            continue
        # Inside a Markdown document a bare § refers to the document itself.
        if is_md:
            num = re.match(r"§\s*(\d+(?:\.\d+)*)", text[m.start():])
            if num and not has_section(rel, num.group(1)):
                problems.append(f"{rel}:{line_of(text, m.start())}: §{num.group(1)}: "
                                f"no heading numbered {num.group(1)} in this file")
            continue
        problems.append(f"{rel}:{line_of(text, m.start())}: a § that names no file "
                        f"(write FILE.md §N)")
    for m in README_HEADING.finditer(text):
        target = resolve(rel, m.group("file"))
        if not target:
            problems.append(f"{rel}:{line_of(text, m.start())}: {m.group('file')}: no such file")
        elif not has_heading(target, m.group("head")):
            problems.append(f"{rel}:{line_of(text, m.start())}: {m.group('file')} "
                            f"\"{m.group('head')}\": no such heading in {target}")
    for m in MD_MENTION.finditer(text):
        path = m.group("path")
        if OUTSIDE.search(path) or "node_modules" in path:
            continue
        token = re.split(r"[\s\"'(<\[`]", text[max(0, m.start() - 200):m.start()])[-1]
        if "://" in token:  # part of a URL
            continue
        if not resolve(rel, path):
            problems.append(f"{rel}:{line_of(text, m.start())}: {path}: no such file")
    if is_md:
        for m in MD_LINK.finditer(text):
            t = m.group("target")
            if re.match(r"[a-z]+:", t):
                continue
            cand = os.path.normpath(os.path.join(os.path.dirname(rel), t))
            if not os.path.exists(os.path.join(ROOT, cand)):
                problems.append(f"{rel}:{line_of(text, m.start())}: link {t}: no such path")
    if rel not in OUTSIDE_OK:
        for m in OUTSIDE.finditer(text):
            problems.append(f"{rel}:{line_of(text, m.start())}: {m.group(0)}: documentation "
                            f"outside the repository (cite protocol/README.md or a README)")


def main():
    problems = []
    files = tracked_files()
    for rel in files:
        if rel != "tests/check_refs.py":  # its own text describes the syntax
            check_file(rel, problems)
    for p in problems:
        print(p)
    print(f"check_refs: {len(files)} files, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
