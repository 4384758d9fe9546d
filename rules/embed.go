package rules

import "embed"

// bundled holds the packs shipped in the binary, one folder per pack.
//
//go:embed packs
var bundled embed.FS
