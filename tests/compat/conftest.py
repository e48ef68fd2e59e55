"""Real third-party clients against the local stack served over HTTP (the `served_stack`
fixture of tests/conftest.py), with the SQS event sources running."""
