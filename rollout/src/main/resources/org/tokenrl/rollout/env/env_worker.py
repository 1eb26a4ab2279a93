"""tokenrl's Python environment worker (docs/multi-turn.md, protocol version 1).

Reads one JSON request per line on stdin and answers each with one JSON line on stdout. A user's
environment is a class in a .py file:

    class MyEnv:
        def __init__(self, row, **options): ...   # row: dict with row, example_id, prompt,
                                                  # reference, messages, seed
        def tools(self): return [...]             # optional: JSON schemas of the tools
        def step(self, turn): ...                 # turn: dict with index, text, ids, messages,
                                                  # prompt_ids, response_ids, last_turn
        def close(self): ...                      # optional

step returns None (done, reward 0), a dict {"observation": [messages] or "text", "done": bool,
"reward": float}, or a list of messages / a string (continue with it as tool messages).
"""
import importlib.util
import json
import os
import sys
import threading
import time
import traceback

VERSION = 1
stdout = sys.stdout
sys.stdout = sys.stderr  # a print() in user code must not corrupt the protocol


def send(msg):
    msg["v"] = VERSION
    stdout.write(json.dumps(msg) + "\n")
    stdout.flush()


def one_line(e):
    last = traceback.format_exception_only(type(e), e)[-1].strip()
    return "raised " + last.replace("\n", " ")


def watch_parent(pid):
    while True:
        time.sleep(1.0)
        try:
            os.kill(pid, 0)
        except OSError:
            os._exit(0)


def as_messages(obs):
    if obs is None:
        return []
    if isinstance(obs, str):
        return [{"role": "tool", "content": obs}]
    out = []
    for m in obs:
        if isinstance(m, str):
            out.append({"role": "tool", "content": m})
        else:
            out.append({"role": str(m["role"]), "content": str(m["content"])})
    return out


def normalise(result):
    if result is None:
        return {"observation": [], "done": True, "reward": 0.0}
    if isinstance(result, dict):
        obs = as_messages(result.get("observation"))
        done = bool(result.get("done", not obs))
        return {"observation": obs, "done": done, "reward": float(result.get("reward", 0.0))}
    obs = as_messages(result)
    return {"observation": obs, "done": not obs, "reward": 0.0}


def main():
    cls = None
    options = {}
    envs = {}
    for line in sys.stdin:
        req = json.loads(line)
        if req.get("v") != VERSION:
            send({"type": "error", "stage": "protocol", "id": req.get("id"),
                  "error": "worker speaks protocol %d, got %s" % (VERSION, req.get("v"))})
            return
        kind = req["type"]
        if kind == "load":
            if req.get("parent_pid"):
                threading.Thread(target=watch_parent, args=(req["parent_pid"],),
                                 daemon=True).start()
            try:
                spec = importlib.util.spec_from_file_location("tokenrl_user_env", req["path"])
                module = importlib.util.module_from_spec(spec)
                spec.loader.exec_module(module)
                cls = getattr(module, req["class"])
                options = req.get("options") or {}
            except Exception as e:
                send({"type": "error", "stage": "load", "error": one_line(e)})
                return
            send({"type": "ready", "python": sys.version.split()[0]})
        elif kind == "create":
            try:
                env = cls(req["row"], **options)
                tools = env.tools() if hasattr(env, "tools") else []
                envs[req["id"]] = env
                send({"type": "created", "id": req["id"], "tools": list(tools or [])})
            except Exception as e:
                send({"type": "error", "stage": "create", "id": req["id"], "error": one_line(e)})
        elif kind == "step":
            try:
                result = normalise(envs[req["id"]].step(req["turn"]))
                result.update({"type": "step", "id": req["id"]})
                send(result)
            except Exception as e:
                send({"type": "error", "stage": "step", "id": req["id"], "error": one_line(e)})
        elif kind == "close":
            env = envs.pop(req["id"], None)
            if env is not None and hasattr(env, "close"):
                try:
                    env.close()
                except Exception:
                    pass


if __name__ == "__main__":
    main()
