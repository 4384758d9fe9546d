package memstore

import (
	"testing"

	"github.com/parvaneh/parvaneh/layers"
	"github.com/parvaneh/parvaneh/layers/storetest"
)

func TestContract(t *testing.T) {
	storetest.Run(t, func(*testing.T) layers.Store { return New() })
}
