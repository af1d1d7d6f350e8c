"""The scale-out drill's parts (bench/scale_drill.py is the bench that runs them; `make bench` runs only bench/*.py):

- `fleet`: the `hourcap serve` and `hourcap worker` processes, started, restarted and stopped
  (with tests/support/processes.py, as the tests start theirs);
- `world`: the workspaces installed and connected, the invoices queued, the outbox watched;
- `traffic`: the signed `/hours` sent throughout a run;
- `results`: what one run and the whole drill measured, the figure line and what is broken.
"""


class Broken(Exception):
    """Something the drill checks does not hold (not "slow")."""
