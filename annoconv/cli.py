"""The ``annoconv`` command: the only place that prints or chooses exit codes."""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from . import __version__
from .convert import predict_losses, read, split_options, write
from .errors import (AnnoconvError, LossError, OptionError, UnknownFormatError, WriteError)
from .formats import available_formats, capability_matrix, get_format
from .formats._base import Format, boolean
from .info import dataset_info
from .report import Report, Severity

EXIT_OK, EXIT_INTERNAL, EXIT_USAGE, EXIT_LOSSES = 0, 1, 2, 3
EXIT_UNKNOWN, EXIT_READ, EXIT_WRITE, EXIT_API = 4, 5, 6, 7

EXIT_CODES = """exit codes:
  0  success
  1  internal error (a bug: please report it with the output of -v)
  2  usage error (bad command line)
  3  losses: --strict refused to write, or --fail-if-warnings saw warnings
  4  unknown format or format option
  5  read error (missing, unreadable or malformed input)
  6  write error (the destination was left as it was)
  7  FastLabel API error
  8  FastLabel push finished, but some items failed (listed in the summary)"""


class _Progress:
    """tqdm bars on stderr, one per phase, only when stderr is a terminal."""

    def __init__(self) -> None:
        self.bar: Any = None
        self.phase: str | None = None

    def __call__(self, phase: str, advance: int, total: int | None) -> None:
        if phase != self.phase:
            self.close()
            from tqdm import tqdm
            self.phase = phase
            unit = "annotations" if phase == "read" else "items"
            # Small jobs finish before the delay and never show a bar.
            self.bar = tqdm(total=total, unit=f" {unit}", desc=phase, file=sys.stderr, delay=0.5,
                            disable=total is not None and total < 300, leave=False)
        self.bar.update(advance)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


class _Version(argparse.Action):
    """--version: the version and the compiled kernels in use (each has a slower numpy fallback,
    used where no C compiler was there at install time)."""

    def __call__(self, parser: argparse.ArgumentParser, *_: Any) -> None:
        from . import _numbers
        from .formats import _yolo_text
        from .raster import spans
        kernels = {"spans": spans.compiled(), "yolo": _yolo_text._compiled_encode is not None,
                   "coordinates": _numbers._flatten is not None}
        built = [name for name, present in kernels.items() if present]
        missing = [name for name, present in kernels.items() if not present]
        print(f"annoconv {__version__}; compiled kernels: {', '.join(built) or 'none'}"
              + (f" (numpy fallback for {', '.join(missing)})" if missing else ""))
        parser.exit()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="annoconv", description="Convert image-annotation datasets between formats, reporting every loss.",
        epilog=EXIT_CODES, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action=_Version, nargs=0, help="show the version and which compiled "
                        "kernels are in use, and exit")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    convert = commands.add_parser(
        "convert", help="convert INPUT in SRC_FMT to OUTPUT in DST_FMT",
        description="Convert a dataset. Format options (see `annoconv formats -v`) are given as "
                    "--option-name VALUE (or --flag) after the paths.",
        epilog=EXIT_CODES, formatter_class=argparse.RawDescriptionHelpFormatter)
    convert.add_argument("src_fmt", metavar="SRC_FMT")
    convert.add_argument("dst_fmt", metavar="DST_FMT")
    convert.add_argument("input", metavar="INPUT", type=Path)
    convert.add_argument("output", metavar="OUTPUT", type=Path)
    convert.add_argument("--dry-run", action="store_true", help="read and print the predicted losses; write nothing")
    convert.add_argument("--strict", action="store_true", help="write nothing if any loss is predicted (exit 3)")
    convert.add_argument("--fail-if-warnings", action="store_true", help="exit 3 if the report has warnings")
    convert.add_argument("--log", type=Path, metavar="FILE", help="write the full report as JSON to FILE")
    convert.add_argument("--overwrite", action="store_true", help="replace a non-empty OUTPUT")
    _verbosity(convert)

    listing = commands.add_parser("formats", help="list formats, their options and the capability matrix")
    listing.add_argument("--markdown", action="store_true", help="print only the Markdown capability matrix")
    _verbosity(listing)

    info = commands.add_parser("info", help="summarize a dataset: items, labels, counts per kind and label")
    info.add_argument("fmt", metavar="FMT")
    info.add_argument("input", metavar="INPUT", type=Path)
    info.add_argument("--json", action="store_true", help="print the summary as JSON")
    _verbosity(info)

    # Listed for --help only: main() hands `fastlabel ...` to annoconv_fastlabel.cli before parsing.
    commands.add_parser("fastlabel", help="pull / push FastLabel projects (see `annoconv fastlabel -h`)",
                        add_help=False)
    return parser


def _verbosity(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("-q", "--quiet", action="store_true", help="print errors only")
    group.add_argument("-v", "--verbose", action="store_true", help="print every issue, and tracebacks")


def _format_options(extra: list[str], accepted: Sequence[Format], writing: Sequence[bool]) -> dict[str, Any]:
    """Parse ``--name value`` / ``--flag`` / ``--name=value`` against the formats' declared options."""
    declared = {}
    for fmt, is_write in zip(accepted, writing):
        for option in fmt.write_options if is_write else fmt.read_options:
            declared[option.name] = option
    options: dict[str, Any] = {}
    tokens = list(extra)
    while tokens:
        token = tokens.pop(0)
        if not token.startswith("--") or token == "--":
            raise OptionError(f"unexpected argument {token!r}")
        name, has_value, value = token[2:].partition("=")
        key = name.replace("-", "_")
        found = declared.get(key)
        if found is None:
            known = ", ".join("--" + n.replace("_", "-") for n in sorted(declared)) or "none"
            raise OptionError(f"unknown option {token.split('=')[0]} for these formats (format options: {known})")
        if not has_value:
            if found.type is boolean and (not tokens or tokens[0].startswith("--")):
                value = "true"
            elif not tokens:
                raise OptionError(f"option --{name} needs a value ({found.help})")
            else:
                value = tokens.pop(0)
        options[key] = value
    return options


def _say(args: argparse.Namespace, text: str) -> None:
    if not args.quiet:
        print(text, file=sys.stderr)


def _print_report(args: argparse.Namespace, report: Report, predicted: bool = False) -> None:
    if args.quiet:
        return
    for summary in report.summary(predicted=predicted):
        prefix = {Severity.INFO: "note", Severity.WARNING: "warning", Severity.ERROR: "skipped"}[summary.severity]
        print(f"{'would lose' if predicted else prefix}: {summary}", file=sys.stderr)
    if args.verbose and not predicted:
        for issue in report.issues:
            where = " ".join(part for part in (issue.item and f"item {issue.item!r}",
                                               issue.annotation is not None and f"annotation {issue.annotation!r}")
                             if part)
            print(f"  {issue.code.value}: {where}: {issue.message} {issue.detail or ''}".rstrip(), file=sys.stderr)


def _run_convert(args: argparse.Namespace, extra: list[str]) -> int:
    src, dst = get_format(args.src_fmt), get_format(args.dst_fmt)
    options = _format_options(extra, [src, dst], [False, True])
    read_options, write_options = split_options(src, dst, options)
    dst.resolve_options(write_options, writing=True)  # reject bad values before the (long) read
    progress = _Progress() if sys.stderr.isatty() and not args.quiet else None
    report = Report()
    try:
        try:
            dataset = read(args.src_fmt, args.input, report=report, progress=progress, **read_options)
        finally:
            if progress:
                progress.close()
        annotations = sum(len(item.annotations) for item in dataset.items)
        _say(args, f"read {len(dataset.items):,} items, {annotations:,} annotations, "
                   f"{len(dataset.labels):,} labels from {args.input} ({args.src_fmt})")
        if args.dry_run:
            report.predicted.extend(predict_losses(dataset, args.dst_fmt).predicted)
            _print_report(args, report)
            _print_report(args, report, predicted=True)
            if not report.predicted:
                _say(args, f"dry run: nothing would be lost writing {args.dst_fmt}")
            return EXIT_LOSSES if args.fail_if_warnings and report.predicts_warnings else EXIT_OK
        try:
            write(dataset, args.dst_fmt, args.output, overwrite=args.overwrite, strict=args.strict,
                  report=report, progress=progress, **write_options)
        except (LossError, WriteError, OptionError, UnknownFormatError):
            raise
        except AnnoconvError as exc:  # bad data found while writing
            raise WriteError(exc.problem, file=exc.file or args.output, location=exc.location,
                             item=exc.item) from exc
        finally:
            if progress:
                progress.close()
        _print_report(args, report)
        _say(args, f"wrote {report.stats.get('items_written', len(dataset.items)):,} items to {args.output} "
                   f"({args.dst_fmt})")
    finally:
        if args.log:
            _write_log(args.log, report, failing=sys.exc_info()[1] is not None)
    return EXIT_LOSSES if args.fail_if_warnings and report.has_warnings else EXIT_OK


def _write_log(path: Path, report: Report, failing: bool) -> None:
    """Save the report; when the conversion itself failed, its error matters more than the log's."""
    try:
        path.write_text(report.to_json(), encoding="utf-8")
    except OSError as exc:
        if not failing:
            raise WriteError(f"cannot write the log: {exc.strerror or exc}", file=path) from None
        print(f"warning: {path}: cannot write the log: {exc.strerror or exc}", file=sys.stderr)


def _run_formats(args: argparse.Namespace) -> int:
    if args.markdown:
        print(capability_matrix())
        return EXIT_OK
    for fmt in available_formats().values():
        modes = "/".join(m for m, f in (("read", fmt.reader), ("write", fmt.writer)) if f)
        print(f"{fmt.name:<14} {modes:<11} {fmt.summary}")
        if args.verbose:
            for title, opts in (("read options", fmt.read_options), ("write options", fmt.write_options)):
                for option in opts:
                    choices = f" [{'|'.join(map(str, option.choices))}]" if option.choices else ""
                    print(f"    {title[:-8]} --{option.name.replace('_', '-')}{choices}: {option.help} "
                          f"(default: {option.default})")
    print()
    print(capability_matrix())
    return EXIT_OK


def _run_info(args: argparse.Namespace, extra: list[str]) -> int:
    fmt = get_format(args.fmt)
    options = _format_options(extra, [fmt], [False])
    report = Report()
    summary = dataset_info(read(args.fmt, args.input, report=report, **options))
    if args.json:
        import orjson
        print(orjson.dumps({**summary, "report": report.to_dict()["summary"]}, option=orjson.OPT_INDENT_2).decode())
        return EXIT_OK
    print(f"{args.input} ({args.fmt}): {summary['items']:,} items, {summary['annotations']:,} annotations, "
          f"{summary['labels']:,} labels")
    print("annotations per kind: " + (", ".join(f"{k} {v:,}" for k, v in summary["per_kind"].items()) or "none"))
    print("per label:")
    for name, counts in summary["per_label"].items():
        detail = ", ".join(f"{k} {v:,}" for k, v in counts.items()) or "no annotations"
        print(f"  {name} (id {summary['label_ids'].get(name)!r}): {detail}")
    if len(summary["subsets"]) > 1 or "(none)" not in summary["subsets"]:
        print("subsets: " + ", ".join(f"{k} {v:,}" for k, v in summary["subsets"].items()))
    empty = summary["items_without_annotations"]
    examples = f" ({', '.join(empty[:5])}{', ...' if len(empty) > 5 else ''})" if empty else ""
    print(f"images without annotations: {len(empty):,}{examples}")
    if summary["items_without_size"]:
        print(f"images without a known size: {summary['items_without_size']:,}")
    _print_report(args, report)
    return EXIT_OK


def _exit_code(exc: AnnoconvError) -> int:
    if isinstance(exc, LossError):
        return EXIT_LOSSES
    if isinstance(exc, (UnknownFormatError, OptionError)):
        return EXIT_UNKNOWN
    if isinstance(exc, WriteError):
        return EXIT_WRITE
    if type(exc).__module__.startswith("annoconv_fastlabel"):
        return EXIT_API
    return EXIT_READ


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code (see EXIT_CODES)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["fastlabel"]:
        from annoconv_fastlabel.cli import main as fastlabel_main  # lazy: only this command needs it
        return fastlabel_main(argv[1:])
    parser = _parser()
    try:  # argparse exits on --help (0) and on usage errors (2): return those codes instead
        args, extra = parser.parse_known_args(argv)
        if args.command == "formats" and extra:
            parser.error(f"unrecognized arguments: {' '.join(extra)}")
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    commands = {"convert": lambda: _run_convert(args, extra), "info": lambda: _run_info(args, extra),
                "formats": lambda: _run_formats(args)}
    return _guarded(commands[args.command], args, "interrupted; the destination was left as it was")


def _guarded(run: Callable[[], int], args: argparse.Namespace, interrupted: str) -> int:
    """``run()``'s exit code; errors become one ``error:`` line (the traceback only with -v)."""
    try:
        return run()
    except AnnoconvError as exc:
        if args.verbose:
            traceback.print_exc()
        print(f"error: {exc}", file=sys.stderr)
        return _exit_code(exc)
    except KeyboardInterrupt:
        print(f"error: {interrupted}", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: one line, the traceback only with -v
        if args.verbose:
            traceback.print_exc()
        print(f"error: internal error: {type(exc).__name__}: {exc} (run with -v for the traceback)", file=sys.stderr)
        return EXIT_INTERNAL
