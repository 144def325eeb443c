"""Exception hierarchy.

GovscanError
├── ConfigError      bad sites file, rules file or option; the CLI prints it and exits 2
└── RunError         a run that cannot complete (output not writable ...); exit 3
"""


class GovscanError(Exception):
    """Base of every error govscan raises on purpose."""


class ConfigError(GovscanError):
    """A configuration problem; the message names the file and the key or line."""

    def __init__(self, source: str, where: str, problem: str) -> None:
        self.source = source
        self.where = where
        self.problem = problem
        loc = f"{source}: {where}" if where else source
        super().__init__(f"{loc}: {problem}")


class RunError(GovscanError):
    """The run could not complete."""
