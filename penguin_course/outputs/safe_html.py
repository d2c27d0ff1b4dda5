"""Students' HTML made inert on every page an instructor or a student opens.

A submission is untrusted: its markdown (a written answer may hold raw HTML, a link to
``javascript:``, maths whose ``\\text{}`` latex2mathml copies through as markup) and its outputs
(``display(HTML(...))``, ``Javascript``, SVG, widgets) would otherwise reach formgrader's pages
and the feedback pages as they are: nbconvert passes raw HTML through unless ``sanitize_html``
is on, and nbgrader's formgrade and feedback templates render markdown without even that. In
formgrader, a script of the student's would run in the instructor's Jupyter session.

nbgrader_config.py turns nbconvert's sanitizing on for every HTML page nbgrader makes
(formgrader's submission views, ``generate_feedback``) and gives it the two filters below:

- ``clean_html``, which nbconvert applies to HTML and markdown outputs and raw cells, with an
  allowlist for notebooks (nbconvert's own keeps only a few inline tags: a table's ``<th>``, a
  paragraph or an image would show as escaped text). ammonia (nh3) parses the HTML as a browser
  does and keeps only the tags and attributes listed here: no script, no event handler, no
  ``style`` element, no iframe, form, object or embed, no ``id`` (formgrader's own script finds
  its score boxes by id), URLs only http(s), mailto, and ``data:`` for images;
- ``markdown2html``, nbconvert's markdown rendering followed by ``clean_html``: it is the only
  way into the page of a markdown cell in nbgrader's templates, so the written answers are
  cleaned after rendering, where a markdown link has become an ``<a href>``.

The pages also carry a Content-Security-Policy (``CSP_*``, in the course's templates): a script
that got through anyway would not run.
"""

from __future__ import annotations

import re
import secrets

import jinja2
import nh3
from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath
from nbconvert.preprocessors import Preprocessor
from traitlets import Bool

# What a notebook's markdown and outputs show: text, headings, lists, tables (pandas's too),
# images, code (highlighted by pygments: spans with classes) and maths as MathML.
MATHML = {"math", "mi", "mn", "mo", "ms", "mspace", "mtext", "mrow", "mfrac", "msqrt", "mroot", "mstyle", "merror",
          "mpadded", "mphantom", "menclose", "msub", "msup", "msubsup", "munder", "mover", "munderover",
          "mmultiscripts", "mprescripts", "none", "mtable", "mtr", "mtd", "mlabeledtr", "semantics", "annotation"}
TAGS = {"a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "col", "colgroup", "dd", "del", "details",
        "dfn", "div", "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img",
        "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "samp", "small", "span", "strong", "sub", "summary",
        "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "tt", "u", "ul", "var", "wbr"} | MATHML
MATHML_ATTRIBUTES = {"display", "xmlns", "mathvariant", "mathcolor", "mathbackground", "mathsize", "stretchy",
                     "fence", "separator", "accent", "accentunder", "form", "lspace", "rspace", "largeop",
                     "movablelimits", "symmetric", "minsize", "maxsize", "linethickness", "columnalign", "rowalign",
                     "columnspacing", "rowspacing", "columnlines", "rowlines", "frame", "displaystyle",
                     "scriptlevel", "notation", "width", "height", "depth", "voffset", "encoding"}
ATTRIBUTES = {
    "*": {"class", "title", "lang", "dir", "align", "style"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan", "valign"}, "th": {"colspan", "rowspan", "valign", "scope"},
    "col": {"span"}, "colgroup": {"span"}, "ol": {"start", "type", "reversed"}, "li": {"value"},
    "table": {"border"}, "details": {"open"},
    **{tag: MATHML_ATTRIBUTES for tag in MATHML},
}
# Inline styles that colour and lay out text within its box: nothing that moves an element over
# the page around it (position, margins, transforms), which could cover formgrader's score boxes.
STYLES = {"color", "background-color", "font-weight", "font-style", "font-size", "font-family", "text-align",
          "text-decoration", "vertical-align", "white-space", "width", "max-width", "min-width", "height",
          "border", "border-collapse", "padding", "list-style-type"}
URL_SCHEMES = {"http", "https", "mailto", "data"}
IMAGE_DATA_URL = re.compile(r"data:image/(png|jpeg|gif|webp|svg\+xml)[;,]", re.I)


def keep_attribute(tag: str, attribute: str, value: str) -> str | None:
    """A ``data:`` URL only as an image's source (a notebook's attachments and plots): an image
    cannot run script, a link to a ``data:text/html`` page could."""
    if attribute in ("href", "src") and value.strip().lower().startswith("data:"):
        return value if tag == "img" and attribute == "src" and IMAGE_DATA_URL.match(value.strip()) else None
    return value


def clean_html(html) -> str:
    """``html`` with nothing active left: the tags and attributes of ``TAGS`` and ``ATTRIBUTES``
    only; a script's or style element's content removed with it, other tags' content kept."""
    text = html.decode() if isinstance(html, bytes) else str(html)
    return nh3.clean(text, tags=TAGS, attributes=ATTRIBUTES, attribute_filter=keep_attribute,
                     url_schemes=URL_SCHEMES, filter_style_properties=STYLES, strip_comments=True,
                     link_rel="noopener noreferrer nofollow")


@jinja2.pass_context
def markdown2html(context, source: str) -> str:
    """nbconvert's HTMLExporter.markdown2html (the cell's attachments as images, maths left as
    written), then ``clean_html``. No anchor links on headings: their ids are not kept."""
    cell = context.get("cell", {})
    path = context.get("resources", {}).get("metadata", {}).get("path", "")
    renderer = IPythonRenderer(escape=False, attachments=cell.get("attachments", {}), path=path,
                               exclude_anchor_links=True)
    return clean_html(MarkdownWithMath(renderer=renderer).render(source))


# nbgrader_config.py: c.HTMLExporter.filters (they replace nbconvert's filters of these names)
FILTERS = {"clean_html": clean_html, "markdown2html": markdown2html}


# The Content-Security-Policy of each page (a <meta> in its <head>: the pages are files as well as
# formgrader's responses). Feedback pages (templates/feedback/mathjax.html.j2 writes it out: a macro
# there sees no resources) and report.html run no script at all.
CSP_STATIC = ("default-src 'none'; img-src data: 'self'; style-src 'unsafe-inline'; font-src data: 'self'; "
              "base-uri 'none'; form-action 'none'")


def csp_formgrader(nonce: str) -> str:
    """Formgrader's submission view: its own scripts (files of formgrader's, and the inline ones of
    the course's template, which carry the page's nonce), nothing inline without it, no event
    handler attributes, no frames or plugins, requests to this server only."""
    return (f"default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; frame-src 'none'; object-src 'none'; "
            "base-uri 'none'; form-action 'self'")


class ContentSecurityPolicy(Preprocessor):
    """Formgrader's policy for the course's formgrade template to put in its <head>, with a new nonce
    for each page made (``csp_nonce``, which the template gives its own inline scripts: markup of
    the student's cannot guess it)."""

    enabled = Bool(True).tag(config=True)

    def preprocess(self, nb, resources):
        nonce = secrets.token_urlsafe(18)
        resources.update(csp_nonce=nonce, csp_formgrader=csp_formgrader(nonce))
        return nb, resources
