#!/usr/bin/env bash
# Runs Postgres (the arguments: the postmaster's command line) and turns DCP's stop signal into a fast shutdown.
# DCP stops an executable with SIGTERM, which Postgres takes as a "smart" shutdown: it waits for every client to
# disconnect, DCP loses patience and kills it, and the next start runs crash recovery. SIGINT is "fast": open
# transactions are rolled back, the cluster is checkpointed and closed cleanly (under a second here).
set -u
"$@" &
postmaster=$!
trap 'kill -INT "$postmaster" 2>/dev/null' TERM INT HUP
status=0
while kill -0 "$postmaster" 2>/dev/null; do
  wait "$postmaster"
  status=$?
done
exit "$status"
