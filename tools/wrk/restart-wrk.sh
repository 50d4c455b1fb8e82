#!/bin/sh
# Issue 13's measurement with wrk instead of the project's client: 32 keep-alive + 16 "Connection: close"
# connections on /uuid (two wrk processes), a SIGHUP restart every EVERY seconds, the trigger and the moment the
# new pid answers /status marked, then analyze.py computes the benchmark's phase figures from the buckets.
#
# usage: tools/wrk/restart-wrk.sh PORT PID RESTARTS [EVERY_S] [OUT_DIR]
#   PORT, PID: of a running example (java -jar jetty-graceful-example/target/jetty-graceful-example.jar --port PORT ...)
# Needs wrk (apt-get install -y wrk), curl, python3. Ends only the wrk processes it started.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
port=$1 pid=$2 restarts=$3 every=${4:-6} out=${5:-wrk-run}
mkdir -p "$out"
: > "$out/restarts.txt"
url=http://127.0.0.1:$port/uuid
# wrk runs until told to stop (SIGINT: it prints its summary and calls done()).
WRK_BUCKETS=$out/keepalive.csv wrk -t1 -c32 -d1h -s "$here/completions.lua" "$url" > "$out/keepalive.txt" 2>&1 &
ka=$!
WRK_BUCKETS=$out/close.csv wrk -t1 -c16 -d1h -H "Connection: close" -s "$here/completions.lua" "$url" > "$out/close.txt" 2>&1 &
cl=$!
status_pid() { curl -s --max-time 2 "http://127.0.0.1:$port/status" | sed -n 's/.*"pid" *: *\([0-9][0-9]*\).*/\1/p'; }
sleep "$every"
i=0
while [ "$i" -lt "$restarts" ]; do
  i=$((i + 1))
  trigger=$(date +%s%3N)
  kill -HUP "$pid"
  new=""
  while [ -z "$new" ] || [ "$new" = "$pid" ]; do
    new=$(status_pid || true)
    [ -n "$new" ] && [ "$new" != "$pid" ] || sleep 0.005
  done
  serving=$(date +%s%3N)
  echo "$trigger $serving $pid $new" >> "$out/restarts.txt"
  echo "restart $i/$restarts: pid $pid -> $new, serving after $((serving - trigger)) ms" >&2
  pid=$new
  sleep "$every"
done
kill -INT "$ka" "$cl"
wait "$ka" "$cl" || true
echo "example now runs as pid $pid" >&2
python3 "$here/analyze.py" "$out"
