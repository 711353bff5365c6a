"""The harness's end of the channel to the program: numbered requests, checked answers, and the
program's non-data objects as opaque handles.

Why apart from the harness's process management: this is the whole surface the test code sees
of the program. A handle can be called, read by attribute and iterated (each a request whose
answer is data or another handle); it has no truth value and equals only itself, so nothing the
program sends can pass for an expected value. A malformed or out-of-order answer spoils the
verdict (``broken``), whatever the test code does with the exception.
"""

from __future__ import annotations

import collections
from typing import Any

from . import channel, codec

__all__ = ["ChannelBroken", "Link", "ProgramError", "UnsupportedValue"]

_MAX_BATCH = 1024
_EXCEPTIONS = {
    cls.__name__: cls
    for cls in (
        ArithmeticError, AssertionError, AttributeError, BufferError, EOFError, FloatingPointError,
        ImportError, IndexError, KeyError, LookupError, ModuleNotFoundError, NameError,
        NotImplementedError, OSError, OverflowError, RecursionError, RuntimeError, TypeError,
        UnboundLocalError, UnicodeError, ValueError, ZeroDivisionError,
    )
}  # fmt: skip


class ProgramError(Exception):
    """An exception the program raised that has no builtin counterpart (or is not passed on as one)."""


class ChannelBroken(BaseException):
    """The program left or broke the protocol; not an ``Exception``, so ``except Exception`` in
    test code does not swallow it (and the verdict is spoiled regardless)."""


class UnsupportedValue(BaseException):
    """The test code passed the program something that is not data (a function, an object of its
    own class). Not an ``Exception``: the test cannot swallow it and pass without the call."""


class _Remote:
    """A program's object that is not data (a class, an instance, a function, an iterator).

    It can be called, read by attribute and iterated, each a request to the program whose answer
    is data or another handle; it has no truth value, no length, and equals only itself.
    """

    __slots__ = ("_batch", "_buffer", "_end", "_link", "_number")

    def __init__(self, link: Link, number: int) -> None:
        self._link = link
        self._number = number
        self._buffer: collections.deque[object] = collections.deque()
        self._end: BaseException | None = None
        self._batch = 1

    def __call__(self, *args: object, **kwargs: object) -> object:
        link = self._link
        answer = link.answer("call", self._number, args=link.encode(list(args)), kwargs=link.encode(kwargs))
        value = link.decode(answer["value"])
        if "args" in answer:  # the program changed its arguments in place: so do we, as data
            after = link.decode(answer["args"])
            if not (isinstance(after, list) and len(after) == 2 and isinstance(after[1], dict)):
                raise link.spoil("the program's arguments came back malformed")
            for before, now in zip((*args, *kwargs.values()), (*after[0], *after[1].values()), strict=False):
                _update_in_place(before, now)
        return value

    def __getattr__(self, name: str) -> object:
        if name.startswith("__"):
            raise AttributeError(name)
        return self._link.ask("getattr", self._number, name=name)

    def __iter__(self) -> object:
        return self._link.ask("iter", self._number)

    def __next__(self) -> object:
        """The next item, fetched in batches that double up to ``_MAX_BATCH`` (a test that takes
        a few items of an endless generator asks for a few; ``list()`` of a long one is quick)."""
        if not self._buffer and self._end is None:
            answer = self._link.answer("take", self._number, n=self._batch)
            items = self._link.decode(answer["value"])
            if not isinstance(items, list):
                raise self._link.spoil("the program's items came back malformed")
            self._buffer.extend(items)
            self._batch = min(2 * self._batch, _MAX_BATCH)
            if answer.get("stop") is True:
                self._end = StopIteration()
            elif "then_raise" in answer:
                self._end = _remote_exception(answer["then_raise"])
            elif not items:
                raise self._link.spoil("the program's iterator gave nothing")
        if self._buffer:
            return self._buffer.popleft()
        if self._end is None:
            raise self._link.spoil("the program's iterator gave nothing")
        raise self._end

    def __bool__(self) -> bool:
        raise TypeError("a program's object has no truth value in a test; compare a value")

    def __repr__(self) -> str:
        return f"<program object #{self._number}>"


class Link:
    """The harness's end of the channel: numbered requests, checked answers."""

    def __init__(self, fd: int, limit_bytes: int) -> None:
        self._fd = fd
        self._limit = limit_bytes
        self._seq = 0
        self.broken = ""
        self.classes: dict[str, type] = {}

    def _spoil(self, why: str) -> ChannelBroken:
        self.broken = self.broken or why
        return ChannelBroken(self.broken)

    def _exchange(self, message: dict[str, Any]) -> dict[str, Any]:
        if self.broken:
            raise ChannelBroken(self.broken)
        self._seq += 1
        message["seq"] = self._seq
        try:
            channel.send(self._fd, message, self._limit)
            answer = channel.receive(self._fd, self._limit)
        except channel.ChannelClosed:
            raise self._spoil("the program exited before the test finished") from None
        except (channel.ChannelError, OSError) as exc:
            raise self._spoil(f"bad message from the program: {exc}") from None
        if isinstance(answer, dict) and "fatal" in answer:
            raise self._spoil(
                f"the program raised {str(answer.get('fatal'))[:60]}: {str(answer.get('message'))[:300]}"
            )
        if not isinstance(answer, dict) or answer.get("seq") != self._seq:
            raise self._spoil("the program's answer is out of order")
        return answer

    def lookup(self, names: list[str]) -> dict[str, Any]:
        answer = self._exchange({"op": "lookup", "names": names, "classes": sorted(self.classes)})
        found = answer.get("names")
        if "raise" in answer or not isinstance(found, dict):
            raise self._spoil("the program did not answer the name lookup")
        return found

    def answer(self, op: str, number: int, **fields: Any) -> dict[str, Any]:
        answer = self._exchange({"op": op, "h": number, **fields})
        if "raise" in answer:
            raise _remote_exception(answer["raise"])
        if "value" not in answer:
            raise self._spoil("the program's answer has no value")
        return answer

    def ask(self, op: str, number: int, **fields: Any) -> object:
        return self.decode(self.answer(op, number, **fields)["value"])

    def spoil(self, why: str) -> ChannelBroken:
        return self._spoil(why)

    def decode(self, data: object) -> object:
        try:
            return codec.decode(data, classes=self.classes, handle=self._handle)
        except codec.CodecError as exc:
            raise self._spoil(f"the program sent a malformed value: {exc}") from None

    def _handle(self, number: int) -> _Remote:
        if type(number) is not int or number < 0:
            raise codec.CodecError("bad handle")
        return _Remote(self, number)

    def encode(self, value: object) -> dict[str, Any]:
        def handle(item: object) -> int:
            if isinstance(item, _Remote) and item._link is self:
                return item._number
            raise codec.CodecError(f"a {type(item).__name__} cannot be passed to the program")

        try:
            return codec.encode(value, classes=self.classes, handle=handle)
        except codec.CodecError as exc:  # the test's own value: not something it may catch
            raise UnsupportedValue(f"the test passes a value that cannot travel as data: {exc}") from None


def _update_in_place(before: Any, now: Any) -> None:
    """Give a test's argument the contents the program left in its copy (same kinds only).

    ``now`` was decoded here, so it holds only data and the prelude's own classes: this is no
    more than the program could do to its arguments in place, and never runs program code.
    """
    if type(before) is not type(now) or before is now:
        return
    if isinstance(before, (list, bytearray)):
        before[:] = now
    elif isinstance(before, collections.deque):
        before.clear()
        before.extend(now)
    elif isinstance(before, (dict, set)):
        before.clear()
        before.update(now)
    elif hasattr(before, "__dict__") and hasattr(now, "__dict__"):
        vars(before).clear()
        vars(before).update(vars(now))


def _remote_exception(raised: object) -> BaseException:
    name, message = ("ProgramError", "") if not isinstance(raised, list) or len(raised) != 2 else raised
    cls = _EXCEPTIONS.get(str(name), ProgramError)
    text = str(message)[:1000]
    return cls(text) if cls is not ProgramError else ProgramError(f"{str(name)[:60]}: {text}")
