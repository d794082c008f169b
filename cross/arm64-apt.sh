# shellcheck shell=bash
# Sourced: a private apt configuration for Debian's arm64 packages. Its package lists, cache and
# downloads live under $ARM64_CACHE; dpkg's status is /dev/null, so apt neither reads nor changes
# what this machine has installed, and dpkg's architectures are never touched.
ARM64_CACHE=${VMTEST_CACHE:-/var/cache/memreap-vmtest}/arm64
ARM64_APT=(-o APT::Architecture=arm64 -o APT::Architectures::=arm64
	   -o "Dir::State::Lists=$ARM64_CACHE/lists" -o "Dir::Cache=$ARM64_CACHE/apt"
	   -o Dir::State::status=/dev/null)

# apt-get update for the private lists, at most once a day.
arm64_apt_update() {
	mkdir -p "$ARM64_CACHE/lists/partial" "$ARM64_CACHE/apt/archives/partial"
	if [ -z "$(find "$ARM64_CACHE/lists/.updated" -mtime -1 2>/dev/null)" ]; then
		apt-get "${ARM64_APT[@]}" update -qq && touch "$ARM64_CACHE/lists/.updated"
	fi
}
