"""The Typer app: global options, logging set-up, and the one place errors become
exit codes."""

import functools
import logging
import os
import sys
from collections.abc import Callable, Iterable
from enum import Enum
from typing import Annotated, Any, TypeVar

import typer

from stsgen import __version__
from stsgen.errors import ExitCode, StsgenError

log = logging.getLogger(__name__)

app = typer.Typer(
    name="stsgen",
    help="Render and validate Kubernetes manifests for stateful workloads.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Plain click messages: usage errors stay short and carry no box drawing.
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


class Color(str, Enum):
    AUTO = "auto"
    ALWAYS = "always"
    NEVER = "never"


class State:
    """Options of the callback that commands read: verbosity and colour."""

    verbosity: int = 0
    color: Color = Color.AUTO


state = State()


def use_color(stream: Any) -> bool:
    """Whether to colour ``stream``: --color, then NO_COLOR, then whether it is a TTY."""
    if state.color is Color.ALWAYS:
        return True
    if state.color is Color.NEVER or os.environ.get("NO_COLOR"):
        return False
    return bool(getattr(stream, "isatty", lambda: False)())


def stderr_console():  # Rich is imported here, off the start-up path
    from rich.console import Console

    color = use_color(sys.stderr)
    return Console(
        stderr=True,
        no_color=not color,
        force_terminal=color if state.color is not Color.AUTO else None,
        highlight=False,
        soft_wrap=True,
    )


def echo_error(message: str) -> None:
    """Write one diagnostic line to stderr."""
    sys.stderr.write(f"stsgen: error: {message}\n")


def echo_warning(message: str) -> None:
    """Write one warning line to stderr, unless -q asked for errors only."""
    if state.verbosity >= 0:
        sys.stderr.write(f"stsgen: warning: {message}\n")


def echo_info(message: str) -> None:
    """Write one line of news to stderr, unless -q asked for errors only."""
    if state.verbosity >= 0:
        sys.stderr.write(f"stsgen: {message}\n")


def _version_callback(value: bool) -> None:
    if value:
        sys.stdout.write(f"stsgen {__version__}\n")
        raise typer.Exit()


def _configure_logging(verbosity: int) -> None:
    level = {-1: logging.ERROR, 0: logging.WARNING, 1: logging.INFO}.get(
        verbosity, logging.DEBUG if verbosity > 1 else logging.ERROR
    )
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("stsgen: %(levelname)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
    logging.getLogger("stsgen").setLevel(level)
    if verbosity > 1:
        root.setLevel(logging.DEBUG)


@app.callback()
def main_callback(
    verbose: Annotated[
        int,
        typer.Option("--verbose", "-v", count=True, help="More logging (-vv: debug)."),
    ] = 0,
    quiet: Annotated[
        int, typer.Option("--quiet", "-q", count=True, help="Only errors on stderr.")
    ] = 0,
    color: Annotated[
        Color, typer.Option("--color", help="Colour diagnostics and text reports.")
    ] = Color.AUTO,
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_version_callback,
            is_eager=True,
            help="Print the version.",
        ),
    ] = False,
) -> None:
    """Render and validate Kubernetes manifests for stateful workloads."""
    state.verbosity = verbose - quiet
    state.color = color
    _configure_logging(state.verbosity)


F = TypeVar("F", bound=Callable[..., Any])


def reports_errors(command: F) -> F:
    """Turn StsgenError (and any crash) into one stderr line and an exit code."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except (typer.Exit, typer.Abort, SystemExit):
            raise
        except StsgenError as exc:
            echo_error(str(exc))
            raise typer.Exit(int(exc.exit_code)) from None
        except KeyboardInterrupt:
            echo_error("interrupted")
            raise typer.Exit(130) from None
        except BrokenPipeError:
            # The reader went away (`stsgen render | head`); nothing left to say.
            sys.stderr.close()
            raise typer.Exit(int(ExitCode.INVALID)) from None
        except OSError as exc:
            # The machine's doing, not stsgen's: a full disk, a folder made
            # read-only, a closed device.
            where = f"{exc.filename}: " if exc.filename else "output: "
            echo_error(f"{where}{exc.strerror or exc}")
            raise typer.Exit(int(ExitCode.USAGE)) from None
        except Exception as exc:  # noqa: BLE001 - the last line of defence
            if state.verbosity > 1:
                import traceback

                traceback.print_exc(file=sys.stderr)
            echo_error(f"internal error: {type(exc).__name__}: {exc} (run with -vv)")
            raise typer.Exit(int(ExitCode.BROKEN)) from None

    return wrapper  # type: ignore[return-value]


# Command name -> (module, function). A module is imported only when its command
# runs or when help lists every command, which keeps `stsgen render` from paying
# for validation options it does not use.
COMMANDS = {
    "render": ("render", "render"),
    "list": ("blueprints", "list_blueprints"),
    "values": ("blueprints", "show_values"),
    "validate": ("validate", "validate"),
    "rules": ("rules", "list_rules"),
}


def _register_commands(names: Iterable[str] = COMMANDS) -> None:
    import importlib

    for name in names:
        module_name, function_name = COMMANDS[name]
        module = importlib.import_module(f"stsgen.cli.{module_name}")
        app.command(name)(reports_errors(getattr(module, function_name)))


def _invoked_command(argv: list[str]) -> str | None:
    """The command named on the command line, if it comes before any help flag."""
    for argument in argv:
        if argument in COMMANDS:
            return argument
        if not argument.startswith("-") or argument in ("-h", "--help"):
            return None
    return None


def main() -> None:
    command = _invoked_command(sys.argv[1:])
    _register_commands([command] if command else COMMANDS)
    click = _typers_click()
    try:
        # Not standalone: Click would print a usage block of four lines for a bad
        # option, where every other bad input gets one line.
        code = app(standalone_mode=False)
        # Flushed here, where a full disk or a closed pipe can still be reported.
        sys.stdout.flush()
    except click.exceptions.ClickException as exc:
        if type(exc).__name__ == "NoArgsIsHelpError":
            exc.show()  # `stsgen` alone: the help, on stderr as Click gives it
        else:
            echo_error(_one_line(exc))
        code = exc.exit_code
    except typer.Abort:
        echo_error("aborted")
        code = 1
    except BrokenPipeError:
        sys.stderr.close()
        code = int(ExitCode.INVALID)
    except OSError as exc:
        # Output that cannot be written (a full disk, a closed device): the help
        # and version texts Click prints itself, or the last of a command's.
        echo_error(f"output: {exc.strerror or exc}")
        code = int(ExitCode.USAGE)
    raise SystemExit(code or 0)


def _typers_click() -> Any:
    """The Click that Typer runs on: its own copy in recent releases, the click
    package before."""
    from typer import core

    vendored = getattr(core, "_click", None)
    if vendored is not None:
        return vendored
    import click

    return click


def _one_line(exc: Any) -> str:
    """A Click error as one line: its message, and where to read the usage."""
    message = " ".join(exc.format_message().split()).rstrip(".")
    message = message[:1].lower() + message[1:]
    ctx = getattr(exc, "ctx", None)
    if ctx is None:
        return message
    return f"{message} (see '{ctx.command_path} --help')"
