"""The `clinicbot` command: index, serve, ask — thin wrappers over the same functions the API uses."""
from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from service.settings import Settings


def _settings(args: argparse.Namespace) -> Settings:
    """Flags first, then CLINICBOT_* variables, then defaults."""
    overrides: dict[str, Any] = {}
    for name in ("corpus_dir", "index_dir", "host", "port", "model"):
        value = getattr(args, name, None)
        if value is not None:
            overrides[name] = value
    return Settings(**overrides)


def cmd_index(args: argparse.Namespace) -> int:
    """Build the index from the corpus folder."""
    from tqdm import tqdm

    from index.builder import BuildError, build_index
    from index.embedder import load_embedder
    from index.onnx_export import ExportError
    from service.answering.safety import bank_cache, load_banks

    settings = _settings(args)
    try:  # indexing uses every core; the first run exports the model to ONNX (the only use of torch)
        embedder = load_embedder(settings.model, settings.encoder, settings.encoder_dir, threads=0)
    except ExportError as exc:
        print(f"clinicbot index: {exc}; set CLINICBOT_ENCODER=torch for this model", file=sys.stderr)
        return 1
    bar = tqdm(total=0, unit="text", desc="embedding", disable=args.quiet, file=sys.stderr)

    def progress(done: int, total: int) -> None:
        bar.total = total
        bar.n = done
        bar.refresh()

    try:
        summary = build_index(settings.corpus_dir, settings.index_dir, embedder, progress)
    except BuildError as exc:
        bar.close()
        print(f"clinicbot index: {exc}", file=sys.stderr)
        return 1
    bar.close()
    load_banks(embedder.name, embedder.encode, bank_cache(settings.index_dir))  # so `serve` starts with them
    for item in summary.skipped:
        print(f"skipped {item.path}: {item.reason}", file=sys.stderr)
    print(summary.line())
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve the API (and pages) with uvicorn, in one process or in `--workers` processes on one port."""
    from index.store import IndexUnavailable
    from service import access_log, server, workers
    from service.app import create_app
    from service.database import Database
    from service.secret_key import SecretKeyError
    from service.storage.backend import DatabaseUnavailable
    from service.staff.passwords import StaffConfigError

    settings = _settings(args)
    if args.workers is not None:  # the flag wins over CLINICBOT_WORKERS
        if args.workers < 0:
            print("clinicbot serve: --workers must be 0 (one per CPU) or more", file=sys.stderr)
            return 2
        settings = settings.model_copy(update={"workers": args.workers})
    access_log.configure()  # one JSON line per request on stderr, in place of uvicorn's access log
    try:
        Database(settings.database, 1).close()  # an unreachable database fails here, before the model loads
        if workers.worker_count(settings) > 1:
            return workers.serve(settings)  # each worker builds its own app after the fork
        app = create_app(settings)
        server.serve(app, settings)
    except (IndexUnavailable, StaffConfigError, SecretKeyError, DatabaseUnavailable, workers.ListenError) as exc:
        print(f"clinicbot serve: {exc}", file=sys.stderr)
        return 1
    return 0


def cmd_ask(args: argparse.Namespace) -> int:
    """Ask one question and print the answer and its sources."""
    from index.store import IndexUnavailable
    from service.answering.answerer import QuestionError
    from service.app import load_answerer

    settings = _settings(args)
    try:
        response = load_answerer(settings).ask(args.question)
    except (IndexUnavailable, QuestionError) as exc:
        print(f"clinicbot ask: {exc}", file=sys.stderr)
        return 1 if isinstance(exc, IndexUnavailable) else 2
    if args.json:
        print(json.dumps(response.model_dump(mode="json"), ensure_ascii=False, indent=2))
        return 0
    print(response.answer)
    for n, source in enumerate(response.sources, 1):
        where = source.url or f"article {source.article_id}"
        section = f" — {source.section}" if source.section else ""
        print(f"  [{n}] {source.title}{section} ({where}) score {source.score:.2f}")
    return 0


def cmd_hash_password(args: argparse.Namespace) -> int:
    """Print a password hash for CLINICBOT_STAFF_USERS (`name:hash`); the password is asked for twice."""
    import getpass

    from service.staff.passwords import hash_password

    if args.stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        try:
            password = getpass.getpass("Password: ")
            if getpass.getpass("Again: ") != password:
                print("clinicbot hash-password: the passwords differ", file=sys.stderr)
                return 1
        except (EOFError, KeyboardInterrupt):
            print(file=sys.stderr)
            return 1
    if not password:
        print("clinicbot hash-password: the password is empty", file=sys.stderr)
        return 1
    print(hash_password(password))
    return 0


def cmd_inspect(args: argparse.Namespace) -> int:
    """Print what each file becomes in the index (the upload preview's function): title, URL, date, passages."""
    from service.articles.errors import UploadRefused
    from service.articles.preview import describe, read_preview

    failed = 0
    for path in args.files:
        try:
            print(describe(read_preview(path.name, path.read_bytes())), end="\n\n")
        except UploadRefused as exc:
            print(f"clinicbot inspect: {path}: {exc.reason}", file=sys.stderr)
            failed += 1
        except OSError as exc:
            print(f"clinicbot inspect: {path}: {exc.strerror or exc}", file=sys.stderr)
            failed += 1
    return 1 if failed else 0


def parser() -> argparse.ArgumentParser:
    """The argument parser (its help texts are the CLI reference)."""
    p = argparse.ArgumentParser(prog="clinicbot", description="Answer patient questions from a clinic's articles.")
    sub = p.add_subparsers(dest="command", required=True)
    index = sub.add_parser("index", help="build the index from the corpus folder")
    index.add_argument("--corpus", dest="corpus_dir", type=Path, help="folder of articles (default: corpus)")
    index.add_argument("--index-dir", type=Path, help="where to write the index (default: var/index)")
    index.add_argument("--model", help="sentence-transformers model name or path")
    index.add_argument("--quiet", action="store_true", help="no progress bar")
    index.set_defaults(func=cmd_index)
    serve = sub.add_parser("serve", help="serve the API and pages")
    serve.add_argument("--index-dir", type=Path, help="index folder to serve (default: var/index)")
    serve.add_argument("--host", help="address to listen on (default: 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (default: 8000)")
    serve.add_argument("--workers", type=int,
                       help="processes answering on the port (default: CLINICBOT_WORKERS, else one per CPU)")
    serve.set_defaults(func=cmd_serve)
    ask = sub.add_parser("ask", help="ask one question")
    ask.add_argument("question", help="the patient's question")
    ask.add_argument("--index-dir", type=Path, help="index folder (default: var/index)")
    ask.add_argument("--json", action="store_true", help="print exactly the JSON that POST /api/ask returns")
    ask.set_defaults(func=cmd_ask)
    hashing = sub.add_parser("hash-password", help="print a password hash for CLINICBOT_STAFF_USERS (name:hash)")
    hashing.add_argument("--stdin", action="store_true", help="read the password from the first line of stdin")
    hashing.set_defaults(func=cmd_hash_password)
    inspect = sub.add_parser("inspect", help="show the passages files would give, as the upload preview does")
    inspect.add_argument("files", nargs="+", type=Path, metavar="FILE", help="article files (.md, .pdf, …)")
    inspect.set_defaults(func=cmd_inspect)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `clinicbot` console script."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
