"""tokenrl's Python reward worker (protocol version 1; rewards/README.md documents it).

Started by PythonReward as `python -I reward_worker.py <parent pid>`: one JSON object per line
on stdin, one answer per line on stdout. The first request is "load", every later one "score".
The worker exits when its stdin closes, and when its parent (the pid argument) is gone (checked
every second), so it never outlives the trainer. The user's prints go to stderr: stdout carries
only the protocol.
"""
import importlib.util
import inspect
import json
import math
import numbers
import os
import sys
import threading
import time
import traceback

VERSION = 1

# Keep the real stdout for answers; send everything else the user prints to stderr.
_answers = os.fdopen(os.dup(1), "w", encoding="utf-8")
os.dup2(2, 1)
sys.stdout = sys.stderr


def send(message):
    message["v"] = VERSION
    _answers.write(json.dumps(message, allow_nan=False) + "\n")
    _answers.flush()


class Problem(Exception):
    """A problem this worker finds itself (no such function, unknown signature): shown as is."""


def last_line(exc):
    """The last line of the traceback: 'ZeroDivisionError: division by zero'."""
    if isinstance(exc, Problem):
        return str(exc)
    lines = traceback.format_exception_only(type(exc), exc)
    text = "".join(lines).strip().splitlines()
    line = text[-1] if text else type(exc).__name__
    if isinstance(exc, SyntaxError) and exc.lineno is not None:
        line += " (%s, line %d)" % (os.path.basename(exc.filename or "?"), exc.lineno)
    return line


def watch_parent(parent):
    """Exits once the parent (its pid is argv[1]) is gone: we have been re-parented."""
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(3)


def detect(fn, name):
    names = list(inspect.signature(fn).parameters)
    if "solution_str" in names or (names and names[0] == "data_source"):
        return "verl"
    if "completions" in names or "prompts" in names:
        return "trl"
    raise Problem(
        "cannot tell the signature of %s(%s): set signature = verl for "
        "compute_score(data_source, solution_str, ground_truth, extra_info=None), or signature = "
        "trl for fn(prompts, completions, completion_ids, **kwargs)" % (name, ", ".join(names)))


def accepted(fn, kwargs):
    """kwargs the function can take: all of them if it has **kwargs, else the named ones."""
    params = inspect.signature(fn).parameters.values()
    if any(p.kind == p.VAR_KEYWORD for p in params):
        return kwargs
    names = {p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
    return {k: v for k, v in kwargs.items() if k in names}


def number(value):
    """(score, None) for a finite real number, (None, problem) otherwise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return None, "returned %r (%s), expected a number" % (value, type(value).__name__)
    value = float(value)
    if not math.isfinite(value):
        return None, "returned %r; scores must be finite" % value
    return value, None


class WholeBatchError(ValueError):
    """A problem of the batch as a whole (wrong count): scoring rows alone would not locate it."""


def load(request):
    path = request["path"]
    directory = os.path.dirname(path)
    if directory not in sys.path:
        sys.path.insert(0, directory)  # -I left the working directory out; the file's own is in
    module_name = os.path.splitext(os.path.basename(path))[0]
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    name = request["function"]
    fn = getattr(module, name, None)
    if fn is None or not callable(fn):
        public = sorted(k for k, v in vars(module).items() if callable(v) and not k.startswith("_")
                        and getattr(v, "__module__", None) == module_name)
        raise Problem("%s has no function %s (functions there: %s)"
                          % (os.path.basename(path), name, ", ".join(public) or "none"))
    signature = request.get("signature", "auto")
    if signature == "auto":
        signature = detect(fn, name)
    return fn, signature


# The columns verl's reward manager hands compute_score itself rather than through extra_info.
VERL_COLUMNS = ("data_source", "reward_model", "extra_info", "prompt")


def same_value(raw, text):
    """Whether the reference text is raw written out (as the Java side writes non-strings)."""
    if isinstance(raw, str):
        return raw == text
    if isinstance(raw, bool):
        return False
    if isinstance(raw, numbers.Real):
        return str(raw) == text
    return json.dumps(raw, separators=(",", ":"), ensure_ascii=False) == text


def score_verl(fn, request):
    n = len(request["completions"])
    columns = request.get("columns", {})
    scores, errors, metrics = [None] * n, [None] * n, {}
    for i in range(n):
        # As verl's reward manager: data_source and extra_info from the row (the reward's own
        # data_source setting when the data has none), ground_truth from reward_model (keeping
        # its type: a list stays a list). Other columns, and index/prompt/truncated, are added
        # to extra_info without overriding the row's own keys.
        extra_info = {"index": i, "prompt": request["prompts"][i],
                      "truncated": request["truncated"][i]}
        for key, values in columns.items():
            if key not in VERL_COLUMNS:
                extra_info[key] = values[i]
        own = columns.get("extra_info", [None] * n)[i]
        if isinstance(own, dict):
            extra_info.update(own)
        data_source = columns.get("data_source", [None] * n)[i]
        if data_source is None:
            data_source = request.get("data_source")
        ground_truth = request["ground_truth"][i]
        model = columns.get("reward_model", [None] * n)[i]
        if isinstance(model, dict) and same_value(model.get("ground_truth"), ground_truth):
            ground_truth = model["ground_truth"]
        kwargs = accepted(fn, {"data_source": data_source,
                               "solution_str": request["completions"][i],
                               "ground_truth": ground_truth,
                               "extra_info": extra_info})
        try:
            result = fn(**kwargs)
        except Exception as e:  # the row fails, the others are still scored
            errors[i] = "raised " + last_line(e)
            continue
        if isinstance(result, dict):
            if "score" not in result:
                errors[i] = "returned a dict without 'score' (keys: %s)" % ", ".join(map(str, result))
                continue
            for key, value in result.items():
                if key == "score":
                    continue
                value, problem = number(value)
                if problem is None:
                    metrics.setdefault(str(key), [None] * n)[i] = value
            result = result["score"]
        scores[i], errors[i] = number(result)
    return scores, errors, metrics


def score_trl(fn, request):
    n = len(request["completions"])
    columns = dict(request.get("columns", {}))
    prompts, completions = request["prompts"], request["completions"]
    conversations = columns.pop("prompt", None)
    if conversations is not None and all(isinstance(p, list) for p in conversations):
        # TRL's conversational form: prompts are message lists, each completion one message.
        prompts = conversations
        completions = [[{"role": "assistant", "content": c}] for c in completions]
    kwargs = {"prompts": prompts, "completions": completions,
              "completion_ids": request["completion_ids"], "ground_truth": request["ground_truth"]}
    kwargs.update(columns)  # every other dataset column, one list each, as TRL passes them
    result = fn(**accepted(fn, kwargs))
    try:
        result = list(result)
    except TypeError:
        raise WholeBatchError("returned %r (%s), expected a list of %d floats or None"
                         % (result, type(result).__name__, n)) from None
    if len(result) != n:
        raise WholeBatchError("returned %d scores for %d rows" % (len(result), n))
    scores, errors = [None] * n, [None] * n
    for i, value in enumerate(result):
        if value is not None:  # None: no score for this row, as in TRL
            scores[i], errors[i] = number(value)
    return scores, errors, {}


def main():
    parent = int(sys.argv[1]) if len(sys.argv) > 1 else os.getppid()
    threading.Thread(target=watch_parent, args=(parent,), daemon=True).start()
    fn, signature = None, None
    for line in sys.stdin:
        request = json.loads(line)
        if request.get("v") != VERSION:
            send({"type": "error", "stage": "protocol",
                  "error": "protocol version %r, this worker speaks %d" % (request.get("v"), VERSION)})
            return
        if request["type"] == "load":
            try:
                fn, signature = load(request)
            except BaseException as e:  # SyntaxError, ImportError, SystemExit at import, ...
                send({"type": "error", "stage": "load", "error": last_line(e)})
                return
            send({"type": "ready", "signature": signature, "python": sys.version.split()[0]})
        elif request["type"] == "score":
            try:
                score = score_verl if signature == "verl" else score_trl
                scores, errors, metrics = score(fn, request)
            except WholeBatchError as e:
                send({"type": "error", "stage": "count", "id": request["id"], "error": str(e)})
                continue
            except Exception as e:
                send({"type": "error", "stage": "score", "id": request["id"],
                      "error": "raised " + last_line(e)})
                continue
            send({"type": "scores", "id": request["id"], "scores": scores, "errors": errors,
                  "metrics": metrics})


if __name__ == "__main__":
    main()
