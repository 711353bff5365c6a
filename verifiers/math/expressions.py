"""Turning one scalar answer (LaTeX or plain ``exp(16)-1`` syntax) into a sympy expression.

Why our own plain-text parser: sympy's ``parse_expr`` runs Python ``eval`` on the transformed
text, which must never see model output. The small recursive-descent parser below builds sympy
objects directly from a whitelist of tokens; LaTeX goes to ``latex2sympy2_extended``.
Literal powers and factorials are size-checked again here, after parsing, as defence in depth.
"""

from __future__ import annotations

import math
import re
from typing import Any

import sympy
from latex2sympy2_extended import latex2sympy

__all__ = ["KNOWN_NAMES", "ExpressionError", "ExpressionTooLarge", "parse_expression"]


class ExpressionError(ValueError):
    """The text is not an expression we can parse (a verdict reason, never surfaced raw)."""

    def __init__(self, text: str, why: str) -> None:
        self.text = text
        self.why = why
        super().__init__(f"{why}: {text[:80]!r}")


class ExpressionTooLarge(ExpressionError):
    """A literal power or factorial whose value would be too large to build."""


_FUNCTIONS: dict[str, Any] = {
    "sqrt": sympy.sqrt,
    "exp": sympy.exp,
    "log": sympy.log,
    "ln": sympy.log,
    "sin": sympy.sin,
    "cos": sympy.cos,
    "tan": sympy.tan,
    "sec": sympy.sec,
    "csc": sympy.csc,
    "cot": sympy.cot,
    "asin": sympy.asin,
    "acos": sympy.acos,
    "atan": sympy.atan,
    "arcsin": sympy.asin,
    "arccos": sympy.acos,
    "arctan": sympy.atan,
    "sinh": sympy.sinh,
    "cosh": sympy.cosh,
    "tanh": sympy.tanh,
    "abs": sympy.Abs,
}
_CONSTANTS: dict[str, Any] = {"pi": sympy.pi, "oo": sympy.oo, "inf": sympy.oo, "infinity": sympy.oo}
# Every name the math parser knows, in one place: the plain parser's functions and constants, and
# the operators only the LaTeX parser reads. A longer letter run that is none of these is a word.
KNOWN_NAMES = frozenset(_FUNCTIONS) | frozenset(_CONSTANTS) | {"max", "min", "gcd", "lcm", "mod", "det"}
_TOKEN = re.compile(r"\s*(?:(\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+)|([A-Za-z]+)|(\*\*|[-+*/^()!,]))")
_PLAIN_CHARS = re.compile(r"[0-9A-Za-z\s.+\-*/^()!,]+")


class _Plain:
    """Recursive descent over whitelisted tokens: numbers, names, + - * / ^ ** ( ) !."""

    def __init__(self, text: str, max_digits: int, max_factorial_n: int) -> None:
        self.text = text
        self.tokens: list[tuple[str, str]] = []
        pos = 0
        while pos < len(text):
            m = _TOKEN.match(text, pos)
            if not m or m.end() == pos:
                if text[pos:].strip():
                    raise ExpressionError(text, "unexpected character")
                break
            kind = "num" if m.group(1) else "name" if m.group(2) else "op"
            self.tokens.append((kind, m.group(m.lastindex or 0)))
            pos = m.end()
        self.i = 0
        self.max_digits = max_digits
        self.max_factorial_n = max_factorial_n

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self, value: str | None = None) -> tuple[str, str]:
        tok = self.peek()
        if tok is None or (value is not None and tok[1] != value):
            raise ExpressionError(self.text, f"expected {value or 'a token'}")
        self.i += 1
        return tok

    def parse(self) -> Any:
        expr = self.sum()
        if self.peek() is not None:
            raise ExpressionError(self.text, "trailing tokens")
        return expr

    def sum(self) -> Any:
        expr = self.product()
        while (tok := self.peek()) is not None and tok[1] in "+-":
            self.take()
            rhs = self.product()
            expr = expr + rhs if tok[1] == "+" else expr - rhs
        return expr

    def product(self) -> Any:
        expr = self.unary()
        while (tok := self.peek()) is not None:
            if tok[1] in ("*", "/"):
                self.take()
                rhs = self.unary()
                expr = expr * rhs if tok[1] == "*" else expr / rhs
            elif tok[0] in ("num", "name") or tok[1] == "(":
                expr = expr * self.power()  # implicit multiplication: 2x, 3(x+1)
            else:
                break
        return expr

    def unary(self) -> Any:
        tok = self.peek()
        if tok is not None and tok[1] in "+-":
            self.take()
            inner = self.unary()
            return -inner if tok[1] == "-" else inner
        return self.power()

    def power(self) -> Any:
        base = self.postfix()
        tok = self.peek()
        if tok is not None and tok[1] in ("^", "**"):
            self.take()
            exponent = self.unary()
            literal = isinstance(base, sympy.Integer) and isinstance(exponent, sympy.Integer)
            if (
                literal
                and abs(int(base)) > 1
                and int(exponent) * math.log10(abs(int(base))) > self.max_digits
            ):
                raise ExpressionTooLarge(self.text, "power too large")
            return sympy.Pow(base, exponent)
        return base

    def postfix(self) -> Any:
        expr = self.atom()
        while (tok := self.peek()) is not None and tok[1] == "!":
            self.take()
            if not isinstance(expr, sympy.Integer):
                raise ExpressionError(self.text, "factorial of a non-integer")
            if int(expr) > self.max_factorial_n:
                raise ExpressionTooLarge(self.text, "factorial too large")
            expr = sympy.factorial(expr)
        return expr

    def atom(self) -> Any:
        kind, value = self.take()
        if kind == "num":
            return sympy.Rational(value) if "e" not in value.lower() else sympy.Float(value)
        if kind == "name":
            return self.name(value)
        if value == "(":
            expr = self.sum()
            self.take(")")
            return expr
        raise ExpressionError(self.text, f"unexpected {value!r}")

    def name(self, value: str) -> Any:
        lower = value.lower()
        if lower in _FUNCTIONS and (tok := self.peek()) is not None and tok[1] == "(":
            self.take("(")
            arg = self.sum()
            self.take(")")
            return _FUNCTIONS[lower](arg)
        if lower in _CONSTANTS:
            return _CONSTANTS[lower]
        if value == "E" or value == "e":
            return sympy.E
        if len(value) == 1:  # lower case, as latex2sympy does, so both parsers agree
            return sympy.Symbol(value.lower())
        if len(value) <= 3:  # "xy": a product of single-letter symbols
            return sympy.Mul(*[self.name(ch) for ch in value])
        raise ExpressionError(self.text, "unknown name")


_SIMPLE_COMMANDS = {
    "pi": " pi ",
    "cdot": "*",
    "times": "*",
    "infty": " oo ",
    "sin": " sin",
    "cos": " cos",
    "tan": " tan",
    "sec": " sec",
    "csc": " csc",
    "cot": " cot",
    "ln": " ln",
    "exp": " exp",
}  # not \\log: its base is latex2sympy's convention (10), so it always goes there
_COMMAND_AT = re.compile(r"\\([A-Za-z]+)")
_SIMPLE_CHARS = re.compile(r"[0-9A-Za-z\s.+\-*/^(){}\\\[\]!]*")


def _group(text: str, pos: int) -> tuple[str, int] | None:
    """The ``{...}`` group opening at ``pos`` (content, index after it), or None."""
    if pos >= len(text) or text[pos] != "{":
        return None
    depth = 0
    for i in range(pos, len(text)):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return text[pos + 1 : i], i + 1
    return None


def _latex_to_plain(text: str) -> str | None:
    """Simple LaTeX (fractions, roots, pi, powers, products) as plain syntax; None if not simple.

    Why: latex2sympy's ANTLR parser costs ~10-100 ms per answer; the common radicals and
    multiples of pi need none of it.
    """
    if not _SIMPLE_CHARS.fullmatch(text):
        return None
    out: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\":
            m = _COMMAND_AT.match(text, i)
            if not m:
                return None
            name, i = m.group(1), m.end()
            while i < len(text) and text[i] == " ":
                i += 1
            if name == "frac":
                num = _group(text, i)
                den = _group(text, num[1]) if num else None
                if num is None or den is None:
                    return None
                inner_num, inner_den = _latex_to_plain(num[0]), _latex_to_plain(den[0])
                if inner_num is None or inner_den is None:
                    return None
                out.append(f"(({inner_num})/({inner_den}))")
                i = den[1]
            elif name == "sqrt":
                index = None
                if i < len(text) and text[i] == "[":
                    close = text.find("]", i)
                    if close < 0:
                        return None
                    index = _latex_to_plain(text[i + 1 : close])
                    if index is None:
                        return None
                    i = close + 1
                arg = _group(text, i)
                inner = _latex_to_plain(arg[0]) if arg else None
                if arg is None or inner is None:
                    return None
                out.append(f"sqrt({inner})" if index is None else f"(({inner})^(1/({index})))")
                i = arg[1]
            elif name in _SIMPLE_COMMANDS:
                is_function = name in _FUNCTIONS
                if is_function and (i >= len(text) or text[i] != "("):
                    return None
                out.append(_SIMPLE_COMMANDS[name])
            else:
                return None
        elif ch in "{}":
            out.append("(" if ch == "{" else ")")
            i += 1
        elif ch in "[]":
            return None
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def _looks_plain(text: str) -> bool:
    return "\\" not in text and "{" not in text and bool(_PLAIN_CHARS.fullmatch(text))


def parse_expression(text: str, max_digits: int = 10_000, max_factorial_n: int = 1000) -> Any:
    """A sympy expression (or matrix/relation/set from LaTeX) for ``text``; ExpressionError if not."""
    if not text.strip():
        raise ExpressionError(text, "empty")
    plain = text if _looks_plain(text) else _latex_to_plain(text)
    if plain is not None:
        try:
            return _Plain(plain, max_digits, max_factorial_n).parse()
        except ExpressionTooLarge:
            raise
        except (ExpressionError, ZeroDivisionError, TypeError, ValueError):
            pass
    try:
        return latex2sympy(text)
    except Exception as exc:  # latex2sympy raises bare Exception subclasses from antlr
        raise ExpressionError(text, f"latex: {type(exc).__name__}") from None
