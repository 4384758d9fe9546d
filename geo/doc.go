// Package geo holds Parvaneh's geometry: reading GeoJSON polygons, projecting
// WGS84 longitude/latitude to a municipality's metric CRS and back, settling
// validity (repair where unambiguous, refusal otherwise), and the overlay
// helpers both stores measure with. It imports none of Parvaneh's packages.
package geo
