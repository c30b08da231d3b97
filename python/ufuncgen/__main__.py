"""`python -m ufuncgen` / the `ufuncgen` console script."""

from __future__ import annotations

import argparse
import sys
import warnings


class _VersionAction(argparse.Action):
    """`--version`: the version is only looked up when asked for (it loads the extension)."""

    def __init__(self, option_strings, dest, **kwargs):
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None):
        from . import __version__

        print(f"ufuncgen {__version__}")
        parser.exit()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ufuncgen", description=__doc__)
    parser.add_argument("--version", action=_VersionAction, help="print the version and exit")
    commands = parser.add_subparsers(dest="command", required=True)
    build = commands.add_parser("build", help="compile a file's kernels into an extension module")
    build.add_argument("source", help="Python file with @vectorize kernels")
    build.add_argument("-o", "--output-dir", default=".", help="where to write the module")
    build.add_argument("--name", help="module name (default: the source file's name)")
    cache = commands.add_parser("cache", help="inspect or empty the cache of cache=True kernels")
    cache_commands = cache.add_subparsers(dest="cache_command", required=True)
    cache_commands.add_parser("list", help="entries: kernel, signature, size, last use, file")
    clear = cache_commands.add_parser("clear", help="remove entries")
    clear.add_argument(
        "--older-than",
        type=float,
        metavar="DAYS",
        help="only entries not used for this many days",
    )
    cache.add_argument("--dir", help="cache directory (default: UFUNCGEN_CACHE_DIR or the user's)")
    return parser


def _cache_command(args: argparse.Namespace) -> int:
    from . import _cache

    if args.cache_command == "list":
        print(_cache.describe(_cache.entries(args.dir)))
        return 0
    removed = _cache.clear(args.dir, args.older_than)
    print(f"removed {removed} cache entr{'y' if removed == 1 else 'ies'}")
    return 0


def _build_command(args: argparse.Namespace) -> int:
    from . import _build
    from .errors import CompileError

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            path = _build.build(args.source, args.output_dir, args.name)
            error = None
        except CompileError as e:
            error = f"ufuncgen build: {e}"
        except _build.BuildError as e:
            error = str(e)
        except (OSError, SyntaxError) as e:
            error = f"ufuncgen build: {e}"
    for w in caught:
        print(f"ufuncgen build: warning: {w.message}", file=sys.stderr)
    if error is not None:
        print(error, file=sys.stderr)
        return 1
    print(path)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit status."""
    args = _parser().parse_args(argv)
    if args.command == "build":
        return _build_command(args)
    if args.command == "cache":
        return _cache_command(args)
    return 1


if __name__ == "__main__":
    sys.exit(main())
