"""Running generated code in this interpreter and collecting what it left:
``results`` (serialised, written to results.json) and figures, or its error."""

import linecache
import os
import time
import traceback

from pyexec_context import prepare_namespace
from pyexec_figures import save_figures
from pyexec_json import private_json
from pyexec_serialise import to_jsonable

CODE_FILENAME = "<pyexec-code>"
MAX_RESULT_BYTES = 64 * 1024 * 1024


def error_report(exc_type, exc, tb):
    lines = traceback.format_exception(exc_type, exc, tb)
    return {
        "type": exc_type.__name__,
        "message": str(exc),
        "traceback": "".join(lines),
        "traceback_lines": [line.rstrip("\n") for line in lines],
    }


def _plain_error(type_name, message):
    """An error of what the code left, not of a raise: no traceback."""
    return {"type": type_name, "message": message, "traceback": "", "traceback_lines": []}


def run_code(code, namespace):
    """Executes code in namespace; returns None or the error (user frames only)."""
    linecache.cache[CODE_FILENAME] = (len(code), None, code.splitlines(True), CODE_FILENAME)
    try:
        exec(compile(code, CODE_FILENAME, "exec"), namespace)
    except SystemExit as exc:
        if exc.code in (None, 0):
            return None
        return error_report(type(exc), exc, exc.__traceback__.tb_next)
    except BaseException as exc:  # noqa: B902 - the user's code may raise anything
        return error_report(type(exc), exc, exc.__traceback__.tb_next)
    return None


def collect(namespace, folder, attempt):
    """results serialised (and written to results.json), figures saved."""
    error = None
    results = namespace.get("results")
    if not isinstance(results, dict):
        found = "no `results` variable" if "results" not in namespace else "`results` is a %s" % type(results).__name__
        error = _plain_error("MissingResults", "the code must leave its output in a dict named `results` (%s)" % found)
        serialised = None
    else:
        serialised = to_jsonable(results)
        text = private_json.dumps(serialised, allow_nan=False)
        if len(text) > MAX_RESULT_BYTES:
            error = _plain_error(
                "ResultsTooLarge",
                "`results` serialises to %d bytes, more than %d; keep large data in files" % (len(text), MAX_RESULT_BYTES),
            )
            serialised = None
        else:
            with open(os.path.join(folder, "results.json"), "w", encoding="utf-8") as handle:
                handle.write(text)
    return serialised, save_figures(folder, attempt), error


def run_job(spec):
    """Runs one job in this process (stdout/stderr/fd 3 already wired); returns the report."""
    owner = os.getpid()
    started = time.perf_counter()
    folder = spec["folder"]
    namespace = prepare_namespace(folder)
    error = run_code(spec["code"], namespace)
    if os.getpid() != owner:
        # A process forked by the code fell back into the harness: it must not report.
        os._exit(1)
    try:
        results, figures, missing = collect(namespace, folder, spec["attempt"])
    except BaseException as exc:  # noqa: B902 - a broken result or figure is the code's error
        results, figures, missing = None, [], error_report(type(exc), exc, exc.__traceback__)
    error = error or missing
    reported = spec.get("reported_folder") or folder
    figures = [os.path.join(reported, os.path.relpath(path, folder)) for path in figures]
    return {
        "status": "runtime_error" if error else "succeeded",
        "results": results if error is None else None,
        "figures": figures,
        "error": error,
        "duration_ms": (time.perf_counter() - started) * 1000,
    }
