#!/usr/bin/env bash
# Fails, naming them, when tracked C++ files differ from what clang-format makes of them with the
# repository's .clang-format. Fix with: git ls-files '*.cpp' '*.hpp' '*.h' | xargs clang-format -i
set -euo pipefail
cd "$(dirname "$0")/.."
bad=()
while IFS= read -r f; do
  clang-format --dry-run --Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done < <(git ls-files '*.cpp' '*.hpp' '*.h')
if ((${#bad[@]})); then
  echo "rapport: ${#bad[@]} file(s) differ from .clang-format (run clang-format -i on them):" >&2
  printf '  %s\n' "${bad[@]}" >&2
  exit 1
fi
echo "rapport: every C++ file follows .clang-format"
