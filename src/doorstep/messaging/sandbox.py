"""The sandbox shipper-written templates render in: Jinja2's, plus a time limit and size caps.

Jinja's sandbox keeps a template away from Python's internals, but it does not limit time or
memory. This one does, inside the process, with no thread or subprocess per render.

Why a render cannot run longer than TIME_LIMIT_MS (give or take one bounded step):
Jinja has no `while`; work repeats only in a `{% for %}`, in a call (a macro calling itself,
a recursive loop calling `loop()`), or in a filter going over a value. Every `{% for %}`
iterates through `guarded_loop`, which checks the deadline before each item (the iterable is
wrapped when the template is compiled, see `_GuardedCode`); every call and attribute lookup
checks it; filters check it before they run and as they build lists. Between two checks a
template does a bounded amount of work, because every value it can hold is bounded:

Why no value grows past MAX_VALUE: a template can only build values with `range` (at most
MAX_RANGE items), the operators `+ * ** %` (intercepted, refused before computing a result
that is too large), `~` and the text a block or macro collects (`joined`), list, tuple and dict
literals, and calls and filters (checked when they return; filters that could make something
huge from small arguments — center, indent, join, replace, format, wordwrap, slice, batch,
sum — are checked before). Containers cannot be grown in place (the immutable sandbox), and
the str methods that pad or multiply (center, ljust, zfill, format, replace, join, translate,
expandtabs) are not reachable; the filters offer checked versions of the useful ones.

Finally the output is read chunk by chunk, with the deadline and MAX_OUTPUT checked between
chunks. The globals are `range` alone: no lipsum (a generator of any size), cycler, joiner or
namespace (the one mutable object Jinja offers).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import lru_cache
from types import TracebackType
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateSyntaxError, nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment

from doorstep.messaging import limits
from doorstep.messaging.errors import RenderError
from doorstep.messaging.limits import LimitExceeded
from doorstep.messaging.sandbox_filters import guarded_filters

# The str methods that pad or multiply: out of reach (the filters have checked versions).
PADDING_METHODS = frozenset({"center", "ljust", "rjust", "zfill", "expandtabs", "format",
                             "format_map", "replace", "join", "translate"})
LOOP_GUARD = "guarded_loop"


class _GuardedCode(CodeGenerator):
    """Jinja's code generator with three changes: loops iterate through a deadline check,
    `~` joins through a size check, and list, tuple and dict literals are weighed."""

    def visit_For(self, node: nodes.For, frame: Frame) -> None:
        # A template cannot write an EnvironmentAttribute: this call is only ever ours.
        node.iter = nodes.Call(nodes.EnvironmentAttribute(LOOP_GUARD), [node.iter], [], None,
                               None, lineno=node.iter.lineno)
        super().visit_For(node, frame)

    def visit_Call(self, node: nodes.Call, frame: Frame, forward_caller: bool = False) -> None:
        if isinstance(node.node, nodes.EnvironmentAttribute) and node.node.name == LOOP_GUARD:
            # Called directly, not through the sandbox's call(): that would make a list of it.
            self.write(f"environment.{LOOP_GUARD}(")
            self.visit(node.args[0], frame)
            self.write(")")
            return
        super().visit_Call(node, frame, forward_caller=forward_caller)

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        if frame.eval_ctx.volatile or frame.eval_ctx.autoescape:
            super().visit_Concat(node, frame)  # not used for message text; HTML is ours
            return
        self.write("environment.joined((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")

    def _weighed(self, visit: Callable[[Any, Frame], None], node: Any, frame: Frame) -> None:
        self.write("environment.bounded(")
        visit(node, frame)
        self.write(")")

    def visit_List(self, node: nodes.List, frame: Frame) -> None:
        self._weighed(super().visit_List, node, frame)

    def visit_Dict(self, node: nodes.Dict, frame: Frame) -> None:
        self._weighed(super().visit_Dict, node, frame)

    def visit_Tuple(self, node: nodes.Tuple, frame: Frame) -> None:
        if node.ctx != "load":  # an assignment target: `{% for a, b in pairs %}`
            super().visit_Tuple(node, frame)
        else:
            self._weighed(super().visit_Tuple, node, frame)


class GuardedRange:
    """`range()` in a template: at most MAX_RANGE items, the deadline checked as it iterates."""

    def __init__(self, *args: int) -> None:
        self._range = range(*args)
        if len(self._range) > limits.MAX_RANGE:
            raise LimitExceeded(f"range() is limited to {limits.MAX_RANGE:,} items")

    def __len__(self) -> int:
        return len(self._range)

    def __iter__(self) -> Any:
        return limits.guarded_loop(self._range)

    def __reversed__(self) -> Any:
        return limits.guarded_loop(reversed(self._range))

    def __getitem__(self, index: Any) -> Any:
        return self._range[index]

    def __contains__(self, item: object) -> bool:
        return item in self._range

    def __repr__(self) -> str:
        return repr(self._range)


class TimedSandbox(ImmutableSandboxedEnvironment):
    """Jinja2's sandbox with a time limit and size caps (see the module's docstring)."""

    code_generator_class = _GuardedCode
    intercepted_binops = frozenset({"+", "*", "**", "%"})
    _binop_checks: dict[str, Callable[[Any, Any], None]] = {
        "+": limits.check_sum, "*": limits.check_product, "**": limits.check_power,
        "%": limits.check_modulo}

    guarded_loop = staticmethod(limits.guarded_loop)
    joined = staticmethod(limits.joined)
    bounded = staticmethod(limits.bounded)
    concat = staticmethod(limits.joined)  # a block's, a macro's and `{% set %}...`'s buffer

    def __init__(self, **options: Any) -> None:
        super().__init__(undefined=StrictUndefined, autoescape=False, **options)
        self.globals.clear()
        self.globals["range"] = GuardedRange
        self.filters = guarded_filters()

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if isinstance(obj, (str, bytes)) and attr in PADDING_METHODS:
            return False
        return super().is_safe_attribute(obj, attr, value)

    def wrap_str_format(self, value: Any) -> None:
        return None  # str.format is refused (is_safe_attribute); the `format` filter is checked

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        limits.tick()
        self._binop_checks[operator](left, right)
        return self.binop_table[operator](left, right)

    def getattr(self, obj: Any, attribute: str) -> Any:
        limits.tick()
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        limits.tick()
        return super().getitem(obj, argument)

    def call(self, context: Context, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        limits.tick()
        return limits.bounded(super().call(context, obj, *args, **kwargs))


def run(template: Template, values: dict[str, Any]) -> str:
    """The template's text for `values`, within the time limit and MAX_OUTPUT.

    Raises what the template raised (with Jinja's rewritten traceback, which locates the
    template line) or LimitExceeded."""
    token = limits.start()
    try:
        end = limits.deadline() or 0.0
        chunks: list[str] = []
        size = 0
        for chunk in template.generate(values):
            size += len(chunk)
            if size > limits.MAX_OUTPUT:
                raise LimitExceeded(f"the text would be longer than {limits.MAX_OUTPUT:,} "
                                    "characters")
            if time.monotonic() > end:
                raise limits.out_of_time()
            chunks.append(chunk)
        return "".join(chunks)
    finally:
        limits.finish(token)


ENV = TimedSandbox(trim_blocks=True)
TEMPLATE_FILE = "<template>"  # the file name Jinja gives the frames of a template's own code


@lru_cache(maxsize=1024)
def compiled(source: str) -> Template | RenderError:
    """Compiling is most of a render's cost: each template is compiled once per process. A
    template that does not compile is remembered too, so it is not compiled again per message."""
    try:
        return ENV.from_string(source)
    except TemplateSyntaxError as err:
        return RenderError(err.message or "not a valid template", err.lineno,
                           kind=type(err).__name__)


def template_line(tb: TracebackType | None) -> int | None:
    """The template line an error happened on. Jinja rewrites a template's traceback so that
    its own frames carry the template's file name and line; the innermost one is where."""
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == TEMPLATE_FILE:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _reason(err: BaseException) -> str:
    if isinstance(err, RenderError):
        return err.reason
    if isinstance(err, RecursionError):
        return "the template calls itself too deeply"
    if isinstance(err, TemplateSyntaxError):
        return err.message or "not a valid template"
    text = str(err)
    if err.__class__.__module__.startswith("jinja2"):
        return text  # about the template (an undefined name, an unsafe attribute)
    return f"{type(err).__name__}: {text}" if text else type(err).__name__


def render_text(source: str, values: dict[str, Any]) -> str:
    """`source` rendered with `values` in the sandbox, within the limits. Anything that goes
    wrong — a syntax error, an unknown name, a runtime error, a limit — is a RenderError with
    the template line where it is known."""
    template = compiled(source)
    if isinstance(template, RenderError):
        # A fresh error each time: raising one instance again would grow its traceback.
        raise RenderError(template.reason, template.line, kind=template.kind)
    try:
        return run(template, values)
    except Exception as err:  # a template must never take its caller down with it
        raise RenderError(_reason(err), template_line(err.__traceback__),
                          kind=type(err).__name__) from None
