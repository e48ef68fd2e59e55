"""What a function's cold start defers: each check runs in a new interpreter, as Lambda's does."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[2]
HTTP_FUNCTIONS = sorted(
    path.parent.name
    for path in (REPOSITORY / "functions").glob("*/app.py")
    if "create_app" in path.read_text() or "FastAPI" in path.read_text()
)
# What the Lambda runtime sets that changes what is imported (X-Ray's SDK samples in Lambda).
LAMBDA = {
    "AWS_EXECUTION_ENV": "AWS_Lambda_python3.12",
    "AWS_LAMBDA_FUNCTION_NAME": "cold-start-test",
    "LAMBDA_TASK_ROOT": str(REPOSITORY),
}


def run_python(code: str, *, cwd: Path = REPOSITORY, lambda_runtime: bool = False) -> str:
    environment = {key: value for key, value in os.environ.items() if key not in LAMBDA}
    environment["PYTHONPATH"] = os.pathsep.join(
        [str(cwd), str(REPOSITORY / "shared"), environment.get("PYTHONPATH", "")]
    )
    if lambda_runtime:
        environment.update(LAMBDA)
    answer = subprocess.run(
        [sys.executable, "-c", code],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert answer.returncode == 0, answer.stderr[-3000:]
    return answer.stdout.strip()


def test_cold_start_fastapi_import_leaves_deferred_modules_unloaded() -> None:
    loaded = run_python(
        "import sys, wavedb_core.cold_start, fastapi\n"
        "print(sorted(n for n in ('http.client', 'email_validator')"
        " if type(sys.modules.get(n)).__name__ == 'module'))"
    )
    assert loaded == "[]"


def test_cold_start_deferred_module_loads_when_used() -> None:
    answers = run_python(
        "import wavedb_core.cold_start\n"
        "from starlette.exceptions import HTTPException\n"
        "from pydantic import BaseModel, EmailStr\n"
        "class Signup(BaseModel):\n"
        "    email: EmailStr\n"
        "print(HTTPException(404).detail)\n"
        "print(Signup(email='Ada@Example.COM').email)\n"
        "import http.client, email_validator\n"
        "print(type(http.client).__name__, type(email_validator).__name__)\n"
        "print(http.client.HTTPResponse.__module__)"
    )
    assert answers.splitlines() == ["Not Found", "Ada@example.com", "module module", "http.client"]


def test_cold_start_invalid_address_refused_by_deferred_validator() -> None:
    answer = run_python(
        "import wavedb_core.cold_start\n"
        "from pydantic import BaseModel, EmailStr, ValidationError\n"
        "class Signup(BaseModel):\n"
        "    email: EmailStr\n"
        "try:\n"
        "    Signup(email='not an address')\n"
        "except ValidationError as error:\n"
        "    print(error.errors()[0]['type'])"
    )
    assert answer == "value_error"


@pytest.mark.parametrize("lambda_runtime", [True, False])
def test_cold_start_pydantic_v1_refused_only_in_lambda(lambda_runtime: bool) -> None:
    answer = run_python(
        "import wavedb_core.cold_start\n"
        "try:\n"
        "    import pydantic.v1\n"
        "except ImportError:\n"
        "    print('refused')\n"
        "else:\n"
        "    print('imported')",
        lambda_runtime=lambda_runtime,
    )
    assert answer == ("refused" if lambda_runtime else "imported")


@pytest.mark.parametrize("function", HTTP_FUNCTIONS)
def test_http_function_import_defers_what_few_requests_use(function: str) -> None:
    answer = run_python(
        "import sys, app\n"
        "print(sorted(n for n in ('http.client', 'email_validator', 'pydantic.v1')"
        " if type(sys.modules.get(n)).__name__ == 'module'))\n"
        "print('jwt' in sys.modules)",
        cwd=REPOSITORY / "functions" / function,
        lambda_runtime=True,
    )
    loaded, issues_tokens = answer.splitlines()
    # PyJWT imports urllib.request, which reads http.client: the functions that issue
    # tokens load it.
    assert loaded == ("['http.client']" if issues_tokens == "True" else "[]")
