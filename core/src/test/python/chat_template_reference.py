"""Renders chat templates as transformers does (jinja2 ImmutableSandboxedEnvironment,
trim_blocks and lstrip_blocks on, loopcontrols, raise_exception, transformers' tojson filter).
Input: a JSON file {"template", "bos_token", "eos_token", "cases": [{"messages",
"add_generation_prompt", "tools" (optional)}]};
output: a JSON list with one rendered string (or {"error": message}) per case."""
import json
import sys

from jinja2.exceptions import TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment


def raise_exception(message):
    raise TemplateError(message)


spec = json.load(open(sys.argv[1], encoding="utf-8"))
env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
                                    extensions=["jinja2.ext.loopcontrols"])
env.globals["raise_exception"] = raise_exception


def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    # transformers' replacement for jinja2's HTML-safe tojson
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators,
                      sort_keys=sort_keys)


env.filters["tojson"] = tojson
template = env.from_string(spec["template"])
out = []
for case in spec["cases"]:
    try:
        extra = {"tools": case["tools"]} if "tools" in case else {}
        out.append(template.render(messages=case["messages"],
                                   add_generation_prompt=case["add_generation_prompt"],
                                   bos_token=spec["bos_token"], eos_token=spec["eos_token"],
                                   **extra))
    except TemplateError as e:
        out.append({"error": str(e)})
print(json.dumps(out, ensure_ascii=False))
