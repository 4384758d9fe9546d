#!/bin/sh
# vendor.sh (re)vendors the page's two libraries from the npm registry into
# web/static/vendor/: Leaflet (the map) and polygon-clipping (a case page
# clips the built footprint with the streets to draw the encroachment). The
# vendored files ARE committed, so `go build` works offline on a fresh clone
# and the server needs no CDN; run this only to change a pinned version (then
# update its VERSION and INTEGRITY together, from
# `npm view PACKAGE@X dist.integrity`).
#
# Needs npm, tar and openssl. Run from anywhere: sh web/vendor.sh
set -eu

LEAFLET_VERSION=1.9.4
LEAFLET_INTEGRITY=sha512-nxS1ynzJOmOlHp+iL3FyWqK89GtNL8U8rvlMOsQdTTssxZwCXh8N2NB3GDQOL+YR3XnWyZAxwQixURb+FA74PA==
POLYGON_CLIPPING_VERSION=0.15.7
POLYGON_CLIPPING_INTEGRITY=sha512-nhfdr83ECBg6xtqOAJab1tbksbBAOMUltN60bU+llHVOL0e5Onm1WpAXXWXVB39L8AJFssoIhEVuy/S90MmotA==

here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# fetch NAME VERSION INTEGRITY unpacks the package into $tmp/NAME/package.
# npm pack checks the tarball against the registry's integrity; we check it
# against the pinned one too, so a re-published version cannot slip in.
fetch() {
	mkdir -p "$tmp/$1"
	(cd "$tmp/$1" && npm pack --silent "$1@$2" >/dev/null)
	tgz="$tmp/$1/$1-$2.tgz"
	got="sha512-$(openssl dgst -sha512 -binary "$tgz" | base64 | tr -d '\n')"
	if [ "$got" != "$3" ]; then
		echo "vendor.sh: $1-$2.tgz integrity $got, want $3" >&2
		exit 1
	fi
	tar -xzf "$tgz" -C "$tmp/$1"
}

fetch leaflet "$LEAFLET_VERSION" "$LEAFLET_INTEGRITY"
dest="$here/static/vendor/leaflet"
rm -rf "$dest"
mkdir -p "$dest/images"
pkg="$tmp/leaflet/package"
cp "$pkg/dist/leaflet.js" "$pkg/dist/leaflet.css" "$pkg/LICENSE" "$dest/"
cp "$pkg/dist/images/"*.png "$dest/images/"
echo "$LEAFLET_VERSION" >"$dest/VERSION"
echo "vendored leaflet $LEAFLET_VERSION into $dest"

# The UMD build defines the global polygonClipping and carries its two
# dependencies (splaytree, MIT; robust-predicates, Unlicense) inside, their
# notices kept.
fetch polygon-clipping "$POLYGON_CLIPPING_VERSION" "$POLYGON_CLIPPING_INTEGRITY"
dest="$here/static/vendor/polygon-clipping"
rm -rf "$dest"
mkdir -p "$dest"
pkg="$tmp/polygon-clipping/package"
# The source map is not vendored, so its pointer goes too.
sed '/^\/\/# sourceMappingURL=/d' "$pkg/dist/polygon-clipping.umd.min.js" >"$dest/polygon-clipping.umd.min.js"
cp "$pkg/LICENSE.md" "$dest/LICENSE"
echo "$POLYGON_CLIPPING_VERSION" >"$dest/VERSION"
echo "vendored polygon-clipping $POLYGON_CLIPPING_VERSION into $dest"
