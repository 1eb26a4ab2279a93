"""The `./tokenrl train` arguments that recreate a run from its kept config.conf (rerun_cell.sh).

    python3 experiments/real-model/cell_command.py RUN_DIR/config.conf

train refuses a resolved config as its run file (it sets algorithm.name, which only a group
selection may), so the run is recreated the way it was started: the run file and command-line
overrides named in config.conf's header, and the group selections of its defaults block.
trainer.run_dir is left out (the caller sets the rerun's own). Prints one argument per line.
"""
import re
import sys

lines = open(sys.argv[1]).read().splitlines()
header, run_file, overrides = [], None, []
for line in lines:
    if not line.startswith("#"):
        break
    header.append(line[1:].strip())
for entry in header:
    m = re.fullmatch(r"command-line override '(.*)'", entry)
    if m:
        if not m.group(1).startswith("trainer.run_dir="):
            overrides.append(m.group(1))
    elif entry.endswith(".conf") and not re.match(r"configs/(base\.conf|[a-z_]+/[^/]+\.conf)$", entry):
        run_file = entry
if run_file is None:
    sys.exit(f"{sys.argv[1]}: no run file in the header (a config.conf written by ./tokenrl train?)")
groups, inside = [], False
for line in lines:
    if re.match(r"^defaults \{", line):
        inside = True
    elif inside and line.startswith("}"):
        break
    elif inside:
        m = re.match(r'^\s*"?([a-z_]+)"?=(\S+)$', line)
        if m:
            groups.append(f"{m.group(1)}={m.group(2)}")
print("\n".join([run_file] + groups + overrides))
