#!/usr/bin/env bash
# Installs the Debian packages pyexec needs (Debian 12, as root).
#   bash scripts/setup.sh          what running needs: Python with the scientific stack, the sandbox, the EPICS client
#   bash scripts/setup.sh --test   that, plus what the tests need: Jupyter, nats-server, nbformat, Chromium, Prometheus
# Idempotent: when everything is installed it changes nothing and calls no network.
set -euo pipefail

packages=(
  python3 python3-numpy python3-matplotlib python3-pandas  # local kernel: Debian's Python with the scientific stack
  bubblewrap                                               # the OS sandbox around every kernel
  python3-pyepics                                          # the real Channel Access client (libca) in kernels
)
test_packages=(
  nats-server                                              # distributed mode and its tests (2.9.10, JetStream)
  jupyter-server python3-ipykernel python3-jupyter-client  # Jupyter kernels, warm pool, `pyexec jupyter`
  python3-nbformat                                         # notebooks checked with Jupyter's own validator
  chromium                                                 # review page tests (headless, driven by playwright-core)
  prometheus                                               # metrics tests scrape with a real Prometheus; promtool
)

case "${1:-}" in
  --test) packages+=("${test_packages[@]}") ;;
  '') ;;
  *) echo "setup: unknown argument \"$1\" (expected nothing, or --test for the test tools too)" >&2; exit 2 ;;
esac

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all Debian packages present"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "setup: missing Debian packages: ${missing[*]}; run as root: apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "setup: installing ${missing[*]}"
apt-get update
DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"
