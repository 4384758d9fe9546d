// Package e2e holds Parvaneh's end-to-end tests: the whole application built
// in-process as "parvaneh serve" wires it, on the sample city, driven from
// the outside (a real browser for the map page). It has no code of its own
// outside the tests.
package e2e
