"""The original WaveDB API (its routes, bodies and error shapes) as adapters onto our
services: a WaveDB project is a project in the caller's personal workspace, a runner is a
run, a metric is a metric point. Served by functions/wavedb_compat."""
