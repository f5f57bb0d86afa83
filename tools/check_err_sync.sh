#!/bin/bash
# include/tern/tern.h repeats enum tern_err of src/base/err.h, because the
# public header cannot include an internal one; the two share an include
# guard. This checks that the two lists agree, line for line. Exits 1 and
# prints the difference if they do not.
set -euo pipefail
cd "$(dirname "$0")/.."

list() {
	sed -n '/^enum tern_err {/,/^};/p' "$1"
}

a="$(list src/base/err.h)"
b="$(list include/tern/tern.h)"
if [ -z "$a" ] || [ -z "$b" ]; then
	echo "enum tern_err not found in src/base/err.h or include/tern/tern.h"
	exit 1
fi
if [ "$a" != "$b" ]; then
	diff <(printf '%s\n' "$a") <(printf '%s\n' "$b") || true
	exit 1
fi
