#!/usr/bin/env bash
# Installs the C libraries logscan links against, when pkg-config cannot find
# them (Debian/Ubuntu, apt-get; sudo when not root). Idempotent and quiet
# when everything is present. Used by the README's two commands and by CI.
set -eu
# pkg-config module -> Debian package
needed=(
  "liblz4:liblz4-dev"
  "libpcre2-8:libpcre2-dev"
  "zlib:zlib1g-dev"
  "libzstd:libzstd-dev"
)
missing=()
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
for pair in "${needed[@]}"; do
  module=${pair%%:*} package=${pair#*:}
  if ! command -v pkg-config >/dev/null 2>&1 || ! pkg-config --exists "$module"; then
    missing+=("$package")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "installing: ${missing[*]}" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
