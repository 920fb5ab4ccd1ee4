#!/usr/bin/env bash
# Vendor Swagger UI (npm package swagger-ui-dist) into broker/api/static/swagger-ui/, so the
# API docs page at /api/v1/docs loads nothing from another origin. Run it to move to a new
# version: bash scripts/refresh-swagger-ui.sh [VERSION]
set -euo pipefail
cd "$(dirname "$0")/.."
version="${1:-5.35.0}"
dest=broker/api/static/swagger-ui
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "swagger-ui-dist@${version}" >/dev/null && tar xzf "swagger-ui-dist-${version}.tgz")
mkdir -p "$dest"
rm -f "$dest"/*
for f in swagger-ui-bundle.js swagger-ui-bundle.js.LICENSE.txt swagger-ui.css LICENSE NOTICE; do
  cp "$work/package/$f" "$dest/"
done
# No source maps: browsers would ask for them.
sed -i '/sourceMappingURL=/d' "$dest/swagger-ui-bundle.js" "$dest/swagger-ui.css"
echo "swagger-ui-dist ${version}" > "$dest/VERSION"
echo "Swagger UI ${version} in ${dest}"
