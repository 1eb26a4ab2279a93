"""What a researcher sees of one run, read with the reference packages: TensorBoard's own server
app (the scalars and custom_scalars plugins' HTTP routes) and pyarrow for rollouts/*.arrow.
Prints JSON. Usage: python3 run_view.py RUN_DIR"""
import glob
import json
import math
import os
import sys

import pyarrow as pa
from tensorboard import default, program
from tensorboard.backend import application
from werkzeug.test import Client

run_dir = sys.argv[1]
tb = program.TensorBoard(default.get_plugins())
tb.configure(argv=[None, "--logdir", run_dir, "--load_fast", "false",
                   "--reload_task", "blocking", "--reload_interval", "0"])
provider, multiplexer = tb._make_data_provider()
app = application.TensorBoardWSGIApp(
    tb.flags, tb.plugin_loaders, provider, tb.assets_zip_provider, multiplexer)
client = Client(app)


def get(path):
    r = client.get(path)
    if r.status_code != 200:
        raise SystemExit("%s: HTTP %d %s" % (path, r.status_code, r.get_data(as_text=True)[:300]))
    return json.loads(r.get_data(as_text=True))


scalars = {}
for run, tags in get("/data/plugin/scalars/tags").items():
    for tag in tags:
        points = get("/data/plugin/scalars/scalars?run=%s&tag=%s" % (run, tag))
        scalars[tag] = [[p[1], p[2]] for p in points]  # [wall_time, step, value] -> [step, value]

layout = get("/data/plugin/custom_scalars/layout")

rollouts = []
for path in sorted(glob.glob(os.path.join(run_dir, "rollouts", "step-*.arrow"))):
    with pa.memory_map(path) as source:
        table = pa.ipc.open_file(source).read_all()
    meta = {k.decode(): v.decode() for k, v in (table.schema.metadata or {}).items()}
    cols = table.to_pydict()
    rows = table.num_rows
    rollouts.append({
        "file": os.path.basename(path),
        "columns": table.column_names,
        "types": {f.name: str(f.type) for f in table.schema},
        "metadata": meta,
        "rows": rows,
        "reward_mean": sum(cols["reward"]) / rows,
        "correct_mean": sum(1 for c in cols["correct"] if c) / rows,
        "length_mean": sum(len(r) for r in cols["response_ids"]) / rows,
        "shapes_agree": all(
            len(cols["response_ids"][i]) == len(cols["advantages"][i]) == len(cols["loss_mask"][i])
            == len(cols["in_loss"][i]) == len(cols["logprobs"][i]) for i in range(rows)),
        "in_update": cols["in_update"],
        "kept": cols["kept"],
        "loss_mask_any": [any(m) for m in cols["in_loss"]],
        "policy_tokens_all": all(all(m) for m in cols["loss_mask"]),
        "advantages": cols["advantages"],
        "response_text": cols["response_text"],
        "truncated": cols["truncated"],
        "components": {c: cols[c] for c in table.column_names if c.startswith("reward_")},
    })

print(json.dumps({"scalars": scalars, "layout": layout, "rollouts": rollouts},
                 allow_nan=True))
