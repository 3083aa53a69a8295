#!/usr/bin/env bash
# Installs what the tests need on Debian 12 (idempotent: safe to run again).
set -euo pipefail

# Notebook tests: Jupyter's own validator, and a real ipykernel for real outputs.
if ! /usr/bin/python3 -c 'import nbformat, jupyter_client, ipykernel, matplotlib' 2>/dev/null; then
  apt-get update
  apt-get install -y python3-nbformat python3-jupyter-client python3-ipykernel python3-matplotlib
fi

# NATS tests (test/nats): a real nats-server with JetStream (Debian 12 ships 2.9.10).
if ! command -v nats-server >/dev/null 2>&1 && [ ! -x /usr/sbin/nats-server ]; then
  apt-get update
  apt-get install -y nats-server
fi

# Local kernel tests (test/kernels): Debian's Python with numpy, matplotlib and pandas.
local_kernel_packages=(python3 python3-numpy python3-matplotlib python3-pandas)
if ! dpkg -s "${local_kernel_packages[@]}" >/dev/null 2>&1; then
  apt-get update
  apt-get install -y "${local_kernel_packages[@]}"
fi

# Jupyter kernel tests and benchmarks (test/jupyter, bench/jupyter.bench.ts):
# Debian's Jupyter Server and IPython kernel, with the scientific stack.
jupyter_packages=(jupyter-server python3-ipykernel python3-numpy python3-matplotlib python3-pandas)
if ! dpkg -s "${jupyter_packages[@]}" >/dev/null 2>&1; then
  apt-get update
  apt-get install -y "${jupyter_packages[@]}"
fi

# Review page tests (test/review): Debian's Chromium, driven headless by playwright-core.
if [ ! -x /usr/bin/chromium ]; then
  apt-get update
  apt-get install -y chromium
fi
