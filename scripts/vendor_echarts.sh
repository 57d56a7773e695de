#!/bin/sh
# Vendor Apache ECharts (the chart library, see ../shared/ARCHITECTURE.md "charts"): run once
# by a developer when the pinned version changes; the result is committed, so a fresh machine
# needs neither Node nor a CDN. Needs npm (only here) and network access to the npm registry.
#
#   sh scripts/vendor_echarts.sh
#
# Fetches the release tarball with `npm pack`, refuses it unless its SHA-256 is the pinned
# one, and copies dist/echarts.min.js, LICENSE and NOTICE into anju/static/vendor/echarts/.
set -eu

VERSION=6.1.0
SHA256=681aff88cc1038c3fa941a3a53d1b177a52250b05335efc607d6105ae13be481

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DEST="$ROOT/anju/static/vendor/echarts"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

cd "$WORK"
npm pack --silent "echarts@$VERSION" >/dev/null
TARBALL="echarts-$VERSION.tgz"
echo "$SHA256  $TARBALL" | sha256sum -c -
tar -xzf "$TARBALL" package/dist/echarts.min.js package/LICENSE package/NOTICE

mkdir -p "$DEST"
cp package/dist/echarts.min.js package/LICENSE package/NOTICE "$DEST/"
echo "$VERSION" > "$DEST/VERSION"
echo "echarts $VERSION → $DEST"
