"""moto's server on 127.0.0.1 as the local S3 and SQS, and boto3 clients that reach it."""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

logger = logging.getLogger("wavedb_local.aws")

EMULATOR_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
}


class MotoEmulator:
    """moto's server on a free loopback port, behind the SQS rules AWS applies; with
    `s3_state_file`, its S3 state is read from that file at start and kept there."""

    def __init__(self, s3_state_file: Path | None = None) -> None:
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._persistence: Any = None
        self._s3_state_file = s3_state_file
        self.endpoint: str | None = None

    def start(self) -> str:
        from moto.moto_server.werkzeug_app import (
            DomainDispatcherApplication,
            MotoRequestHandler,
            create_backend_app,
        )
        from werkzeug.serving import make_server

        from wavedb_local.sqs_rules import SqsRules, register_observer

        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per AWS call otherwise
        rules = SqsRules(DomainDispatcherApplication(create_backend_app))
        app: Any = rules
        if self._s3_state_file is not None:
            from wavedb_local.s3_persistence import S3Persistence

            self._persistence = app = S3Persistence(rules, self._s3_state_file)
            self._persistence.restore()
            self._persistence.start()
        self._server = make_server(
            "127.0.0.1", 0, app, threaded=True, request_handler=MotoRequestHandler
        )
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="aws-emulator", daemon=True
        )
        self._thread.start()
        host, port = self._server.server_address[:2]
        self.endpoint = f"http://{host}:{port}"
        register_observer(self.endpoint, rules)
        logger.info("AWS emulator (moto) listening on %s", self.endpoint)
        return self.endpoint

    def stop(self) -> None:
        from wavedb_local.sqs_rules import forget_observer

        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None
        if self._persistence is not None:
            self._persistence.stop()
            self._persistence = None
        if self.endpoint is not None:
            forget_observer(self.endpoint)


def aws_client(
    service: str, *, region: str, endpoint_url: str | None, emulated: bool = False
) -> Any:
    """A boto3 client for the local stack's own use (provisioning, event sources, tools);
    `emulated`: with the emulator's credentials, never whatever the environment holds."""
    import boto3
    from botocore.config import Config

    credentials = {}
    if emulated:
        credentials = {
            "aws_access_key_id": EMULATOR_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            "aws_secret_access_key": EMULATOR_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        }
    return boto3.session.Session().client(
        service,
        region_name=region,
        endpoint_url=endpoint_url,
        config=Config(connect_timeout=3, read_timeout=30, retries={"max_attempts": 3}),
        **credentials,
    )


def account_id_of_caller(region: str) -> str:
    """The account of the default boto3 credentials (real AWS)."""
    identity = aws_client("sts", region=region, endpoint_url=None).get_caller_identity()
    return str(identity["Account"])
