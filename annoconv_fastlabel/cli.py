"""``annoconv fastlabel pull|push``: the command line of the FastLabel sync.

``annoconv`` hands every argument after ``fastlabel`` to :func:`main` (imported only then).
Like :mod:`annoconv.cli`, this is the only module of the package that prints or picks exit codes.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from annoconv.cli import (EXIT_API, EXIT_OK, EXIT_USAGE, _format_options, _guarded, _print_report,
                          _Progress, _say, _write_log)
from annoconv.convert import read, write
from annoconv.errors import AnnoconvError, OptionError, UnknownFormatError, WriteError
from annoconv.formats import get_format
from annoconv.report import Code, Report

EXIT_PARTIAL = 8

EXIT_CODES = f"""exit codes:
  0  success
  2  usage error (bad command line)
  4  unknown format or format option
  5  read error (push: the input dataset)
  6  write error (pull: the output; the destination was left as it was)
  {EXIT_API}  FastLabel API error that stopped the command (bad token, unknown project, missing classes,
     network down after retries...); nothing more was done
  {EXIT_PARTIAL}  finished, but some items failed (listed above the summary): re-run to retry them
     (a push re-run with --on-existing skip completes without duplicates)

environment:
  FASTLABEL_ACCESS_TOKEN  the API token (required; never printed)
  FASTLABEL_API_URL       the API base URL (default https://api.fastlabel.ai/v1/)"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="annoconv fastlabel", description="Pull a FastLabel project into any annoconv format, or push a "
        "dataset into a project.", epilog=EXIT_CODES, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    pull = commands.add_parser(
        "pull", help="download a project's classes and image tasks and write them in any format",
        description="Download the annotation classes and the image tasks of PROJECT (a project slug) and\n"
                    "write them as FMT to OUTPUT. Format write options go after the paths (--name VALUE).",
        epilog=EXIT_CODES, formatter_class=argparse.RawDescriptionHelpFormatter)
    pull.add_argument("project", metavar="PROJECT", help="project slug")
    pull.add_argument("--to", dest="fmt", metavar="FMT", required=True, help="output format (annoconv formats)")
    pull.add_argument("output", metavar="OUTPUT", type=Path)
    pull.add_argument("--images-dir", type=Path, metavar="DIR", help="also download the task images into DIR")
    pull.add_argument("--overwrite-images", action="store_true", help="download images already in DIR again")
    pull.add_argument("--status", help="only tasks with this status (registered, completed, approved...)")
    pull.add_argument("--external-status", help="only tasks with this external status")
    pull.add_argument("--tag", dest="tags", action="append", default=[], metavar="TAG",
                      help="only tasks with this tag (repeat: tasks with any of them)")
    pull.add_argument("--overwrite", action="store_true", help="replace a non-empty OUTPUT")
    _common(pull)

    push = commands.add_parser(
        "push", help="create one task per item of a dataset, uploading its image",
        description="Read INPUT (format FMT) and create one image task per item in PROJECT (task name = the\n"
                    "image path), with its annotations, uploading the image from DIR/<image path>. Format\n"
                    "read options go after the paths. Tasks that exist already are handled by --on-existing;\n"
                    "annotations on FastLabel are never deleted or overwritten except with --on-existing update.",
        epilog=EXIT_CODES, formatter_class=argparse.RawDescriptionHelpFormatter)
    push.add_argument("project", metavar="PROJECT", help="project slug")
    push.add_argument("--from", dest="fmt", metavar="FMT", required=True, help="input format (annoconv formats)")
    push.add_argument("input", metavar="INPUT", type=Path)
    push.add_argument("--images-dir", type=Path, metavar="DIR", required=True,
                      help="folder the items' image paths are relative to")
    push.add_argument("--on-existing", choices=("skip", "update", "fail"), default="skip",
                      help="a task of that name exists: skip it (default; makes re-runs resume), update it "
                           "(replace its annotations), or fail before changing anything")
    push.add_argument("--create-missing-classes", action="store_true",
                      help="create the annotation classes the project lacks (else: error listing them)")
    push.add_argument("--dry-run", action="store_true", help="print what would be created; change nothing")
    _common(push)
    return parser


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--api-url", metavar="URL", help="API base URL (default: $FASTLABEL_API_URL or the public one)")
    parser.add_argument("--timeout", type=float, default=120.0, metavar="SECONDS", help="per-request read timeout")
    parser.add_argument("--log", type=Path, metavar="FILE", help="write the full report as JSON to FILE")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("-q", "--quiet", action="store_true", help="print errors only")
    group.add_argument("-v", "--verbose", action="store_true", help="print every issue, and tracebacks")


def _client(args: argparse.Namespace) -> Any:
    from .client import FastLabelClient
    return FastLabelClient(base_url=args.api_url, timeout=(10.0, args.timeout))


def _failures(args: argparse.Namespace, report: Report, message: str) -> int:
    """List the items the sync failed on (their ``message`` issues); EXIT_PARTIAL if any."""
    failed = [issue for issue in report.by_code(Code.ITEM_SKIPPED) if issue.message == message]
    if failed and not args.quiet:
        print(f"failed items ({len(failed):,}):", file=sys.stderr)
        for issue in failed:
            print(f"  {issue.item}: {issue.detail.get('reason', '')}", file=sys.stderr)
    return EXIT_PARTIAL if failed else EXIT_OK


def _run_pull(args: argparse.Namespace, extra: list[str]) -> int:
    from .sync import DOWNLOAD_FAILED, pull
    fmt = get_format(args.fmt)
    options = _format_options(extra, [fmt], [True])
    fmt.resolve_options(options, writing=True)  # reject bad options before downloading anything
    report = Report()
    progress = _Progress() if sys.stderr.isatty() and not args.quiet else None
    try:
        dataset = pull(args.project, client=_client(args), status=args.status, external_status=args.external_status,
                       tags=args.tags, images_dir=args.images_dir, overwrite_images=args.overwrite_images,
                       progress=progress, report=report)
        _say(args, f"pulled {len(dataset.items):,} tasks, {sum(len(i.annotations) for i in dataset.items):,} "
                   f"annotations, {len(dataset.labels):,} classes from {args.project!r}")
        try:
            write(dataset, args.fmt, args.output, overwrite=args.overwrite, report=report, progress=progress, **options)
        except (WriteError, OptionError, UnknownFormatError):
            raise
        except AnnoconvError as exc:
            raise WriteError(exc.problem, file=exc.file or args.output, location=exc.location, item=exc.item) from exc
    finally:
        if progress:
            progress.close()
        if args.log:
            _write_log(args.log, report, failing=sys.exc_info()[1] is not None)
    _print_report(args, report)
    _say(args, f"wrote {len(dataset.items):,} items to {args.output} ({args.fmt})"
         + (f"; {report.stats.get('images_downloaded', 0):,} images downloaded to {args.images_dir}"
            if args.images_dir else ""))
    return _failures(args, report, DOWNLOAD_FAILED)


def _run_push(args: argparse.Namespace, extra: list[str]) -> int:
    from .sync import PUSH_FAILED, push
    fmt = get_format(args.fmt)
    options = _format_options(extra, [fmt], [False])
    report = Report()
    progress = _Progress() if sys.stderr.isatty() and not args.quiet else None
    try:
        try:
            dataset = read(args.fmt, args.input, report=report, progress=progress, **options)
        finally:
            if progress:
                progress.close()
        _say(args, f"read {len(dataset.items):,} items from {args.input} ({args.fmt})")
        result = push(dataset, args.project, args.images_dir, client=_client(args), on_existing=args.on_existing,
                      create_missing_classes=args.create_missing_classes, dry_run=args.dry_run,
                      progress=progress, report=report)
    finally:
        if progress:
            progress.close()
        if args.log:
            _write_log(args.log, report, failing=sys.exc_info()[1] is not None)
    if args.dry_run:
        for value in result.classes_created:
            print(f"create class {value}")
        for name in result.created:
            print(f"create task  {name}")
        for name in result.updated:
            print(f"update task  {name}")
        for name in result.skipped:
            print(f"skip task    {name} (exists)")
    _print_report(args, report)
    _say(args, ("dry run: " if args.dry_run else "") + result.summary()
         + f"; {result.annotations:,} annotations {'to send' if args.dry_run else 'sent'}")
    return _failures(args, report, PUSH_FAILED)


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``annoconv fastlabel ...`` (``argv`` without the leading "fastlabel"); returns the exit code."""
    parser = _parser()
    try:
        args, extra = parser.parse_known_args(list(sys.argv[2:] if argv is None else argv))
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    run = (lambda: _run_pull(args, extra)) if args.command == "pull" else (lambda: _run_push(args, extra))
    return _guarded(run, args, "interrupted (a push re-run with --on-existing skip resumes where it stopped)")
