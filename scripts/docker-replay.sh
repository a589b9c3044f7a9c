#!/usr/bin/env bash
# Replays the Docker image on a machine with no Docker daemon, and proves the result starts:
#
#   1. the build stage, in a clean temporary directory: exactly the files the Dockerfile COPYs (less
#      what .dockerignore leaves out of the build context), then its RUN lines in order (npm ci,
#      npm run build, npm prune --omit=dev) - scripts/dockerfile.js reads the Dockerfile;
#   2. the runtime stage, in another clean directory: only its `COPY --from=build` files;
#   3. there, the DOKU simulator from the same build (`node dist/simulator/src/main.js`), and the
#      runtime's CMD with its ENV (NODE_ENV=production) and what production requires: a fresh
#      database on the PostgreSQL at REPLAY_PG_ADMIN_URL (default TEST_DATABASE_URL, else
#      postgres://postgres@127.0.0.1:5432/postgres), DOKU_BASE_URL at that simulator, a throwaway
#      access-token signing key (JWT_SIGNING_KEYS) and token encryption key, and the development DOKU
#      credentials the simulator knows;
#   4. polls GET /health/ready until 200 (60 s at most), prints PASS or FAIL, stops everything and
#      removes the directories and the database.
#
# Differences from a real image, by necessity: the Node running it is this machine's (the image has
# Node 24), the processes run as this user (the image's USER node), and both listen on 127.0.0.1 only.
# The last line is "docker replay: PASS" or "docker replay: FAIL: <why>"; the exit code follows.
set -uo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
work=$(mktemp -d "${TMPDIR:-/tmp}/docker-replay.XXXXXX")
build="$work/build"
runtime="$work/runtime"
admin_url="${REPLAY_PG_ADMIN_URL:-${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}}"
db=""
app_pid=""
sim_pid=""

say() { printf 'docker replay: %s\n' "$*"; }
fail() {
  say "FAIL: $*"
  exit 1
}

# Runs SQL on the admin connection with the runtime's own pg driver.
admin_sql() {
  (cd "$runtime" && node -e '
    const { Client } = require("pg");
    const c = new Client({ connectionString: process.argv[1] });
    c.connect().then(() => c.query(process.argv[2])).then(() => c.end(), (e) => { console.error(e.message); process.exit(1); });
  ' "$admin_url" "$1")
}

stop_pid() {
  local pid=$1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
}

cleanup() {
  stop_pid "$app_pid"
  stop_pid "$sim_pid"
  if [ -n "$db" ]; then admin_sql "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1 || say "could not drop database $db"; fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

free_port() { node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })'; }

# Answers once http://127.0.0.1:$1$2 gives status $3 (any status when $3 is empty).
http_status() {
  node -e '
    fetch(process.argv[1], { signal: AbortSignal.timeout(3000) })
      .then((r) => { console.log(r.status); })
      .catch(() => { console.log(0); });
  ' "http://127.0.0.1:$1$2"
}

say "build stage in $build"
node scripts/dockerfile.js build "$build" || fail "the build stage failed (see above)"

say "runtime stage in $runtime"
node scripts/dockerfile.js runtime "$build" "$runtime" || fail "assembling the runtime stage failed (see above)"
rm -rf "$build"
mapfile -t cmd < <(node scripts/dockerfile.js cmd) || fail "the Dockerfile has no CMD"
mapfile -t image_env < <(node scripts/dockerfile.js env)
[ ${#cmd[@]} -gt 0 ] || fail "the Dockerfile has no CMD"

# A fresh database on the CI PostgreSQL.
db="docker_replay_$(date +%s)_$$"
database_url=$(node -e 'const u = new URL(process.argv[1]); u.pathname = "/" + process.argv[2]; console.log(u.toString())' "$admin_url" "$db")
admin_sql "CREATE DATABASE \"$db\"" || { db=""; fail "could not create a database on $admin_url (set REPLAY_PG_ADMIN_URL)"; }
say "database $db created"

# The container's environment: nothing of this shell's leaks in.
base_env=(env -i "PATH=$PATH" "HOME=${HOME:-/tmp}" "${image_env[@]}")

sim_port=$(free_port)
(cd "$runtime" && exec "${base_env[@]}" SIMULATOR_HOST=127.0.0.1 SIMULATOR_PORT="$sim_port" node dist/simulator/src/main.js) >"$work/simulator.log" 2>&1 &
sim_pid=$!
for _ in $(seq 1 100); do
  [ "$(http_status "$sim_port" /)" != 0 ] && break
  kill -0 "$sim_pid" 2>/dev/null || break
  sleep 0.2
done
[ "$(http_status "$sim_port" /)" != 0 ] || { tail -20 "$work/simulator.log"; fail "the simulator did not start"; }
say "simulator (from the same build) on 127.0.0.1:$sim_port"

creds="$repo/src/config/dev-doku-credentials.json"
cred() { node -p "require(process.argv[1])[process.argv[2]]" "$creds" "$1"; }
app_port=$(free_port)
app_env=(
  "PORT=$app_port"
  "HOST=127.0.0.1"
  "PUBLIC_BASE_URL=http://127.0.0.1:$app_port"
  "LOG_LEVEL=warn"
  "DATABASE_URL=$database_url"
  "DOKU_BASE_URL=http://127.0.0.1:$sim_port"
  "JWT_SIGNING_KEYS=$(node -p 'require("crypto").generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ type: "pkcs8", format: "pem" })')"
  "DOKU_TOKEN_ENCRYPTION_KEY=$(node -p 'require("crypto").randomBytes(32).toString("base64")')"
  "DOKU_CLIENT_ID=$(cred clientId)"
  "DOKU_CLIENT_SECRET=$(cred clientSecret)"
  "DOKU_PRIVATE_KEY=$(cred partnerPrivateKeyPem)"
  "DOKU_PUBLIC_KEY=$(cred dokuPublicKeyPem)"
  "DOKU_AUTH_CODE_KEY=$(cred authCodeKey)"
)
say "starting the image's CMD (${cmd[*]}) with ${image_env[*]:-no ENV}"
(cd "$runtime" && exec "${base_env[@]}" "${app_env[@]}" "${cmd[@]}") >"$work/app.log" 2>&1 &
app_pid=$!

started=$SECONDS
status=0
while [ $((SECONDS - started)) -lt 60 ]; do
  status=$(http_status "$app_port" /health/ready)
  [ "$status" = 200 ] && break
  kill -0 "$app_pid" 2>/dev/null || break
  sleep 1
done
if [ "$status" != 200 ]; then
  echo "--- app log (last 30 lines)"
  tail -30 "$work/app.log"
  kill -0 "$app_pid" 2>/dev/null && fail "GET /health/ready did not answer 200 within 60 s (last status $status)"
  fail "the app exited before it was ready"
fi
say "PASS (GET /health/ready answered 200 after $((SECONDS - started)) s)"
