"""The one error a template render or check ends with."""

from __future__ import annotations

# Errors whose words are about the template itself (a name, a limit, the syntax), never about
# the values it was given: these may be logged whole.
ABOUT_THE_TEMPLATE = frozenset({"UndefinedError", "SecurityError", "LimitExceeded",
                                "TemplateSyntaxError", "TemplateAssertionError",
                                "RecursionError", "RenderError"})


class RenderError(Exception):
    """A template that cannot render (this context): why, and on which line of the template
    when that is known. `where` names the template (name, language, whose); `kind` is the
    class of the error underneath."""

    def __init__(self, reason: str, line: int | None = None, where: str = "",
                 kind: str | None = None) -> None:
        self.reason = reason
        self.line = line
        self.where = where
        self.kind = kind or type(self).__name__
        super().__init__(self.describe())

    def describe(self) -> str:
        at = f"line {self.line}: " if self.line is not None else ""
        return f"{self.where}: {at}{self.reason}" if self.where else f"{at}{self.reason}"

    def at(self, where: str) -> RenderError:
        """The same error, saying which template it came from."""
        return type(self)(self.reason, self.line, where, self.kind)

    def loggable(self) -> str:
        """What may go to a log: the reason when it is about the template, else only the
        kind of error (a runtime error's words can quote a value, and values can be personal)."""
        return self.describe() if self.kind in ABOUT_THE_TEMPLATE else \
            f"{self.where}: line {self.line}: {self.kind}"
