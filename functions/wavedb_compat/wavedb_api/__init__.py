"""The original WaveDB API (its routes, bodies and error shapes) as adapters onto our
services: a WaveDB project is a project in the caller's personal workspace, a runner is a
run, a metric is a metric point. Only functions/wavedb_compat serves it, so it lives in that
function's code folder, not the core layer."""
