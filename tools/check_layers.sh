#!/bin/bash
# The include rule of DESIGN.md: each directory of src/ may include only
# the layers below it. Prints every violation; exits 1 if there is one.
set -euo pipefail
cd "$(dirname "$0")/../src"

declare -A allowed=(
	[base]="base"
	[codec]="base codec"
	[net]="base net"
	[router]="base codec router"
	[store]="base codec store"
	[auth]="base codec auth"
	[config]="base config"
	[broker]="base codec net router store auth config broker"
	[client]="base codec net client"
	[cli]="base codec net router store auth config broker client cli"
)

bad=0
for dir in "${!allowed[@]}"; do
	[ -d "$dir" ] || continue
	while IFS= read -r line; do
		file="${line%%:*}"
		inc="$(sed -E 's/.*#include "([^"]+)".*/\1/' <<<"${line#*:}")"
		case "$inc" in
		../../include/tern/*) target="tern" ;;
		tern/*) target="tern" ;;
		../*/*) target="$(cut -d/ -f2 <<<"$inc")" ;;
		*/*) target="$(cut -d/ -f1 <<<"$inc")" ;;
		*) target="$dir" ;;
		esac
		if [ "$target" = "tern" ] && { [ "$dir" = "client" ] || [ "$dir" = "cli" ]; }; then
			continue
		fi
		if ! grep -qw -- "$target" <<<"${allowed[$dir]}"; then
			echo "layer violation: $file includes \"$inc\" ($dir may not use $target)"
			bad=1
		fi
	done < <(grep -Hn '#include "' "$dir"/*.[ch] 2>/dev/null | sed -E 's/:[0-9]+:/:/' || true)
done
exit $bad
