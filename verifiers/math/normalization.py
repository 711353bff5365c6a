"""Normalising answer text: one canonical LaTeX-ish spelling before parsing.

Why a separate step: models write the same answer in many spellings (``\\dfrac``, ``\\left(``,
``14{,}916``, ``90^\\circ``, ``5\\text{ cm}``); mapping them to one form here keeps the parser
small and the fast path (regex + ``Fraction``) applicable to most answers.
"""

from __future__ import annotations

import html
import re

__all__ = ["normalize", "unicode_to_latex"]

# Unicode math and HTML entities as the LaTeX the parser knows. Golds scraped from web pages
# carry them (``b ≠ 5``, ``(-∞,-1) ∪ (4,+∞)``, ``&le;``); a gold we cannot read whole must be
# refused, so each symbol either maps to its exact LaTeX meaning here or stays and fails parsing.
_UNICODE_MATH = str.maketrans(
    {
        "≤": " \\leq ",
        "⩽": " \\leq ",
        "≥": " \\geq ",
        "⩾": " \\geq ",
        "≠": " \\neq ",
        "−": "-",
        "–": "-",
        "×": " \\times ",
        "∙": " \\cdot ",
        "⋅": " \\cdot ",
        "·": " \\cdot ",
        "÷": " \\div ",
        "π": " \\pi ",
        "∞": " \\infty ",
        "∪": " \\cup ",
        "∩": " \\cap ",
        "∈": " \\in ",
        "∉": " \\notin ",
        "∅": " \\emptyset ",
        "ℝ": " \\mathbb{R} ",
        "±": " \\pm ",
        "∓": " \\mp ",
        "√": "\\sqrt",
        "∣": " \\mid ",
        "⁄": "/",
        "²": "^{2}",
        "³": "^{3}",
        "½": "(1/2)",
        "¼": "(1/4)",
        "¾": "(3/4)",
        "\u00a0": " ",
        "\u2009": " ",
        "\u202f": " ",
    }
)
_HTML_ENTITY = re.compile(r"&(?:#\d+|#x[0-9a-fA-F]+|[A-Za-z]+);")
_SQRT_PAREN = re.compile(r"\\sqrt\s*\(([^()]*)\)")

_REPLACEMENTS: tuple[tuple[str, str], ...] = (
    ("\\dfrac", "\\frac"),
    ("\\tfrac", "\\frac"),
    ("\\cfrac", "\\frac"),
    ("\\left", ""),
    ("\\right", ""),
    ("\\middle", ""),
    ("\\bigl", ""),
    ("\\bigr", ""),
    ("\\Bigl", ""),
    ("\\Bigr", ""),
    ("\\big", ""),
    ("\\Big", ""),
    ("\\displaystyle", ""),
    ("\\!", ""),
    ("\\,", " "),
    ("\\;", " "),
    ("\\:", " "),
    ("\\qquad", " "),
    ("\\quad", " "),
    ("~", " "),
    ("\\le ", "\\leq "),
    ("\\ge ", "\\geq "),
    ("\\lt", "<"),
    ("\\gt", ">"),
    ("\\leqslant", "\\leq"),
    ("\\geqslant", "\\geq"),
    ("\\ne ", "\\neq "),
    ("\\emptyset", "\\{\\}"),
    ("\\varnothing", "\\{\\}"),
)
_TEXT_CMD = re.compile(
    r"\\(?:text|textbf|textit|textrm|textnormal|mbox|mathrm|mathbf|mathit|mathsf|operatorname|hbox)\s*\{"
)
_DEGREES = re.compile(r"\^\s*\{?\s*\\circ\s*\}?|°|\\degree|\^\s*\{\\text\{o\}\}")
_PERCENT = re.compile(r"\\?%|\\percent")
_TRAILING_PERCENT = re.compile(r"(?:\\?%|\\percent)[\s.,;:]*$")
_CURRENCY = re.compile(r"\\\"|\"|\\\$|\$|€|£|¥")
_THOUSANDS_BRACES = re.compile(r"(?<=\d)\{,\}(?=\d{3})")
_THOUSANDS_SPACE = re.compile(r"(?<=\d)[ ](?=\d{3}(?!\d))")
_UNIT_WORDS = re.compile(r"(?<=[\d}])\s*(?:\\text\{[^{}]*\}|[A-Za-z]{2,})(?:\s*\^\s*\{?\d\}?)?\s*$")
_UNIT_EXCLUDE = frozenset({"and", "or", "pi", "infty", "sqrt", "frac", "cdot", "times", "mod", "pmod", "i"})
_DOUBLED_COMMAND = re.compile(
    r"(?<!\\)\\\\(frac|dfrac|tfrac|left|right|sqrt|pi|text|cdot|times|infty|boxed|begin|end|leq|geq|pm)(?![a-z])"
)
_SHORT_SQRT = re.compile(r"\\sqrt\s*([0-9a-zA-Z])")
_SHORT_FRAC = re.compile(r"\\frac\s*([0-9a-zA-Z])\s*([0-9a-zA-Z])")
_SHORT_FRAC_NUM = re.compile(r"\\frac\s*([0-9a-zA-Z])\s*\{")
_SHORT_FRAC_DEN = re.compile(r"(\\frac\s*\{(?:[^{}]|\{[^{}]*\})*\})\s*([0-9a-zA-Z])")
_THOUSANDS_BANG = re.compile(r"(?<=\d),\\!\s*(?=\d{3})")
# Escaping slips from non-raw strings upstream: "\frac" written as "\f" + "rac" (form feed) etc.
_ESCAPE_SLIPS = (
    (re.compile("\x0c"), r"\\f"),
    (re.compile("\x08"), r"\\b"),
    (re.compile("\x07"), r"\\a"),
    (re.compile("\x0b"), r"\\v"),
    (re.compile("\t(?=[a-z])"), r"\\t"),
    (re.compile("\r(?=[a-z])"), r"\\r"),
)
_ESCAPED_SPACE = re.compile(r"(?<!\\)\\ ")
_TRAILING_BACKSLASH = re.compile(r"(?<![\\])\\+\s*$")
_TRAILING_PUNCT = re.compile(r"[\s.,;:?]+$")  # not "!": 5! is a factorial
_NUMERIC_TEXT = re.compile(r"[\d\s.,+\-/()]*\d[\d\s.,+\-/()]*")
_CONNECTIVE_TEXT = re.compile(r"\\text\{\s*(and|or|,)\s*\}")


def _unwrap_text_commands(text: str) -> str:
    """``\\text{abc}`` -> ``\\text{abc}`` kept as one marker; other font commands unwrapped."""
    out = []
    i = 0
    while True:
        m = _TEXT_CMD.search(text, i)
        if not m:
            out.append(text[i:])
            break
        out.append(text[i : m.start()])
        depth = 0
        j = m.end() - 1
        end = None
        for k in range(j, len(text)):
            if text[k] == "{":
                depth += 1
            elif text[k] == "}":
                depth -= 1
                if depth == 0:
                    end = k
                    break
        if end is None:
            out.append(text[m.start() :])
            break
        inner = text[m.end() : end]
        if _NUMERIC_TEXT.fullmatch(inner):  # \textbf{13}: a bold number is a number
            out.append(inner)
        else:
            out.append("\\text{" + inner + "}" if inner.strip() else " ")
        i = end + 1
    return "".join(out)


def unicode_to_latex(text: str) -> str:
    """HTML entities decoded, Unicode math symbols spelled in LaTeX; plain ASCII is untouched."""
    if "&" in text and _HTML_ENTITY.search(text):
        text = _HTML_ENTITY.sub(lambda m: html.unescape(m.group(0)), text)
    if text.isascii():
        return text
    text = text.replace("⁻¹", "^{-1}").translate(_UNICODE_MATH)
    return _SQRT_PAREN.sub(r"\\sqrt{\1}", text)


def normalize(text: str, strip_units: bool = True) -> tuple[str, bool]:
    """Canonical spelling of an extracted answer, and whether it carried a percent sign."""
    s = unicode_to_latex(text.strip())
    for slip, escaped in _ESCAPE_SLIPS:
        s = slip.sub(escaped, s)
    s = _THOUSANDS_BANG.sub(",", s)
    s = _DOUBLED_COMMAND.sub(r"\\\1", s)
    for old, new in _REPLACEMENTS:
        if old in s:
            s = s.replace(old, new)
    s = _ESCAPED_SPACE.sub(" ", s)
    s = _SHORT_SQRT.sub(r"\\sqrt{\1}", s)
    s = _SHORT_FRAC.sub(r"\\frac{\1}{\2}", s)
    s = _SHORT_FRAC_NUM.sub(r"\\frac{\1}{", s)
    s = _SHORT_FRAC_DEN.sub(r"\1{\2}", s)
    s = _CONNECTIVE_TEXT.sub(lambda m: " , " if m.group(1) == "," else f" {m.group(1)} ", s)
    s = _unwrap_text_commands(s)
    s = _DEGREES.sub("", s)
    s = _CURRENCY.sub("", s)
    percent = bool(_PERCENT.search(s))
    if percent and len(_PERCENT.findall(s)) == 1 and _TRAILING_PERCENT.search(s):
        pass  # one quantity in percent: "50\\%"
    elif percent:  # "50\\%, 20\\%" or "x = 5\\% + y": each part carries its own sign
        percent = False
        s = _PERCENT.sub(r"\\%", s)
    if percent:
        s = _PERCENT.sub("", s)
    s = _THOUSANDS_BRACES.sub("", s)
    s = _THOUSANDS_SPACE.sub("", s)
    s = _TRAILING_PUNCT.sub("", s).strip()
    s = _TRAILING_BACKSLASH.sub("", s).strip()  # "185\\": a stray line break or escape, not math
    if strip_units:
        m = _UNIT_WORDS.search(s)
        while m and m.start() > 0:
            word = re.sub(r"\\text\{|\}|\^.*", "", m.group(0)).strip().lower()
            if word in _UNIT_EXCLUDE or not word:
                break
            s = s[: m.start()].rstrip()
            m = _UNIT_WORDS.search(s)
    return s.strip(), percent
