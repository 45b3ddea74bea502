"""The reader checks of tools/check_html.py on small hand-made pages in myst-nb's markup."""

import importlib.util
from pathlib import Path

import pytest

TOOL = Path(__file__).resolve().parents[1] / "tools" / "check_html.py"
spec = importlib.util.spec_from_file_location("check_html", TOOL)
check_html = importlib.util.module_from_spec(spec)
spec.loader.exec_module(check_html)


def cell(code: str, *outputs: str) -> str:
    return ('<div class="cell docutils container"><div class="cell_input docutils container">'
            f'<div class="highlight-ipython3 notranslate"><div class="highlight"><pre>{code}</pre>'
            '</div></div></div><div class="cell_output docutils container">' + "".join(outputs)
            + "</div></div>")


def stream(text: str, name: str = "stream") -> str:
    return (f'<div class="output {name} highlight-myst-ansi notranslate"><div class="highlight">'
            f"<pre><span></span>{text}</pre></div></div>")


def table(rows: str) -> str:
    cells = "".join(f"<td>{c.strip()}</td>" for c in rows.split("|"))
    return f'<div class="output text_html"><table class="dataframe"><tr>{cells}</tr></table></div>'


BANNER = "MNIST IS NOT AVAILABLE: USING FASHION-MNIST INSTEAD. Every number below is on it."

# Code inputs may say anything: only what a reader sees as output or prose is checked.
CLEAN = ("<html><body><p>Mutual information <strong>is</strong> invariant; see Table 7.1.</p>"
         + cell("f(**kwargs)  # Traceback PosixPath( MIEstimate( dtype: float64 **not**",
                stream("I = 0.51 nats, x**2 + y**2"), table("0.51 | 0.49"))
         + cell("show()", table("0.70 | 0.33"), stream("short"), stream("short"))
         + "<figure>" + table("0.11 | 0.12") + "<figcaption>Table 7.2</figcaption></figure>"
         + "<pre>python -m mine_lib estimate X.npy Z.npy **done**</pre></body></html>")


def failures(page: str) -> list[str]:
    rep = check_html.Report()
    check_html.reader_checks(rep, Path("book/07.html"), page)
    return rep.failures


def test_a_clean_page_passes_every_reader_check():
    assert failures(CLEAN) == []


@pytest.mark.parametrize("extra, check", [
    (cell("x", stream("UserWarning: /tmp/kernel-1/x.py:3 oops", "stderr")), "no stderr output"),
    (cell("x", stream("Traceback (most recent call last):\n  File ...")), "no Traceback"),
    (cell("x", stream("PosixPath('/tmp/results/07.json')")), "no PosixPath(...) repr"),
    (cell("x", stream("MIEstimate(mi=0.51, method='mine')")), "no MIEstimate(...) repr"),
    (cell("x", stream("a    1.0\nb    2.0\nName: mi, dtype: float64")), "no pandas dtype repr"),
    (cell("x", stream("[07] running with profile 'standard' (MINE_PROFILE = ...)")),
     "no profile banner"),
    ("<p>the source is issue 14 (an interval)</p>", "no issue numbers"),
    ("<p>the bound is **not** tight</p>", "no raw **bold** markup"),
    (cell("x", stream("Verdict: MINE is **not** better")), "no raw **bold** markup"),
    (cell("x", table("0.70 | 0.33")), "nothing shown twice"),
    (cell("x", stream(BANNER)) + cell("y", stream(BANNER)), "nothing shown twice"),
    (cell("x", stream(f"loading\n\n!!!\n{BANNER}\n!!!\n\nloading\n\n!!!\n{BANNER}\n!!!\n")),
     "nothing shown twice"),
    (cell("x", '<div class="output text_html"><table><tr><th>0</th><td>0.70</td><td>0.33</td>'
               "</tr></table></div>"), "nothing shown twice"),
])
def test_each_problem_fails_its_own_check_and_only_it(extra, check):
    page = CLEAN.replace("</body>", extra + "</body>")
    assert failures(page) == [f"book/07.html: {check}"]


def test_the_checks_run_on_every_page_of_a_build(tmp_path, capsys):
    (tmp_path / "book").mkdir()
    (tmp_path / "index.html").write_text("<html><body><p>Intro</p></body></html>")
    (tmp_path / "book" / "07.html").write_text(
        CLEAN.replace("</body>", cell("x", stream("oops", "stderr")) + "</body>"))
    toc = tmp_path / "_toc.yml"
    toc.write_text("format: jb-book\nroot: index\nchapters:\n- file: book/07\n")
    assert check_html.main([str(tmp_path), "--toc", str(toc), "--browser", "no"]) == 1
    out = capsys.readouterr().out
    assert "FAIL  book/07.html: no stderr output: 1 stderr block(s), first: oops" in out
    assert "FAIL  index.html: no stderr output" not in out
