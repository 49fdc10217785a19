#!/usr/bin/env bash
# Installs what forksim needs from Debian 12 packages, only what is missing.
# Safe to run again: it asks dpkg first and calls apt-get only when something lacks.
# Arguments name further packages a script needs (scripts/readme-figures.sh: jq).
set -euo pipefail
pkgs=(g++ cmake make pkg-config libsimgrid-dev libboost-dev
      libboost-program-options-dev nlohmann-json3-dev catch2
      clang-14 libclang-rt-14-dev  # the fuzz targets (scripts/test.sh)
      libgsl-dev                   # the USL fit's nonlinear least squares (analysis/usl.cpp)
      python3 python3-jsonschema   # the schema tests (schemas/, tests/schema_check.py)
      chromium fonts-dejavu-core   # the HTML report rendered headless (tests/render_check.py), docs/images/
      openmpi-bin libopenmpi-dev libboost-mpi-dev  # forksim sweep --mpi (driver/mpi_pool.hpp), tests labelled mpi
      "$@")
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo_cmd apt-get update -q >&2
  $sudo_cmd apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
fi
