"""The WaveDB local stack: the template's Lambda handlers served on 127.0.0.1, no Docker.

`python -m wavedb_local run` reads `template.yaml`, starts PostgreSQL and an AWS emulator,
provisions the queues and buckets, and serves the HTTP API the way API Gateway would,
calling the authorizer and the functions in-process; queues, bucket notifications and
schedules drive their functions from background threads. `python -m wavedb_local invoke`
calls one function's handler once, like `sam local invoke`.
"""
