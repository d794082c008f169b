#!/bin/sh
# Integration tests drive the real binary and load the real BPF programs: root only.
set -e
if [ "$(id -u)" != 0 ]; then
	echo "integration tests need root (they load BPF programs)" >&2
	exit 1
fi
exec /usr/bin/python3 "$(dirname "$0")/run.py" "$@"
