#!/bin/sh
# vendor.sh (re)vendors the map library, Leaflet, from the npm registry into
# web/static/vendor/leaflet/. The vendored files ARE committed, so `go build`
# works offline on a fresh clone and the server needs no CDN; run this only to
# change the pinned version (then update LEAFLET_VERSION and LEAFLET_INTEGRITY
# together, from `npm view leaflet@X dist.integrity`).
#
# Needs npm and tar. Run from anywhere: sh web/vendor.sh
set -eu

LEAFLET_VERSION=1.9.4
LEAFLET_INTEGRITY=sha512-nxS1ynzJOmOlHp+iL3FyWqK89GtNL8U8rvlMOsQdTTssxZwCXh8N2NB3GDQOL+YR3XnWyZAxwQixURb+FA74PA==

here=$(cd "$(dirname "$0")" && pwd)
dest="$here/static/vendor/leaflet"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# npm pack checks the tarball against the registry's integrity; we check it
# against the pinned one too, so a re-published version cannot slip in.
(cd "$tmp" && npm pack --silent "leaflet@$LEAFLET_VERSION" >/dev/null)
tgz="$tmp/leaflet-$LEAFLET_VERSION.tgz"
got="sha512-$(openssl dgst -sha512 -binary "$tgz" | base64 | tr -d '\n')"
if [ "$got" != "$LEAFLET_INTEGRITY" ]; then
	echo "vendor.sh: leaflet-$LEAFLET_VERSION.tgz integrity $got, want $LEAFLET_INTEGRITY" >&2
	exit 1
fi
tar -xzf "$tgz" -C "$tmp"

rm -rf "$dest"
mkdir -p "$dest/images"
cp "$tmp/package/dist/leaflet.js" "$tmp/package/dist/leaflet.css" "$tmp/package/LICENSE" "$dest/"
cp "$tmp/package/dist/images/"*.png "$dest/images/"
echo "$LEAFLET_VERSION" >"$dest/VERSION"
echo "vendored leaflet $LEAFLET_VERSION into $dest"
