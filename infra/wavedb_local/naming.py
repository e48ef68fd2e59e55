"""Physical names, URLs and ARNs the local stack gives to the template's resources."""

from __future__ import annotations

from dataclasses import dataclass

LOCAL_ACCOUNT_ID = "123456789012"  # moto's default account
LOCAL_STACK_NAME = "wavedb-local"
LOCAL_API_ID = "wavedblocal"


@dataclass(frozen=True)
class LocalNaming:
    """How the local stack names things (queues at `sqs_endpoint`, or at AWS when None)."""

    region: str = "us-east-1"
    account_id: str = LOCAL_ACCOUNT_ID
    stack_name: str = LOCAL_STACK_NAME
    sqs_endpoint: str | None = None
    api_id: str = LOCAL_API_ID

    def physical_name(self, logical_id: str) -> str:
        """`wavedb-local-<logicalid>`: the default name of a queue or bucket."""
        return f"{self.stack_name}-{logical_id.lower()}"

    def queue_url(self, name: str) -> str:
        base = self.sqs_endpoint or f"https://sqs.{self.region}.amazonaws.com"
        return f"{base.rstrip('/')}/{self.account_id}/{name}"

    def queue_arn(self, name: str) -> str:
        return f"arn:aws:sqs:{self.region}:{self.account_id}:{name}"

    @staticmethod
    def bucket_arn(name: str) -> str:
        return f"arn:aws:s3:::{name}"

    def function_name(self, logical_id: str) -> str:
        return f"{self.stack_name}-{logical_id}"

    def function_arn(self, name: str) -> str:
        return f"arn:aws:lambda:{self.region}:{self.account_id}:function:{name}"

    def placeholder_arn(self, service: str, logical_id: str) -> str:
        """A harmless ARN for a resource the local stack does not emulate."""
        return f"arn:aws:{service}:{self.region}:{self.account_id}:{self.physical_name(logical_id)}"

    def execute_api_arn(self, method: str, path: str) -> str:
        return (
            f"arn:aws:execute-api:{self.region}:{self.account_id}:{self.api_id}/$default/"
            f"{method}{path}"
        )
