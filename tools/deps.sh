#!/bin/bash
# Installs what building and testing Tern needs on Debian 12, if missing.
set -euo pipefail
PKGS="build-essential cmake clang libclang-rt-14-dev libssl-dev libsqlite3-dev
pkg-config mosquitto mosquitto-clients python3-paho-mqtt python3-pytest"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	SUDO=""
	[ "$(id -u)" -eq 0 ] || SUDO=sudo
	export DEBIAN_FRONTEND=noninteractive
	$SUDO apt-get update
	# shellcheck disable=SC2086
	$SUDO apt-get install -y $missing
fi
