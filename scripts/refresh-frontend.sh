#!/usr/bin/env bash
# Rebuild the vendored front end in static/ from the pinned npm packages in
# frontend/package.json (GOV.UK Frontend, accessible-autocomplete, and Sass to compile).
# Run it after changing frontend/broker.scss or a pinned version; commit what it writes.
# The service itself never needs node: static/ is served as committed.
set -euo pipefail
cd "$(dirname "$0")/.."

cd frontend
npm ci --no-audit --no-fund --ignore-scripts
cd ..

GOVUK=frontend/node_modules/govuk-frontend/dist/govuk
AUTOCOMPLETE=frontend/node_modules/accessible-autocomplete/dist

# Our stylesheet: GOV.UK Frontend's Sass with our settings (system font, our colours).
# --quiet-deps: GOV.UK Frontend 5 still uses @import and older Sass functions.
frontend/node_modules/.bin/sass --no-source-map --style=compressed --quiet-deps \
  --silence-deprecation=import --silence-deprecation=global-builtin \
  --load-path=frontend/node_modules frontend/broker.scss static/css/broker.css

# The components' JavaScript (an ES module) and the autocomplete (a classic script).
cp "$GOVUK/govuk-frontend.min.js" static/vendor/govuk-frontend.min.js
cp "$AUTOCOMPLETE/accessible-autocomplete.min.js" static/vendor/accessible-autocomplete.min.js
# Their sourcemap comments point at files we do not ship: drop them.
sed -i -E 's@//[#] sourceMappingURL=[^ ]*$@@' static/vendor/govuk-frontend.min.js static/vendor/accessible-autocomplete.min.js

# No fonts and no GOV.UK images: GDS Transport and the crown are GOV.UK's own.
node -e '
const v = (p) => require("./frontend/node_modules/" + p + "/package.json").version;
console.log(`govuk-frontend ${v("govuk-frontend")}\naccessible-autocomplete ${v("accessible-autocomplete")}\nsass ${v("sass")} (build only)`);
' > static/vendor/VERSIONS.txt
cat static/vendor/VERSIONS.txt
if grep -q "GDS Transport" static/css/broker.css; then
  echo "static/css/broker.css mentions GDS Transport: check \$govuk-font-family" >&2
  exit 1
fi
echo "static/ refreshed"
