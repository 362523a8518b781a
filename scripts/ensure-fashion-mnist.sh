#!/usr/bin/env bash
# Installs Debian's dataset-fashion-mnist (the real Fashion-MNIST, offline) when no copy is found.
# cnncourse.data.load_fashion_mnist() reads it; CNNCOURSE_FASHION_MNIST may name another folder.
set -euo pipefail
found() { [ -f "$1/train-images-idx3-ubyte.gz" ] || [ -f "$1/train-images-idx3-ubyte" ]; }
if found /usr/share/datasets/fashion-mnist || { [ -n "${CNNCOURSE_FASHION_MNIST:-}" ] && found "$CNNCOURSE_FASHION_MNIST"; }; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "Fashion-MNIST is missing: install it (Debian: sudo apt-get install dataset-fashion-mnist)," >&2
  echo "or set CNNCOURSE_FASHION_MNIST to a folder holding its four idx files." >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq dataset-fashion-mnist >/dev/null
