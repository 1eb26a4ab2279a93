"""Reads a log directory through TensorBoard's own server app (its data provider and the hparams
and text plugins' HTTP routes, no browser) and prints what the HPARAMS and TEXT tabs receive as
JSON. Usage: python3 tensorboard_tabs.py LOGDIR"""
import json
import sys

from tensorboard import default, program
from tensorboard.backend import application
from werkzeug.test import Client

tb = program.TensorBoard(default.get_plugins())
# Load everything once, in this thread, before the first request.
tb.configure(argv=[None, "--logdir", sys.argv[1], "--load_fast", "false",
                   "--reload_task", "blocking", "--reload_interval", "0"])
provider, multiplexer = tb._make_data_provider()
app = application.TensorBoardWSGIApp(
    tb.flags, tb.plugin_loaders, provider, tb.assets_zip_provider, multiplexer)
client = Client(app)


def request(path, body=None):
    r = client.post(path, data=json.dumps(body), content_type="application/json") \
        if body is not None else client.get(path)
    if r.status_code != 200:
        raise SystemExit("%s: HTTP %d %s" % (path, r.status_code, r.get_data(as_text=True)[:300]))
    return json.loads(r.get_data(as_text=True))


experiment = request("/data/plugin/hparams/experiment", {"experimentName": ""})
sessions = request("/data/plugin/hparams/session_groups", {
    "experimentName": "",
    "allowedStatuses": ["STATUS_UNKNOWN", "STATUS_SUCCESS", "STATUS_FAILURE", "STATUS_RUNNING"],
    "colParams": [], "startIndex": 0, "sliceSize": 100})
text = {run: {tag: request("/data/plugin/text/text?run=%s&tag=%s" % (run, tag)) for tag in tags}
        for run, tags in request("/data/plugin/text/tags").items()}
print(json.dumps({"experiment": experiment, "sessions": sessions, "text": text}))
