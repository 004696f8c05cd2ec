#!/usr/bin/env bash
# A private RabbitMQ broker for the cluster tests: loopback only, its own node name, ports, Erlang cookie, data and
# logs under one temp folder, so it neither needs nor disturbs a system broker (or another engineer's test broker).
#
#   tests/cluster/rabbitmq.sh start    starts it (installs rabbitmq-server when missing) and waits until it serves
#   tests/cluster/rabbitmq.sh stop     stops it and deletes its folder
#   tests/cluster/rabbitmq.sh status   exits 0 when it is running
#
# The tests reach it at amqp://guest:guest@127.0.0.1:$XAIGRID_RABBITMQ_PORT/ (default port 5673; guest works on
# loopback only, which is all this broker listens on). XAIGRID_RABBITMQ_DIR moves the folder.
set -euo pipefail

port=${XAIGRID_RABBITMQ_PORT:-5673}
base=${XAIGRID_RABBITMQ_DIR:-${TMPDIR:-/tmp}/xaigrid-rabbitmq-$port}
rabbit_bin=/usr/lib/rabbitmq/bin

# Everything the broker and rabbitmqctl read comes from here, never from /etc/rabbitmq or $HOME.
export HOME=$base/home
export RABBITMQ_NODENAME=xaigrid-test-$port@localhost
export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
export RABBITMQ_NODE_PORT=$port
export RABBITMQ_DIST_PORT=$((port + 20000))
export ERL_EPMD_PORT=$((port - 1000))
export ERL_EPMD_ADDRESS=127.0.0.1
# Erlang distribution (rabbitmqctl's channel to the node) on loopback too.
export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
export RABBITMQ_CONF_ENV_FILE=$base/rabbitmq-env.conf
export RABBITMQ_CONFIG_FILE=$base/rabbitmq.conf
export RABBITMQ_ADVANCED_CONFIG_FILE=$base/advanced.config
export RABBITMQ_ENABLED_PLUGINS_FILE=$base/enabled_plugins
export RABBITMQ_MNESIA_BASE=$base/mnesia
export RABBITMQ_LOG_BASE=$base/log
export RABBITMQ_PID_FILE=$base/rabbitmq.pid

ctl() { "$rabbit_bin/rabbitmqctl" --longnames=false -n "$RABBITMQ_NODENAME" "$@"; }

running() { [[ -d $base ]] && ctl status >/dev/null 2>&1; }

install_if_missing() {
  if [[ -x $rabbit_bin/rabbitmq-server ]]; then return; fi
  echo "rabbitmq.sh: installing rabbitmq-server"
  local sudo_cmd=()
  if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends rabbitmq-server
}

start() {
  install_if_missing
  if running; then
    echo "rabbitmq.sh: broker already running on 127.0.0.1:$port"
    return
  fi
  rm -rf "$base"
  mkdir -p "$HOME" "$RABBITMQ_MNESIA_BASE" "$RABBITMQ_LOG_BASE"
  : >"$RABBITMQ_CONF_ENV_FILE"
  echo "[]." >"$RABBITMQ_ENABLED_PLUGINS_FILE"
  echo "[]." >"$RABBITMQ_ADVANCED_CONFIG_FILE"
  # The same settings cluster-config/rabbitmq.conf documents for users' brokers, on loopback.
  cat >"$RABBITMQ_CONFIG_FILE" <<EOF
listeners.tcp.default = 127.0.0.1:$port
loopback_users.guest = true
consumer_timeout = 7200000
heartbeat = 30
default_vhost = /
EOF
  # Started in the background (not -detached) so the log file holds startup errors and the pid is known.
  nohup "$rabbit_bin/rabbitmq-server" >"$base/server.out" 2>&1 &
  echo $! >"$base/launcher.pid"
  for _ in $(seq 1 120); do
    if ctl await_startup --timeout 1 >/dev/null 2>&1; then
      echo "rabbitmq.sh: broker running on 127.0.0.1:$port (node $RABBITMQ_NODENAME, folder $base)"
      return
    fi
    if ! kill -0 "$(cat "$base/launcher.pid")" 2>/dev/null; then break; fi
    sleep 1
  done
  echo "rabbitmq.sh: broker did not start; its output:" >&2
  tail -n 40 "$base/server.out" >&2 || true
  exit 1
}

stop() {
  if running; then
    ctl stop >/dev/null 2>&1 || true
  fi
  if [[ -f $base/launcher.pid ]]; then
    local pid
    pid=$(cat "$base/launcher.pid")
    for _ in $(seq 1 30); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 1
    done
    kill -0 "$pid" 2>/dev/null && kill "$pid" 2>/dev/null || true
  fi
  # The private epmd outlives the node; end it by its port, which is ours alone.
  epmd -port "$ERL_EPMD_PORT" -kill >/dev/null 2>&1 || true
  rm -rf "$base"
  echo "rabbitmq.sh: broker on 127.0.0.1:$port stopped"
}

case ${1:-} in
  start) start ;;
  stop) stop ;;
  status) running ;;
  *)
    echo "usage: $0 start|stop|status" >&2
    exit 2
    ;;
esac
