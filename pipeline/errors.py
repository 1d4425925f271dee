"""Errors that reach the user as one line: what went wrong, where, and how to fix it.

The CLI prints a :class:`UserError` as ``p2s: error: <message>`` and exits with status 2, never with a
traceback. Anything else that escapes is a bug in the project and keeps its traceback.
"""

from __future__ import annotations


class UserError(Exception):
    """Bad input or a missing prerequisite: the message names the thing and the fix."""


class TaskFormatError(UserError):
    """A task YAML file that does not follow the task format."""

    def __init__(self, path: str, field: str, problem: str) -> None:
        self.path = path
        self.field = field
        self.problem = problem
        super().__init__(f"{path}: field '{field}': {problem}")

    def __reduce__(self):  # picklable, so a worker process can report it
        return (type(self), (self.path, self.field, self.problem))


class ToolMissingError(UserError):
    """An external tool is not installed; the message says how to get it."""

    def __init__(self, tool: str, hint: str) -> None:
        self.tool = tool
        self.hint = hint
        super().__init__(f"{tool} not found: {hint}")

    def __reduce__(self):
        return (type(self), (self.tool, self.hint))


class LLMUnavailableError(Exception):
    """The model could not answer a call after its retries: a crashed or hung worker, a server outage.

    Not the model's fault and not the user's input: the generation loop records it as a failed call with
    this one-line reason, so a batch goes on and its report says what happened.
    """


class ToolFailedError(Exception):
    """A tool exited non-zero where success was required; carries its output and log path."""

    def __init__(self, argv: list[str], returncode: int, stdout: str, stderr: str, log_path: str | None = None):
        self.argv = argv
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr
        self.log_path = log_path
        tail = (stderr or stdout).strip().splitlines()[-1:] or [""]
        super().__init__(f"{argv[0]} exited with {returncode}: {tail[0]}" + (f" (log: {log_path})" if log_path else ""))

    def __reduce__(self):
        return (type(self), (self.argv, self.returncode, self.stdout, self.stderr, self.log_path))
