"""Check a built HTML book: every page in the table of contents exists, nothing is
loaded from the network, and math is typeset by a local MathJax.

    python tools/check_html.py HTML_DIR [--toc _toc.yml] [--browser auto|yes|no]

Checks, each counted once:
  - HTML_DIR/index.html exists;
  - for every file in the toc: its page exists;
  - for every page: no script, stylesheet, image, frame or font is loaded from an
    http(s) or protocol-relative URL (links the reader may click are fine), and no
    inline script names a remote URL;
  - for every page: no raw `$$` left in the prose (a sign that dollarmath is off);
  - for every page with math: it loads MathJax from a local file that exists, next
    to MathJax's CHTML fonts;
  - at least one page has math (the introduction has labelled equations);
  - for every page, what a reader should never see (the page's outputs and prose, not
    its code): a stderr output block (class "output stderr"); the word "Traceback";
    the reprs "PosixPath(" and "MIEstimate("; a pandas Series/dtype repr ("dtype: ...");
    raw Markdown bold ("**word**") left as text; the same table (its data cells), or the
    same line of output text (40+ characters), shown twice;
  - with a headless Chromium (`--browser yes`, or `auto` when one is installed): for
    every page with math, with all network access blocked, MathJax turns every math
    element into an `mjx-container` and reports no TeX error.

The last line is `html checks: N passed, M failed`; the exit code is 1 when M > 0.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from html.parser import HTMLParser
from pathlib import Path

import yaml

REMOTE = re.compile(r"^\s*(?:https?:)?//", re.IGNORECASE)
REMOTE_IN_TEXT = re.compile(r"(?:https?:)?//[\w.-]+\.[a-z]{2,}/[^\s'\"]*", re.IGNORECASE)
# sphinx-thebe (always loaded by jupyter-book) defines `const THEBE_JS_URL = "https://..."`
# on every page; thebe is fetched only when a reader presses a thebe launch button.
LAZY_INLINE = re.compile(r"const THEBE_JS_URL\s*=")
# <link rel=...> values that make the browser fetch the target.
FETCHING_RELS = {"stylesheet", "preload", "modulepreload", "prefetch", "icon",
                 "shortcut", "apple-touch-icon", "manifest", "mask-icon"}
SRC_TAGS = {"script", "img", "iframe", "source", "audio", "video", "embed", "track", "input"}
SKIP_TEXT_TAGS = {"script", "style", "pre", "code", "textarea", "kbd", "samp"}


class PageParser(HTMLParser):
    """Collects resource URLs, script sources, math elements and visible text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.resources: list[tuple[str, str]] = []  # (tag, url)
        self.scripts: list[str] = []  # script src values
        self.inline_scripts: list[str] = []
        self.math_elements = 0
        self.prose: list[str] = []
        self._stack: list[tuple[str, bool]] = []  # (tag, skips text)
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: (v or "") for k, v in attrs}
        classes = a.get("class", "").split()
        if tag in SRC_TAGS and a.get("src"):
            self.resources.append((tag, a["src"]))
            if tag == "script":
                self.scripts.append(a["src"])
        for attr in ("srcset", "data-src", "poster"):
            if a.get(attr):
                self.resources.append((f"{tag}[{attr}]", a[attr]))
        if tag == "object" and a.get("data"):
            self.resources.append((tag, a["data"]))
        if tag == "link" and a.get("href"):
            rels = set(a.get("rel", "").lower().split())
            if rels & FETCHING_RELS:
                self.resources.append((f"link[rel={a.get('rel')}]", a["href"]))
        if "style" in a and "url(" in a["style"]:
            for url in re.findall(r"url\(\s*['\"]?([^'\")]+)", a["style"]):
                self.resources.append((f"{tag}[style]", url))
        if "math" in classes and tag in {"span", "div"}:
            self.math_elements += 1
        if tag in {"br", "img", "hr", "meta", "link", "input", "source", "wbr"}:
            return  # void elements: no end tag
        skips = tag in SKIP_TEXT_TAGS or "math" in classes or "highlight" in classes or (
            self._stack and self._stack[-1][1])
        self._stack.append((tag, bool(skips)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self._stack) - 1, -1, -1):
            if self._stack[i][0] == tag:
                del self._stack[i:]
                break
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.inline_scripts.append(data)
        elif not (self._stack and self._stack[-1][1]):
            self.prose.append(data)


class ReaderParser(HTMLParser):
    """What a reader sees of a page's code cells and prose: output blocks (stderr ones
    counted apart), tables and text, without the code a cell shows as its input."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stderr_blocks: list[str] = []
        self.outputs: list[str] = []  # text of each output block, line breaks kept
        self.tables: list[str] = []  # the data cells (<td>) of each table, joined
        self.text: list[str] = []  # every visible text outside code inputs
        self.prose: list[str] = []  # text outside any code, output or math
        self._stack: list[tuple[str, set[str]]] = []  # (tag, flags)
        self._outputs_open: list[list[str]] = []
        self.table_outputs: set[int] = set()  # indices of outputs that hold a table
        self._output_tables: list[bool] = []
        self._tables_open: list[list[str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"br", "img", "hr", "meta", "link", "input", "source", "wbr", "col"}:
            return  # void elements: no end tag
        classes = set((dict(attrs).get("class") or "").split())
        inherited = self._stack[-1][1] if self._stack else set()
        flags = {f for f in inherited if not f.startswith("opens-")}
        if tag in {"script", "style", "template"} or "cell_input" in classes:
            flags.add("hidden")  # not seen, or the code of a cell: not checked
        if "output" in classes and not flags & {"hidden", "output"}:
            flags |= {"output", "opens-output"} | ({"stderr"} if "stderr" in classes else set())
            self._outputs_open.append([])
            self._output_tables.append(False)
        if tag in {"pre", "code", "kbd", "samp", "textarea"} or classes & {"math", "highlight"}:
            flags.add("code")
        if tag == "table" and "hidden" not in flags:
            flags.add("opens-table")
            self._tables_open.append([])
            if self._output_tables:
                self._output_tables[-1] = True
        if tag == "td" and self._tables_open:
            flags.add("td")
            self._tables_open[-1].append("")
        self._stack.append((tag, flags))

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self._stack) - 1, -1, -1):
            if self._stack[i][0] == tag:
                for _, flags in reversed(self._stack[i:]):
                    if "opens-output" in flags:
                        text = "".join(self._outputs_open.pop())
                        if self._output_tables.pop():
                            self.table_outputs.add(len(self.outputs))
                        self.outputs.append(text)
                        if "stderr" in flags:
                            self.stderr_blocks.append(text)
                    if "opens-table" in flags:
                        cells = [" ".join(c.split()) for c in self._tables_open.pop()]
                        self.tables.append(" | ".join(cells) if len(cells) > 1 else "")
                del self._stack[i:]
                break

    def handle_data(self, data: str) -> None:
        flags = self._stack[-1][1] if self._stack else set()
        if "hidden" in flags:
            return
        self.text.append(data)
        for block in self._outputs_open:
            block.append(data)
        if "td" in flags and self._tables_open:
            self._tables_open[-1][-1] += data
        if not flags & {"output", "code"}:
            self.prose.append(data)


DTYPE_REPR = re.compile(r"\bdtype: (?:int|float|object|bool|category|datetime|string|complex)\w*")
RAW_BOLD = re.compile(r"\*\*[A-Za-z][^*\n]{0,80}?[A-Za-z0-9.!?)]\*\*")
REPRS = {"PosixPath(": "PosixPath(...) repr", "MIEstimate(": "MIEstimate(...) repr",
         "running with profile": "profile banner"}
# Plumbing a reader should not meet: the project's issue numbers.
ISSUE_NUMBER = re.compile(r"\b[Ii]ssue \d+\b")
MIN_REPEAT = 40  # characters: shorter identical output lines ("done", a number) may repeat


def excerpt(text: str, at: int, width: int = 100) -> str:
    return " ".join(text[max(0, at - 30):at + width].split())


def repeated(parser: ReaderParser) -> list[str]:
    """Tables with the same data cells shown twice (an index column shown or not makes no
    difference), and lines of output text (40+ characters) shown twice on the page."""
    found = []
    tables: dict[str, int] = {}
    for table in filter(None, parser.tables):
        tables[table] = tables.get(table, 0) + 1
    found += [f"a table shown {n} times ({t[:60]}...)" for t, n in tables.items() if n > 1]
    chunks: dict[str, int] = {}
    for i, block in enumerate(parser.outputs):
        if i in parser.table_outputs:
            continue  # compared as tables above
        for line in block.splitlines():
            line = " ".join(line.split())
            if len(line) >= MIN_REPEAT and re.search("[A-Za-z]", line):
                chunks[line] = chunks.get(line, 0) + 1
    found += [f"an output line shown {n} times ({c[:60]}...)" for c, n in chunks.items() if n > 1]
    return found


def reader_checks(rep: Report, rel: Path, html: str) -> None:
    """The checks of what a reader sees, each counted once per page."""
    parser = ReaderParser()
    parser.feed(html)
    parser.close()
    text = " ".join("".join(parser.text).split())
    prose = "".join(parser.prose)
    rep.check(not parser.stderr_blocks, f"{rel}: no stderr output",
              f"{len(parser.stderr_blocks)} stderr block(s), first: "
              + (" ".join(parser.stderr_blocks[0].split())[:100] if parser.stderr_blocks else ""))
    at = text.find("Traceback")
    rep.check(at < 0, f"{rel}: no Traceback", excerpt(text, at))
    for needle, what in REPRS.items():
        at = text.find(needle)
        rep.check(at < 0, f"{rel}: no {what}", excerpt(text, at))
    match = DTYPE_REPR.search(text)
    rep.check(match is None, f"{rel}: no pandas dtype repr",
              excerpt(text, match.start()) if match else "")
    match = ISSUE_NUMBER.search(text)
    rep.check(match is None, f"{rel}: no issue numbers",
              excerpt(text, match.start()) if match else "")
    bold = RAW_BOLD.search(prose) or RAW_BOLD.search("\n".join(parser.outputs))
    rep.check(bold is None, f"{rel}: no raw **bold** markup", bold.group(0) if bold else "")
    twice = repeated(parser)
    rep.check(not twice, f"{rel}: nothing shown twice", "; ".join(twice[:3]))


def toc_files(toc_path: Path) -> list[str]:
    """Every `file:` of a jb-book/jb-article toc, in order (globs are not expanded)."""
    toc = yaml.safe_load(toc_path.read_text(encoding="utf-8"))
    files: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key in ("root", "file"):
                if isinstance(node.get(key), str):
                    files.append(node[key])
            for key in ("parts", "chapters", "sections", "subtrees", "entries"):
                if key in node:
                    walk(node[key])
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(toc)
    return files


def page_for(html_dir: Path, docname: str) -> Path:
    stem = re.sub(r"\.(md|ipynb|rst|myst)$", "", docname.strip("/"))
    return html_dir / f"{stem}.html"


def find_chromium(explicit: str | None) -> str | None:
    if explicit:
        return explicit
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    return None


def render_dom(chromium: str, page: Path, budget_ms: int, timeout_s: int) -> str:
    """The page's DOM after `budget_ms` of virtual time, with every network fetch blocked."""
    with tempfile.TemporaryDirectory(prefix="check_html_chromium_") as profile:
        cmd = [
            chromium, "--headless", "--no-sandbox", "--disable-gpu",
            "--disable-dev-shm-usage", "--disable-background-networking",
            "--disable-component-update", "--disable-default-apps", "--no-first-run",
            "--disable-extensions", "--disable-sync", "--metrics-recording-only",
            f"--user-data-dir={profile}",
            # Offline: no DNS for anything, and any HTTP(S) fetch goes to a dead proxy.
            "--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=http://127.0.0.1:9",
            "--proxy-bypass-list=<-loopback>",
            "--allow-file-access-from-files",
            f"--virtual-time-budget={budget_ms}", "--dump-dom", page.resolve().as_uri(),
        ]
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s,
                                stdin=subprocess.DEVNULL)
        if result.returncode != 0:
            raise RuntimeError(f"chromium exited {result.returncode}: {result.stderr[-500:]}")
        return result.stdout


class Report:
    def __init__(self) -> None:
        self.passed = 0
        self.failed = 0
        self.failures: list[str] = []  # the names of the failed checks

    def check(self, ok: bool, what: str, detail: str = "") -> None:
        if ok:
            self.passed += 1
        else:
            self.failed += 1
            self.failures.append(what)
            print(f"FAIL  {what}" + (f": {detail}" if detail else ""))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("html_dir", type=Path)
    parser.add_argument("--toc", type=Path, default=Path("_toc.yml"))
    parser.add_argument("--browser", choices=("auto", "yes", "no"), default="auto")
    parser.add_argument("--chromium", default=os.environ.get("CHROMIUM"))
    parser.add_argument("--budget-ms", type=int, default=8000,
                        help="virtual time Chromium gives MathJax per page")
    args = parser.parse_args(argv)

    html_dir: Path = args.html_dir
    rep = Report()
    if not html_dir.is_dir():
        rep.check(False, "build folder", f"{html_dir} does not exist")
        print(f"html checks: {rep.passed} passed, {rep.failed} failed")
        return 1

    rep.check((html_dir / "index.html").is_file(), "index.html exists")

    # Pages for every file of the toc.
    files = toc_files(args.toc)
    rep.check(bool(files), f"{args.toc} lists files", "no `root:`/`file:` entries found")
    for docname in files:
        page = page_for(html_dir, docname)
        rep.check(page.is_file(), f"page for {docname}", f"{page} missing")

    pages = sorted(p for p in html_dir.rglob("*.html")
                   if "_static" not in p.relative_to(html_dir).parts
                   and "_sources" not in p.relative_to(html_dir).parts)
    math_pages: list[tuple[Path, int]] = []
    lazy_urls: set[str] = set()
    for page in pages:
        rel = page.relative_to(html_dir)
        parser_ = PageParser()
        parser_.feed(page.read_text(encoding="utf-8", errors="replace"))
        parser_.close()

        remote = [f"{tag} {url}" for tag, url in parser_.resources if REMOTE.match(url)]
        for script in parser_.inline_scripts:
            for url in REMOTE_IN_TEXT.findall(script):
                if LAZY_INLINE.search(script) and "/thebe@" in url and "mathjax" not in url.lower():
                    lazy_urls.add(url)
                else:
                    remote.append(f"inline script names {url}")
        rep.check(not remote, f"{rel}: nothing loaded from the network", "; ".join(remote[:5]))

        reader_checks(rep, rel, page.read_text(encoding="utf-8", errors="replace"))

        prose = "".join(parser_.prose)
        rep.check("$$" not in prose, f"{rel}: no raw $$ in the text",
                  "dollarmath did not parse: "
                  + " ".join(prose[max(0, prose.find("$$") - 60):][:120].split()))

        if parser_.math_elements:
            math_pages.append((page, parser_.math_elements))
            local = [s for s in parser_.scripts if "mathjax" in s.lower() and not REMOTE.match(s)]
            problems = []
            if not local:
                problems.append("no local MathJax <script>")
            for src in local:
                target = (page.parent / src.split("?")[0].split("#")[0]).resolve()
                if not target.is_file() or target.stat().st_size < 10_000:
                    problems.append(f"{src} -> {target} missing or empty")
                    continue
                fonts = target.parent / "output" / "chtml" / "fonts" / "woff-v2"
                if "chtml" in target.name and not any(fonts.glob("*.woff")):
                    problems.append(f"no CHTML fonts in {fonts}")
            rep.check(not problems, f"{rel}: local MathJax for {parser_.math_elements} "
                      "math elements", "; ".join(problems))

    rep.check(bool(math_pages), "some page has math", "no page contains a math element")
    for url in sorted(lazy_urls):
        print(f"note: an inline script names {url}; it is fetched only when a reader "
              "starts thebe, which this book does not offer (launch_buttons.thebe: false)")

    # Typesetting in a real browser, offline.
    chromium = find_chromium(args.chromium) if args.browser != "no" else None
    if args.browser == "yes" and not chromium:
        rep.check(False, "headless browser", "no chromium found (set CHROMIUM=/path)")
    if chromium:
        for page, n_math in math_pages:
            rel = page.relative_to(html_dir)
            try:
                dom = render_dom(chromium, page, args.budget_ms, timeout_s=120)
            except (RuntimeError, subprocess.TimeoutExpired, OSError) as err:
                rep.check(False, f"{rel}: typeset in {Path(chromium).name}", str(err))
                continue
            n_typeset = dom.count("<mjx-container")
            errors = dom.count("<mjx-merror") + dom.count("data-mjx-error")
            rep.check(n_typeset >= n_math and errors == 0,
                      f"{rel}: typeset in {Path(chromium).name}",
                      f"{n_typeset} of {n_math} math elements typeset, {errors} TeX errors")
        print(f"browser: {chromium}, {len(math_pages)} pages with math rendered, network blocked")
    else:
        print("browser: skipped (no chromium; `apt-get install chromium` to enable)")

    print(f"html checks: {rep.passed} passed, {rep.failed} failed")
    return 1 if rep.failed else 0


if __name__ == "__main__":
    sys.exit(main())
