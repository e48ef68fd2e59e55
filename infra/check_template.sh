#!/usr/bin/env bash
# Checks template.yaml with the AWS tools and builds it as `sam deploy` would ship it.
#
#   bash infra/check_template.sh [install|lint|validate|build ...]   (default: all four)
#
#   install   the pinned SAM CLI in its own virtualenv, .venv-sam (once per pin)
#   lint      cfn-lint template.yaml (cfn-lint from .venv, installed by `make install`)
#   validate  sam validate --lint
#   build     sam build into .aws-sam/build, then checks the build output
#             (infra/deploy/check_build.py). Skipped when nothing that goes into the
#             build changed since the last good build; WAVEDB_FORCE_BUILD=1 forces it.
#
# Run from anywhere; works on the repository root. Exits non-zero on the first problem.
set -euo pipefail

SAM_CLI_VERSION="1.170.0"
PIP_VERSION="26.3"
PYTHON="${WAVEDB_SAM_PYTHON:-python3.11}"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

SAM_VENV=".venv-sam"
SAM="$SAM_VENV/bin/sam"
SAM_STAMP="$SAM_VENV/.installed-aws-sam-cli-$SAM_CLI_VERSION"
CFN_LINT=".venv/bin/cfn-lint"
BUILD_DIR=".aws-sam/build"
BUILD_STAMP=".aws-sam/wavedb-build.sha256"
RECIPE_STAMP=".aws-sam/wavedb-recipe.sha256"

export SAM_CLI_TELEMETRY=0
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-${AWS_REGION:-us-east-1}}"
# The dependencies layer's Makefile (infra/deploy) runs pip with this interpreter.
export LAYER_PYTHON="$ROOT/$SAM_VENV/bin/python"

# The runtime's Python compiles the layers' bytecode (infra/deploy/Makefile), when there is one.
BYTECODE_PYTHON="$(bash infra/lambda_python.sh || true)"
export BYTECODE_PYTHON

say() { printf '%s\n' "$*"; }
fail() { printf 'FAIL %s\n' "$*" >&2; exit 1; }

# Runs a command quietly; on failure shows the last lines of its output.
quietly() {
    local log
    log="$(mktemp)"
    if "$@" >"$log" 2>&1; then
        rm -f "$log"
        return 0
    fi
    grep -v "^WARNING: Location '.*' is ignored" "$log" | tail -n 40 >&2 || true
    rm -f "$log"
    return 1
}

seconds_since() { echo $(($(date +%s) - $1)); }

install_sam() {
    if [[ -f "$SAM_STAMP" && -x "$SAM" ]]; then
        say "ok   sam cli $SAM_CLI_VERSION (.venv-sam)"
        return
    fi
    command -v "$PYTHON" >/dev/null || fail "$PYTHON not found (set WAVEDB_SAM_PYTHON)"
    local start
    start=$(date +%s)
    say "...  installing aws-sam-cli==$SAM_CLI_VERSION into .venv-sam"
    rm -rf "$SAM_VENV"
    quietly "$PYTHON" -m venv "$SAM_VENV" || fail "could not create $SAM_VENV"
    quietly "$SAM_VENV/bin/python" -m pip install --disable-pip-version-check \
        "pip==$PIP_VERSION" || fail "could not install pip==$PIP_VERSION into $SAM_VENV"
    quietly "$SAM_VENV/bin/python" -m pip install --disable-pip-version-check \
        "aws-sam-cli==$SAM_CLI_VERSION" || fail "could not install aws-sam-cli==$SAM_CLI_VERSION"
    touch "$SAM_STAMP"
    say "ok   sam cli $SAM_CLI_VERSION installed in $(seconds_since "$start")s"
}

require_sam() {
    [[ -f "$SAM_STAMP" && -x "$SAM" ]] || install_sam
}

lint() {
    [[ -x "$CFN_LINT" ]] || fail "$CFN_LINT missing: run 'make install' first"
    "$CFN_LINT" template.yaml || fail "cfn-lint template.yaml"
    say "ok   cfn-lint template.yaml"
}

validate() {
    require_sam
    quietly "$SAM" validate --lint --template-file template.yaml || fail "sam validate --lint"
    say "ok   sam validate --lint"
}

# Hash of everything that goes into the build. A fresh clone has no stamp, so it always builds.
build_inputs_hash() {
    local inputs=() path
    for path in template.yaml samconfig.toml infra/deploy/Makefile layers shared functions; do
        [[ -e "$path" ]] && inputs+=("$path")
    done
    {
        printf 'sam %s\n' "$SAM_CLI_VERSION"
        find "${inputs[@]}" -type f ! -path '*/__pycache__/*' ! -name '*.pyc' -print0 |
            LC_ALL=C sort -z | xargs -0 sha256sum
    } | sha256sum | cut -d' ' -f1
}

# Hash of how the build is made. SAM's --cached keys a Makefile-built layer on its
# ContentUri only, so a change here must also drop SAM's cache.
build_recipe_hash() {
    cat template.yaml infra/deploy/Makefile | sha256sum | cut -d' ' -f1
}

build() {
    require_sam
    local inputs recipe start
    inputs="$(build_inputs_hash)"
    recipe="$(build_recipe_hash)"
    if [[ "${WAVEDB_FORCE_BUILD:-0}" != 1 && -f "$BUILD_STAMP" && -d "$BUILD_DIR" &&
        "$(cat "$BUILD_STAMP")" == "$inputs" ]]; then
        say "ok   sam build: nothing changed since the last build ($BUILD_DIR)"
    else
        if [[ ! -f "$RECIPE_STAMP" || "$(cat "$RECIPE_STAMP")" != "$recipe" ]]; then
            rm -rf .aws-sam/cache .aws-sam/deps
        fi
        rm -f "$BUILD_STAMP"
        start=$(date +%s)
        say "...  sam build (cached, parallel)"
        quietly "$SAM" build --cached --parallel --template-file template.yaml \
            --build-dir "$BUILD_DIR" || fail "sam build"
        mkdir -p .aws-sam
        printf '%s\n' "$recipe" >"$RECIPE_STAMP"
        say "ok   sam build in $(seconds_since "$start")s"
    fi
    "$SAM_VENV/bin/python" infra/deploy/check_build.py "$BUILD_DIR" \
        layers/dependencies/requirements.txt || fail "build output ($BUILD_DIR)"
    printf '%s\n' "$inputs" >"$BUILD_STAMP"
    say "ok   build output: core layer, dependencies layer (no boto3/botocore), functions"
}

steps=("$@")
[[ ${#steps[@]} -gt 0 ]] || steps=(install lint validate build)
for step in "${steps[@]}"; do
    case "$step" in
    install) install_sam ;;
    lint) lint ;;
    validate) validate ;;
    build) build ;;
    *) fail "unknown step '$step' (install, lint, validate, build)" ;;
    esac
done
