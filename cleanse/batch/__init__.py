"""``batch`` and ``history``: jobs from a TOML file, unattended under cron (SPEC §6).

A run is safe under cron: it takes a lock (``fcntl.flock``, which the operating system
releases when the holder dies, so a lock left by a killed run is simply taken over),
prints nothing unless something fails, appends one line per job to a log that holds no
record values, builds each job's results in a staging folder that is renamed into its
dated folder in one step, points ``latest`` at it, prunes old runs and compares the
job's findings with its previous run (``changes``), keyed by the record, not the row.
Each run adds a row per job to the history table, which ``cleanse history`` shows and
charts.

This module is the package's API, what the CLI, the tests and the benchmarks use; the
work is in one module per part, each importing only modules above it in this list:

- ``jobs``: the jobs file (its keys, ``Settings``, ``Job``, ``Plan``, ``load_jobs``, the
  checks, paths kept inside the jobs file's folder);
- ``lock``: the batch lock and each job's folder lock;
- ``folders``: a job's run folders, ``latest``, pruning, left-over staging folders;
- ``history``: ``JobResult``, the history table and its terminal table;
- ``chart``: the HTML trend chart of the history table;
- ``changes``: the record keys of findings and the comparison with the previous run;
- ``log``: the log lines, ``RunLog``, the terminal's lines per job;
- ``run``: ``run_batch`` and ``run_job``, each job into a stage, then its run folder.

Of cleanse the package imports the run layer (``cleanse.run``) and what lies under it
(``options``, ``output``, ``read``, ``prepare``, ``secret``, ``mask``, ``errors``,
``i18n``, …), never ``cleanse.cli`` or ``cleanse.api``.

A test that patches a name patches the module where it is looked up: the CLI's names
here (``cleanse.batch.read_history``), the batch's own in the module that calls them
(``cleanse.batch.run.batch_lock``, ``cleanse.batch.run.append_history``,
``cleanse.batch.log._append``). The names imported here are bindings of their own:
patching them changes nothing for the modules below.
"""

from __future__ import annotations

from cleanse.batch.changes import record_keys
from cleanse.batch.chart import CHART, write_chart
from cleanse.batch.folders import prune_runs, read_latest
from cleanse.batch.history import JobResult, history_table, read_history
from cleanse.batch.jobs import Job, Plan, Settings, load_jobs
from cleanse.batch.log import job_start, job_summary
from cleanse.batch.run import BatchResult, run_batch

__all__ = [
    "CHART",
    "BatchResult",
    "Job",
    "JobResult",
    "Plan",
    "Settings",
    "history_table",
    "job_start",
    "job_summary",
    "load_jobs",
    "prune_runs",
    "read_history",
    "read_latest",
    "record_keys",
    "run_batch",
    "write_chart",
]
